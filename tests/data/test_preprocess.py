"""The cached preprocessing pass: zero detections on a second run, re-work only where settings change,
and a partial cache left by a killed run is valid."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from badfiles import photo
from PIL import Image

from facecompare.atomic import is_temporary
from facecompare.data.alignment import template
from facecompare.data.crop_store import CropStore, content_hash, settings_key
from facecompare.data.detection.base import Detector, Face
from facecompare.data.manifest import summary
from facecompare.data.preprocess import Preprocessor


class CountingDetector(Detector):
    """One face per image with landmarks on the 112 template scaled to the image; counts what it sees."""

    has_landmarks = True

    def __init__(self, faces_per_image: int = 1) -> None:
        self.calls = self.images = 0
        self.faces_per_image = faces_per_image

    def settings(self):
        return {"detector": "counting", "faces": self.faces_per_image}

    def detect(self, images):
        self.calls += 1
        self.images += len(images)
        out = []
        for im in images:
            marks = template(min(im.shape[:2]))
            face = Face((0.0, 0.0, float(im.shape[1]), float(im.shape[0])), 0.99, tuple(map(tuple, marks)))
            out.append([face] * self.faces_per_image)
        return out


def make_images(folder: Path, count: int) -> list[tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(count):
        Image.fromarray(photo(60, 50, seed=i)).save(folder / f"{i:03d}.png")
        items.append((folder / f"{i:03d}.png", f"p{i % 4}"))
    return items


def test_second_run_detects_nothing_and_gives_the_same_crops(tmp_path):
    items = make_images(tmp_path / "img", 10)
    detector = CountingDetector()
    pre = Preprocessor(detector, cache_dir=str(tmp_path / "cache"), batch_size=4, progress=False)
    first = pre.run(items, 32)
    assert detector.images == 10 and pre.detected == 10 and pre.cached == 0
    second = pre.run(items, 32)
    assert detector.images == 10 and pre.detected == 0 and pre.cached == 10
    for a, b in zip(first, second, strict=True):
        assert a.status == b.status == "ok" and a.used and np.array_equal(a.crop, b.crop)
        assert a.crop.shape == (32, 32, 3) and a.crop.dtype == np.uint8


def test_undecodable_files_are_tried_again_on_the_next_run(tmp_path, monkeypatch):
    import facecompare.data.preprocess as preprocess_module
    from facecompare.data.images import ImageError

    items = make_images(tmp_path / "img", 3)
    decode = preprocess_module.decode_rgb

    def no_decoder_for_the_first(data, *args):
        if data == items[0][0].read_bytes():
            raise ImageError("unreadable", "not an image PIL can read (unknown or corrupt format)")
        return decode(data, *args)

    monkeypatch.setattr(preprocess_module, "decode_rgb", no_decoder_for_the_first)
    pre = Preprocessor(CountingDetector(), cache_dir=str(tmp_path / "cache"), progress=False)
    assert [r.status for r in pre.run(items, 32)] == ["unreadable", "ok", "ok"]
    monkeypatch.setattr(preprocess_module, "decode_rgb", decode)  # e.g. HEIC support installed since
    again = pre.run(items, 32)
    assert [r.status for r in again] == ["ok", "ok", "ok"] and again[0].used and pre.cached == 2


def test_new_size_rewarps_without_detecting_and_new_detector_settings_detect(tmp_path):
    items = make_images(tmp_path / "img", 6)
    detector = CountingDetector()
    pre = Preprocessor(detector, cache_dir=str(tmp_path / "cache"), progress=False)
    pre.run(items, 32)
    bigger = pre.run(items, 48)
    assert detector.images == 6 and pre.cached == 0 and bigger[0].crop.shape == (48, 48, 3)
    pre2 = Preprocessor(CountingDetector(faces_per_image=2), cache_dir=str(tmp_path / "cache"), progress=False)
    pre2.run(items, 32)
    assert pre2.detector.images == 6


def test_policy_change_reuses_detections(tmp_path):
    items = make_images(tmp_path / "img", 4)
    detector = CountingDetector(faces_per_image=2)
    Preprocessor(detector, cache_dir=str(tmp_path / "c"), progress=False).run(items, 32)
    skip = Preprocessor(detector, cache_dir=str(tmp_path / "c"), several_faces="skip", progress=False)
    records = skip.run(items, 32)
    assert detector.images == 4 and skip.detected == 0
    assert {(r.status, r.used) for r in records} == {("several_faces", False)}


def test_content_not_path_is_the_key(tmp_path):
    items = make_images(tmp_path / "img", 3)
    copy = tmp_path / "elsewhere.png"
    copy.write_bytes(items[0][0].read_bytes())
    detector = CountingDetector()
    pre = Preprocessor(detector, cache_dir=str(tmp_path / "cache"), progress=False)
    pre.run(items, 32)
    pre.run([(copy, "x")], 32)
    assert detector.images == 3 and pre.cached == 1


def test_without_cache_nothing_is_written(tmp_path):
    items = make_images(tmp_path / "img", 3)
    pre = Preprocessor(CountingDetector(), cache_dir=None, progress=False)
    assert all(r.used for r in pre.run(items, 32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img"]


KILLED_RUN = """
import sys, time
sys.path[:0] = [{tests!r}, {tests_root!r}]
from test_preprocess import CountingDetector, make_images
from facecompare.data.preprocess import Preprocessor
from pathlib import Path

