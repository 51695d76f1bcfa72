"""scripts/align.py's work: a copy of the data holding its aligned crops, which trains like the original."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from badfiles import photo
from lfw_fakes import write_view1
from PIL import Image

from facecompare.data.aligned_copy import MANIFEST_FILE, SETTINGS_FILE, check_aligned_copy, write_aligned_copy
from facecompare.data.detection import HaarDetector, NoDetector
from facecompare.data.manifest import read_manifest
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.folder import FolderSource
from facecompare.data.sources.lfw import LFWSource
from facecompare.data.sources.synthetic import SyntheticSource
from facecompare.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SIZE = 32


def pre() -> Preprocessor:
    return Preprocessor(NoDetector(), cache_dir=None, progress=False)


@pytest.fixture
def people(tmp_path) -> Path:
    root = tmp_path / "people"
    for p, name in enumerate(["Ann", "Bo", "Cy"]):
        (root / name).mkdir(parents=True)
        Image.fromarray(photo(50, 40, seed=10 * p)).save(root / name / "a.jpg", quality=95)
        Image.fromarray(photo(40, 40, seed=10 * p + 1)).save(root / name / "b.png")
        Image.fromarray(photo(45, 45, seed=10 * p + 2)).save(root / name / "c.bmp")
    (root / "Bo" / "broken.jpg").write_text("not a picture")
    (root / "pairs.txt").write_text("1\nAnn\t1\t2\n")
    return root


def crops_by_name(source: FolderSource, root: Path) -> dict[str, np.ndarray]:
    source.build(SIZE, 3)
    return {str(r.path.relative_to(root)): r.crop for r in source.records if r.used}


def test_folder_copy_keeps_the_layout_and_the_crops(people, tmp_path):
    out = tmp_path / "aligned"
    summary = write_aligned_copy(FolderSource(str(people), preprocess=pre()), out, SIZE)

    assert summary["written"] == 9 and summary["left_out"] == {"unreadable": 1}
    assert json.loads((out / SETTINGS_FILE).read_text()) == summary
    assert summary["preprocessing"]["size"] == SIZE and summary["preprocessing"]["detector"] == "none"
    assert (out / "pairs.txt").read_text() == "1\nAnn\t1\t2\n"
    assert not (out / "Bo" / "broken.jpg").exists()
    rows = {r["path"]: r["status"] for r in read_manifest(out / MANIFEST_FILE)}
    assert rows["Bo/broken.jpg"] == "unreadable" and rows["Ann/a.jpg"] == "ok"
    # the format follows the name; a name no writer knows gets ".png" added
    assert Image.open(out / "Ann" / "a.jpg").format == "JPEG"
    assert Image.open(out / "Ann" / "b.png").format == "PNG"
    assert Image.open(out / "Ann" / "c.bmp.png").format == "PNG"

    original = crops_by_name(FolderSource(str(people), preprocess=pre()), people)
    copied = crops_by_name(FolderSource(str(out), preprocess=pre()), out)
    assert len(copied) == 9
    for name, crop in original.items():
        again = copied[name + ".png" if name.endswith(".bmp") else name]
        if name.endswith(".jpg"):
            # random-noise pictures are JPEG's worst case; faces lose far less
            assert np.abs(again.astype(int) - crop).mean() < 12
        else:
            np.testing.assert_array_equal(again, crop)  # lossless, and detector=none keeps a square crop as is


def test_the_copy_can_be_read_by_other_users(people, tmp_path, set_umask):
    set_umask(0o022)
    out = tmp_path / "aligned"
    write_aligned_copy(FolderSource(str(people), preprocess=pre()), out, SIZE)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {out / SETTINGS_FILE, out / MANIFEST_FILE, out / "pairs.txt", out / "Ann" / "a.jpg"} <= set(files)
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {p.name: "0o644" for p in files}


def test_lower_quality_gives_smaller_files(people, tmp_path):
    high = write_aligned_copy(FolderSource(str(people), preprocess=pre()), tmp_path / "q95", SIZE, quality=95)
    low = write_aligned_copy(FolderSource(str(people), preprocess=pre()), tmp_path / "q50", SIZE, quality=50)
    assert low["bytes"] < high["bytes"]
    assert (tmp_path / "q50" / "Ann" / "b.png").read_bytes() == (tmp_path / "q95" / "Ann" / "b.png").read_bytes()


def test_running_again_mends_and_updates_the_copy(people, tmp_path):
    out = tmp_path / "aligned"
    write_aligned_copy(FolderSource(str(people), preprocess=pre()), out, SIZE)
    first = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # what a killed run leaves: a file in the middle of being written, the marker of an unfinished copy
    (out / "Ann" / ".tmp-x1y2.jpg").write_bytes(b"half a file")
    (out / ".tmp-a1b2.json").write_bytes(b'{"compl')  # of aligned.json
    (out / ".tmp-c3d4.csv").write_bytes(b"path,per")  # of aligned_manifest.csv
    (out / SETTINGS_FILE).write_text(json.dumps({"complete": False, "image_size": SIZE}))
    with pytest.raises(ConfigError, match=r"not finished: run scripts/align\.py again"):
        FolderSource(str(out), preprocess=pre()).build(SIZE, 3)
    summary = write_aligned_copy(FolderSource(str(people), preprocess=pre()), out, SIZE)
    again = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert again.keys() == first.keys()
    assert all(again[p] == first[p] for p in first if p.name != SETTINGS_FILE)
    assert summary["removed_temporary"] == 3 and summary["removed_stale"] == 0 and summary["complete"] is True

    (people / "Cy" / "a.jpg").unlink()  # a photo deleted since: its crop goes too, nothing else changes
    summary = write_aligned_copy(FolderSource(str(people), preprocess=pre()), out, SIZE)
    assert summary["removed_stale"] == 1 and summary["removed_temporary"] == 0 and summary["written"] == 8
    assert not (out / "Cy" / "a.jpg").exists() and (out / "Cy" / "b.png").read_bytes() == first[out / "Cy" / "b.png"]


def test_lfw_copy_builds_the_same_splits(tmp_path):
    root = tmp_path / "lfw"
    write_view1(root, images_dir="lfw-deepfunneled")
    for i, f in enumerate(sorted(root.rglob("*.jpg"))):
        Image.fromarray(photo(48, 48, seed=i)).save(f, "JPEG")
    out = tmp_path / "lfw-aligned"
    summary = write_aligned_copy(LFWSource(str(root), val_pairs=2, preprocess=pre()), out, SIZE)

    assert summary["left_out"] == {}
    for name in ("pairsDevTrain.txt", "pairsDevTest.txt", "peopleDevTrain.txt", "peopleDevTest.txt"):
        assert (out / name).read_bytes() == (root / name).read_bytes()
    assert (out / "lfw-deepfunneled" / "Big_Boss" / "Big_Boss_0010.jpg").is_file()
    before = LFWSource(str(root), val_pairs=2, preprocess=pre()).build(SIZE, 3)
    after = LFWSource(str(out), val_pairs=2, preprocess=pre()).build(SIZE, 3)
    for split in ("train", "val", "test"):
        a, b = getattr(before, split), getattr(after, split)
        assert a.names == b.names
        np.testing.assert_array_equal(a.labels, b.labels)
        assert a.images.shape == b.images.shape
    np.testing.assert_array_equal(before.val_pairs, after.val_pairs)
    np.testing.assert_array_equal(before.test_pairs, after.test_pairs)


def test_refuses_what_it_cannot_copy(people, tmp_path):
    with pytest.raises(ConfigError, match="not read from image files"):
        write_aligned_copy(SyntheticSource(num_identities=20, images_per_identity=2), tmp_path / "out", SIZE)
    with pytest.raises(ConfigError, match="overlaps"):
        write_aligned_copy(FolderSource(str(people), preprocess=pre()), people / "aligned", SIZE)
    with pytest.raises(ConfigError, match="overlaps"):
        write_aligned_copy(FolderSource(str(people / "Ann"), preprocess=pre()), people, SIZE)
    with pytest.raises(ConfigError, match=r"quality must be 1\.\.100"):
        write_aligned_copy(FolderSource(str(people), preprocess=pre()), tmp_path / "out", SIZE, quality=0)
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="is a file"):
        write_aligned_copy(FolderSource(str(people), preprocess=pre()), tmp_path / "file", SIZE)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "holiday.jpg").write_bytes(b"a user's file")  # never overwritten or removed
    with pytest.raises(ConfigError, match="holds other files"):
        write_aligned_copy(FolderSource(str(people), preprocess=pre()), tmp_path / "mine", SIZE)
    assert not (tmp_path / "out").exists() and (tmp_path / "mine" / "holiday.jpg").read_bytes() == b"a user's file"


def test_a_copy_is_not_detected_again(people, tmp_path, caplog):
    out = tmp_path / "aligned"
    write_aligned_copy(FolderSource(str(people), preprocess=pre()), out, SIZE)
    haar = FolderSource(str(out), preprocess=Preprocessor(HaarDetector(), cache_dir=None, progress=False))
    with pytest.raises(ConfigError, match=r"is an aligned copy .* add detector=none"):
        haar.build(SIZE, 3)
    centre = FolderSource(str(out), preprocess=Preprocessor(NoDetector(center=0.5), cache_dir=None, progress=False))
    must_be_whole = r"with detector=none, detector\.center must be 1 \(the whole image\), got 0\.5"
    with pytest.raises(ConfigError, match=rf"is an aligned copy .*: {must_be_whole}") as err:
        centre.build(SIZE, 3)
    assert "add detector=none" not in str(err.value)  # it has detector=none already
    FolderSource(str(out), preprocess=pre()).build(SIZE, 3)
    assert "resizes" not in caplog.text
    FolderSource(str(out), preprocess=pre()).build(48, 3)
    assert f"holds {SIZE} px aligned crops; data.image_size=48 resizes them" in caplog.text
    # evaluation and the audit read data.root through the same check
    with pytest.raises(ConfigError, match="is an aligned copy"):
        check_aligned_copy(out, Preprocessor(HaarDetector(), cache_dir=None, progress=False), SIZE)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / SETTINGS_FILE).write_text("[1, 2]")  # another tool's file of that name: not a copy
    check_aligned_copy(tmp_path / "other", Preprocessor(HaarDetector(), cache_dir=None, progress=False), SIZE)


def align(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/align.py"), "detector=none", "data.image_size=32", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_script_writes_the_copy_and_says_how_to_train_on_it(people, tmp_path):
    out = tmp_path / "aligned"
    run = align(
        f"data.root={people}", f"out_dir={out}", f"paths.cache_dir={tmp_path / 'cache'}",
        f"hydra.run.dir={tmp_path / 'run'}",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "9 crops of 32 px" in run.stdout and "1 unreadable" in run.stdout
    assert f"detector=none data.root={out}" in run.stdout
    assert (out / "Cy" / "b.png").is_file()
    assert "removed" not in run.stdout
    (people / "Cy" / "b.png").unlink()
    (out / ".tmp-0a1b2c3d.json").write_text('{"compl')  # an interrupted run's aligned.json
    run = align(
        f"data.root={people}", f"out_dir={out}", f"paths.cache_dir={tmp_path / 'cache'}",
        f"hydra.run.dir={tmp_path / 'run2'}",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "removed:      1 crop(s) of an earlier copy whose photos are gone" in run.stdout
    assert "removed:      1 temporary file(s) left by an interrupted run" in run.stdout
    assert not (out / ".tmp-0a1b2c3d.json").exists() and not (out / "Cy" / "b.png").exists()
