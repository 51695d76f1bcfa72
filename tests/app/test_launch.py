"""The real app in a subprocess, stopped the way systemd, docker or a closed terminal stop it: the uploaded
faces go with it. And what it prints when it starts."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

from facecompare.app import launch
from facecompare.app.launch import startup_lines
from facecompare.app.service import FaceService
from facecompare.app.upload_dir import PREFIX
from facecompare.inference import load_bundle
from facecompare.inference.faces import FaceFinder, make_detector

START_S = 180  # a generous bound on start-up (imports torch and Gradio) on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(bundle: Path, tmp: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp), "HOME": str(tmp.parent / "home"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "facecompare.cli", "app", "--model", str(bundle), "--port", str(port),
               "--gallery", str(tmp.parent / "gallery.db"), "--max-upload-mb", "2"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_served(app: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if app.poll() is not None:
            pytest.fail(f"the app ended with {app.returncode}: {app.communicate()[1][-2000:]}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.3)
    app.kill()
    pytest.fail(f"the app did not answer within {START_S} s")


def compare(url: str, stored: str) -> str:
    """Both images of the compare tab, through Gradio's HTTP API: the answer holds the two face previews."""
    image = {"path": stored, "orig_name": "face.jpg", "meta": {"_type": "gradio.FileData"}}
    event = requests.post(f"{url}gradio_api/call/lambda", json={"data": [image, image, 0.5]}, timeout=30).json()
    return requests.get(f"{url}gradio_api/call/lambda/{event['event_id']}", timeout=120).text


def images_under(folder: Path) -> list[Path]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            with Image.open(path) as image:
                image.verify()
            found.append(path)
        except Exception:  # not an image: onnxruntime's and matplotlib's files, for instance
            continue
    return found


@pytest.mark.slow
def test_sigterm_removes_the_uploads_and_the_next_start_removes_those_of_killed_apps(tiny_bundle, photos, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # a folder left by an app that was killed (its PID no longer runs), and one of an app that still runs
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    left, running = tmp / f"{PREFIX}{gone.pid}-abcd1234", tmp / f"{PREFIX}{os.getpid()}-efgh5678"
    for folder in (left, running):
        folder.mkdir()
        (folder / "Tony_Blair_0008.jpg").write_bytes((photos / "astronaut.jpg").read_bytes())
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    app = start_app(tiny_bundle, tmp, port)
    try:
        wait_until_served(app, url)
        sent = (photos / "astronaut.jpg").read_bytes()
        stored = requests.post(f"{url}gradio_api/upload", files={"files": ("face.jpg", sent)}, timeout=30).json()
        own = [f for f in tmp.glob(f"{PREFIX}*") if f not in (left, running)]
        assert len(own) == 1 and Path(stored[0]).is_relative_to(own[0]) and Path(stored[0]).read_bytes() == sent
        assert not left.exists() and (running / "Tony_Blair_0008.jpg").exists()
        assert "event: complete" in compare(url, stored[0])
        # the upload and the previews shown (the same face twice: one file), all in the private folder
        assert sorted(p.suffix for p in images_under(own[0])) == [".jpg", ".webp"]
        app.send_signal(signal.SIGTERM)  # kill PID, systemd, docker stop
        out, err = app.communicate(timeout=60)
    finally:
        app.kill()
    assert not own[0].exists() and app.returncode == -signal.SIGTERM  # ended as the signal would have ended it
    assert [f.name for f in tmp.glob(f"{PREFIX}*")] == [running.name]
    # no copy of a face anywhere else in the temporary folder or the home folder (Gradio's caches included)
    assert images_under(tmp) == [running / "Tony_Blair_0008.jpg"] and images_under(tmp_path / "home") == []
    assert f"facecompare app: {url}" in out and "up to 2 MB a file" in out
    assert "share=True" not in out + err and "Traceback" not in err


@pytest.mark.slow
def test_sighup_stops_the_app_as_sigterm_does(tiny_bundle, photos, tmp_path, monkeypatch):
    # in this process, the one real difference from the test above being the signal: the app serves in the
    # main thread, as from the command line, and another thread uploads a face and then closes the terminal
    bundle = load_bundle(tiny_bundle)
    service = FaceService(bundle, FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = []
    monkeypatch.setattr(launch, "end_as", ended.append)  # instead of ending the test process
    port, seen = free_port(), {}

    def upload_then_hang_up() -> None:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + START_S
        while not seen and time.monotonic() < deadline:
            try:
                answer = requests.post(f"{url}gradio_api/upload", files={"files": ("face.jpg", b"jpeg")}, timeout=5)
                seen["upload"] = Path(answer.json()[0])
            except requests.ConnectionError:
                time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGHUP)

    helper = threading.Thread(target=upload_then_hang_up)
    helper.start()
    previous = signal.getsignal(signal.SIGHUP)
    launch.serve(service, port=port)
    helper.join()
    assert seen["upload"].is_relative_to(tmp_path) and not seen["upload"].exists()
    assert list(tmp_path.glob(f"{PREFIX}*")) == [] and ended == [signal.SIGHUP]
    assert signal.getsignal(signal.SIGHUP) == previous


def test_startup_lines_say_where_what_and_how_much(tmp_path):
    lines = startup_lines("http://127.0.0.1:7860/", "staff.db, 6 people", 10.0, tmp_path, 2)
    assert lines == [
        "facecompare app: http://127.0.0.1:7860/  (Ctrl-C stops it)",
        "gallery: staff.db, 6 people",
        f"uploads: up to 10 MB a file, kept in {tmp_path} until the app stops",
        "removed 2 upload folder(s) left by app processes that no longer run",
    ]
    assert "up to 0.5 MB a file" in startup_lines("u", "none", 0.5, tmp_path, 0)[2]
