"""Finding LFW in its usual layouts, and downloading it from a local HTTP server: verified or nothing left."""

import functools
import hashlib
import io
import os
import re
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lfw_fakes import DEV_TEST_PEOPLE, write_images, write_view1, write_view2

from facecompare.data.sources import lfw_download
from facecompare.data.sources.lfw_download import ensure_lfw
from facecompare.data.sources.lfw_layout import EVAL_FILES, LFWLayout
from facecompare.errors import ConfigError

V1_FILES = ["pairsDevTest.txt", "pairsDevTrain.txt", "peopleDevTest.txt", "peopleDevTrain.txt"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A local mirror holding a fake View 1 copy (the tree as lfw-deepfunneled.tgz); yields (folder, url)."""
    folder = tmp_path / "site"
    write_view1(folder, images_dir="lfw-deepfunneled")
    with tarfile.open(folder / "lfw-deepfunneled.tgz", "w:gz") as tar:
        tar.add(folder / "lfw-deepfunneled", arcname="lfw-deepfunneled")
    sums = {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in [*V1_FILES, "lfw-deepfunneled.tgz"]
    }
    monkeypatch.setattr(lfw_download, "SHA256", sums)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


# people in the root, the copy at ../shared, the tarball, Kaggle's double folder, protocol files beside the people
LAYOUTS = [
    (".", "."),
    ("images", "."),
    ("lfw-deepfunneled", "."),
    ("lfw-deepfunneled/lfw-deepfunneled", "."),
    ("lfw", "lfw"),
]


@pytest.mark.parametrize(("images_dir", "protocol_dir"), LAYOUTS)
def test_finds_the_usual_layouts(tmp_path, images_dir, protocol_dir):
    write_view1(tmp_path / "staging", images_dir="people")
    write_images(tmp_path / "lfw" / images_dir, DEV_TEST_PEOPLE)
    for name in V1_FILES:
        (tmp_path / "lfw" / protocol_dir / name).write_bytes((tmp_path / "staging" / name).read_bytes())
    layout = ensure_lfw(tmp_path / "lfw", download=False)
    assert layout == LFWLayout((tmp_path / "lfw" / images_dir).resolve(), (tmp_path / "lfw" / protocol_dir).resolve())


def test_view2_needs_its_own_files(tmp_path):
    write_view2(tmp_path)
    assert ensure_lfw(tmp_path, False, view="view2").images == (tmp_path / "lfw-deepfunneled").resolve()
    with pytest.raises(ConfigError, match=r"incomplete under .*: fetch http://x/pairsDevTrain.txt, .*peopleDevTest"):
        ensure_lfw(tmp_path, False, view="view1", base_url="http://x/")
    with pytest.raises(ConfigError) as info:
        ensure_lfw(tmp_path, False, view="view1")
    assert "lfw-deepfunneled.tgz" not in str(info.value)  # the tree is there: only the files are asked for
    with pytest.raises(ConfigError, match=r"data\.source\.view must be one of"):
        ensure_lfw(tmp_path, False, view="view3")


def test_scoring_needs_only_the_pairs_files(tmp_path):
    write_view2(tmp_path)
    (tmp_path / "people.txt").unlink()  # how View 2 often travels: pairs.txt alone
    with pytest.raises(ConfigError, match=r"fetch http://x/people\.txt "):
        ensure_lfw(tmp_path, False, view="view2", base_url="http://x/")
    layout = ensure_lfw(tmp_path, False, view="view2", files=EVAL_FILES["view2"])
    assert layout.file("pairs.txt") == (tmp_path / "pairs.txt").resolve()
    (tmp_path / "pairs.txt").unlink()
    with pytest.raises(ConfigError, match=r"fetch http://x/pairs\.txt "):
        ensure_lfw(tmp_path, False, view="view2", base_url="http://x/", files=EVAL_FILES["view2"])


def test_without_download_says_what_to_fetch(tmp_path):
    root = tmp_path / "lfw"
    with pytest.raises(ConfigError) as info:
        ensure_lfw(root, download=False)
    message = str(info.value)
    assert "http://vis-www.cs.umass.edu/lfw/lfw-deepfunneled.tgz" in message
    assert f"giving {root}/lfw-deepfunneled/<Name>/<Name>_0001.jpg" in message
    assert all(f"http://vis-www.cs.umass.edu/lfw/{name}" in message for name in V1_FILES)
    assert "data.source.download=true" in message and "\n" not in message
    assert not root.exists()


@pytest.mark.slow
def test_download_verifies_and_places_everything(tmp_path, site):
    root = tmp_path / "lfw"
    layout = ensure_lfw(root, download=True, base_url=site[1])
    assert layout == LFWLayout((root / "lfw-deepfunneled").resolve(), root.resolve())
    assert sorted(p.name for p in root.iterdir()) == sorted([*V1_FILES, "lfw-deepfunneled"])  # no temporaries
    assert (root / "pairsDevTrain.txt").read_bytes() == (site[0] / "pairsDevTrain.txt").read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert {(p.stat().st_mode & 0o777) for p in root.iterdir() if p.is_file()} == {0o666 & ~umask}  # not 0600
    assert ensure_lfw(root, download=False) == layout


@pytest.mark.slow
@pytest.mark.parametrize("corrupt", ["pairsDevTest.txt", "lfw-deepfunneled.tgz"])
def test_checksum_mismatch_leaves_nothing_half_written(tmp_path, site, monkeypatch, corrupt):
    monkeypatch.setitem(lfw_download.SHA256, corrupt, "0" * 64)
    root = tmp_path / "lfw"
    with pytest.raises(ConfigError, match=f"{corrupt}: SHA-256 [0-9a-f]{{64}} does not match the expected 0000"):
        ensure_lfw(root, download=True, base_url=site[1])
    left = {p.name for p in root.iterdir()}
    assert corrupt not in left and "lfw-deepfunneled" not in left
    assert not [name for name in left if name.startswith(".")]  # no .part file, no extraction folder


@pytest.mark.slow
def test_tarball_escaping_the_root_is_refused(tmp_path, site, monkeypatch):
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as tar:
        data = b"pwned"
        member = tarfile.TarInfo("lfw-deepfunneled/../../evil.txt")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    (site[0] / "lfw-deepfunneled.tgz").write_bytes(evil.getvalue())
    monkeypatch.setitem(lfw_download.SHA256, "lfw-deepfunneled.tgz", hashlib.sha256(evil.getvalue()).hexdigest())
    root = tmp_path / "lfw"
    with pytest.raises(ConfigError, match=re.escape("refusing member 'lfw-deepfunneled/../../evil.txt'")):
        ensure_lfw(root, download=True, base_url=site[1])
    assert not list(tmp_path.rglob("evil.txt"))
    assert sorted(p.name for p in root.iterdir()) == sorted(V1_FILES)


@pytest.mark.slow
def test_http_error_names_the_url(tmp_path, site):
    (site[0] / "peopleDevTest.txt").unlink()
    with pytest.raises(ConfigError, match=r"could not download http://127\.0\.0\.1:\d+/peopleDevTest\.txt: 404"):
        ensure_lfw(tmp_path / "lfw", download=True, base_url=site[1])
    assert not [p for p in (tmp_path / "lfw").iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_unverified_files_are_downloaded_with_a_warning(tmp_path, site, monkeypatch, caplog):
    monkeypatch.setattr(lfw_download, "SHA256", {})
    monkeypatch.setattr(lfw_download, "MD5", {})
    ensure_lfw(tmp_path / "lfw", download=True, base_url=site[1])
    assert caplog.text.count("no known checksum, not verified") == 5


@pytest.mark.slow
def test_published_md5_is_checked_when_no_sha256_is_known(tmp_path, site, monkeypatch):
    monkeypatch.setattr(lfw_download, "SHA256", {})  # the fake tarball is not the official one
    with pytest.raises(ConfigError, match=r"MD5 .* does not match the expected 68331da3eb755a505a502b5aacb3c201"):
        ensure_lfw(tmp_path / "lfw", download=True, base_url=site[1])
    assert not any(p.name.endswith(".part") for p in (tmp_path / "lfw").rglob("*"))


@pytest.mark.slow
def test_a_stray_tree_folder_stops_before_downloading(tmp_path, site):
    (tmp_path / "lfw" / "lfw-deepfunneled").mkdir(parents=True)  # e.g. left by a hand extraction gone wrong
    with pytest.raises(ConfigError, match="lfw-deepfunneled exists but is not an LFW image tree"):
        ensure_lfw(tmp_path / "lfw", download=True, base_url=site[1])
    assert [p.name for p in (tmp_path / "lfw").iterdir()] == ["lfw-deepfunneled"]