class Slow(CountingDetector):
    thread_safe = {threads}

    def detect(self, images):
        time.sleep(0.05)
        return super().detect(images)

items = make_images(Path({img!r}), 200)
print("ready", flush=True)
Preprocessor(Slow(), cache_dir={cache!r}, batch_size=2, workers={workers}, progress=False).run(items, 32)
"""


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 3])
def test_a_killed_run_leaves_a_valid_partial_cache(tmp_path, workers):
    code = KILLED_RUN.format(
        threads=workers > 1,
        workers=workers,
        tests=str(Path(__file__).parent),
        tests_root=str(Path(__file__).parents[1]),
        img=str(tmp_path / "img"),
        cache=str(tmp_path / "c"),
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    store = tmp_path / "c" / "crops"

    def entries() -> list[Path]:
        # a write cut by the kill leaves ``.tmp-<random>.json``, which is not an entry
        return [p for p in store.rglob("*.json") if not is_temporary(p)]

    deadline = time.time() + 60
    while time.time() < deadline and len(entries()) < 20:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = entries()
    assert 20 <= len(done) < 200, "the run should have been killed half-way"
    crop_key = done[0].parent.parent.name
    cache = CropStore(tmp_path / "c")
    for path in done:
        record, crop = cache.get_outcome(crop_key, path.stem)
        assert record["status"] == "ok" and crop.shape == (32, 32, 3)
    items = [(tmp_path / "img" / f"{i:03d}.png", f"p{i % 4}") for i in range(200)]
    detector = CountingDetector()
    resumed = Preprocessor(detector, cache_dir=str(tmp_path / "c"), progress=False).run(items, 32)
    assert detector.images <= 200 - len(done) + 2 * (workers + 1)  # at most the batches in flight are redone
    fresh = Preprocessor(CountingDetector(), cache_dir=None, progress=False).run(items, 32)
    assert all(np.array_equal(a.crop, b.crop) for a, b in zip(resumed, fresh, strict=True))


@pytest.mark.parametrize("bad_margin", [-0.5])
def test_bad_settings_are_config_errors(bad_margin):
    from facecompare.errors import ConfigError

    with pytest.raises(ConfigError, match="margin"):
        Preprocessor(CountingDetector(), margin=bad_margin)


class ThreadedCounting(CountingDetector):
    thread_safe = True

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def detect(self, images):
        time.sleep(0.01)  # let batches overlap
        with self.lock:
            self.threads.add(threading.current_thread().name)
            return super().detect(images)


def test_workers_detect_in_threads_and_give_the_serial_result_in_order(tmp_path):
    items = make_images(tmp_path / "img", 23)
    threads_before = torch.get_num_threads()
    detector = ThreadedCounting()
    pre = Preprocessor(detector, cache_dir=str(tmp_path / "cache"), batch_size=3, workers=3, progress=False)
    threaded = pre.run(items, 32)
    assert detector.images == 23 and pre.detected == 23 and len(detector.threads) > 1
    assert all(name.startswith("facecompare-detect") for name in detector.threads)
    assert torch.get_num_threads() == threads_before  # the workers' single-thread setting is undone
    serial = Preprocessor(CountingDetector(), cache_dir=None, batch_size=3, workers=1, progress=False).run(items, 32)
    assert [r.path for r in threaded] == [p for p, _ in items]
    assert all(np.array_equal(a.crop, b.crop) and a.status == b.status for a, b in zip(threaded, serial, strict=True))
    again = Preprocessor(detector, cache_dir=str(tmp_path / "cache"), batch_size=3, workers=3, progress=False)
    assert [r.status for r in again.run(items, 32)] == [r.status for r in serial] and again.detected == 0


def test_worker_settings():
    from facecompare.errors import ConfigError

    assert Preprocessor(CountingDetector()).workers == 1  # auto: not thread-safe, so no threads
    assert Preprocessor(ThreadedCounting()).workers == 1  # the base class's default_workers()

    class Parallel(ThreadedCounting):
        def default_workers(self):
            return 3

    assert Preprocessor(Parallel()).workers == 3
    for bad in (0, -1, "many", 1.5):
        with pytest.raises(ConfigError, match="workers"):
            Preprocessor(ThreadedCounting(), workers=bad)
    with pytest.raises(ConfigError, match="CountingDetector runs in one thread"):
        Preprocessor(CountingDetector(), workers=2)


@pytest.fixture(scope="module")
def mtcnn():
    from facecompare.data.detection import MTCNNDetector

    return MTCNNDetector(device="cpu", min_face_size=40)


def test_a_resumed_run_makes_the_crops_and_detections_of_a_fresh_one(photos, mtcnn, tmp_path):
    """The cache decides which photos a resumed run detects together: in batches, MTCNN pads them to the largest
    and its sums round with the batch's size, which moved landmarks and hence crops by a run's history."""
    half = tmp_path / "half.png"
    Image.open(photos / "astronaut.jpg").reduce(2).save(half)
    names = ["astronaut.jpg", "mirrored.jpg", "cropped.png", half, "blank.png", "notes.jpg"]
    items = [(photos / name, "a") for name in names]
    killed = Preprocessor(mtcnn, cache_dir=str(tmp_path / "resumed"), progress=False)
    killed.run(items[:3], 32)
    # killed after storing cropped.png's detections and before its crop
    crop_key = settings_key(killed.settings(32))
    digest = content_hash(items[2][0].read_bytes())
    killed.store.outcome_path(crop_key, digest).unlink()
    resumed = killed.run(items, 32)
    fresh_pre = Preprocessor(mtcnn, cache_dir=str(tmp_path / "fresh"), progress=False)
    fresh = fresh_pre.run(items, 32)
    assert [r.status for r in fresh] == ["ok", "ok", "ok", "ok", "no_face", "unreadable"]
    assert [r.status for r in resumed] == [r.status for r in fresh]
    differ = [a.path.name for a, b in zip(resumed, fresh, strict=True) if a.used and not np.array_equal(a.crop, b.crop)]
    assert differ == []
    detector_key = settings_key(mtcnn.settings())
    for path, _ in items[:5]:
        digest = content_hash(path.read_bytes())
        assert killed.store.get_detection(detector_key, digest) == fresh_pre.store.get_detection(detector_key, digest)
    # every file in exactly one of the summary's buckets: the re-cropped one too
    made = summary(resumed).split("; ")[-1]
    assert made == "2 processed now, 1 cropped from cached detections, 2 from the cache, 1 not processed"
    assert sum(int(part.split()[0]) for part in made.split(", ")) == len(items)


def test_the_dlib_layout_is_its_own_cache_key_and_the_default_keeps_the_old_one(tmp_path):
    from facecompare.errors import ConfigError

    detector = CountingDetector()
    arcface = Preprocessor(detector, cache_dir=None, progress=False)
    dlib = Preprocessor(detector, cache_dir=None, alignment="dlib", progress=False)
    assert "alignment" not in arcface.settings(64)  # crops cached before layouts existed stay valid
    assert dlib.settings(64)["alignment"] == "dlib"
    assert settings_key(dlib.settings(64)) != settings_key(arcface.settings(64))
    with pytest.raises(ConfigError, match=r"data\.alignment must be one of"):
        Preprocessor(detector, cache_dir=None, alignment="mtcnn")


def test_crops_made_before_a_template_was_refined_are_not_taken_for_todays(monkeypatch):
    from facecompare.data import alignment

    dlib = Preprocessor(CountingDetector(), cache_dir=None, alignment="dlib", progress=False)
    before = settings_key(dlib.settings(64))
    monkeypatch.setitem(alignment.TEMPLATES, "dlib", np.add(alignment.TEMPLATES["dlib"], [0.5, 0.0]))
    assert settings_key(dlib.settings(64)) != before
