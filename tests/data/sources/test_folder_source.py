"""A messy phone-photo tree: every bad-input case is counted in the manifest and nothing crashes."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from badfiles import photo, write_bad_files
from PIL import Image

from facecompare.data.detection import NoDetector
from facecompare.data.manifest import read_manifest
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.folder import FolderSource
from facecompare.errors import ConfigError


def person(root: Path, name: str, count: int, seed: int = 0) -> None:
    (root / name).mkdir(parents=True)
    for i in range(count):
        Image.fromarray(photo(50, 40, seed=seed * 100 + i)).save(root / name / f"img {i}.jpg")


@pytest.fixture
def tree(tmp_path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "people"
    for i, name in enumerate(["Ann Lee", "Björk", "陳大文", "Dan", "Eve", "Finn"]):
        person(root, name, 4, seed=i)
    expected = {f"Dan/{k}": v for k, v in write_bad_files(root / "Dan").items()}
    person(root, "Solo", 1, seed=9)  # one image: only ever in impostor pairs
    (root / "Empty").mkdir()
    (root / "Finn" / "2023 trip").mkdir()  # phone exports nest folders
    Image.fromarray(photo(50, 40, seed=77)).save(root / "Finn" / "2023 trip" / "beach.png")
    (root / "Eve" / "link.jpg").symlink_to(root / "Ann Lee" / "img 0.jpg")
    (root / "Eve" / "dangling.jpg").symlink_to(root / "nowhere.jpg")
    (root / "Gus").symlink_to(root / "Ann Lee", target_is_directory=True)
    Image.fromarray(photo(50, 40, seed=5)).save(root / "loose.jpg")
    (root / "README.txt").write_text("photos of the team\n")
    return root, expected


def build(root: Path, tmp_path: Path, **kwargs):
    source = FolderSource(
        str(root),
        split={"train": 0.6, "val": 0.2, "test": 0.2},
        preprocess=Preprocessor(NoDetector(), cache_dir=str(tmp_path / "cache"), progress=False),
        manifest_file=str(tmp_path / "run" / "manifest.csv"),
        **kwargs,
    )
    return source, source.build(32, 3)


def test_every_file_is_in_the_manifest_with_its_outcome(tree, tmp_path):
    root, expected = tree
    _source, _faces = build(root, tmp_path)
    rows = {r["path"]: r for r in read_manifest(tmp_path / "run" / "manifest.csv")}
    for path, status in expected.items():
        assert rows[path]["status"] == status, (path, rows[path])
        assert rows[path]["used"] == ("yes" if status == "ok" else "no")
    assert rows["Empty"]["status"] == "empty_folder"
    assert rows["loose.jpg"]["status"] == "skipped" and "person folder" in rows["loose.jpg"]["detail"]
    assert rows["Eve/dangling.jpg"]["status"] == "unreadable" and "symlink" in rows["Eve/dangling.jpg"]["detail"]
    assert rows["Eve/link.jpg"]["used"] == "yes" and rows["Finn/2023 trip/beach.png"]["used"] == "yes"
    assert rows["Gus/img 3.jpg"]["used"] == "yes"
    assert "Dan/notes.txt" not in rows and "Dan/.DS_Store" not in rows and "README.txt" not in rows
    # nothing silently lost: every file on disk that is not clearly a non-image has a row
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()} - {"Gus"}
    ignored = {"Dan/notes.txt", "Dan/.DS_Store", "README.txt"}
    assert on_disk - ignored <= set(rows) | {f"Gus/img {i}.jpg" for i in range(4)}


def test_faces_and_identities(tree, tmp_path):
    root, expected = tree
    _source, faces = build(root, tmp_path)
    used_dan = sum(1 for v in expected.values() if v == "ok")
    everyone = {
        **{n: 4 for n in ["Ann Lee", "Björk", "陳大文", "Eve", "Gus"]},
        "Finn": 5,
        "Solo": 1,
        "Dan": 4 + used_dan,
    }
    everyone["Eve"] += 1  # the symlinked photo
    total = sum(len(s) for s in (faces.train, faces.val, faces.test))
    assert total == sum(everyone.values())
    names = [set(s.names[i] for i in np.unique(s.labels)) for s in (faces.train, faces.val, faces.test)]
    assert set().union(*names) == set(everyone)
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    assert faces.train.images.dtype == torch.uint8 and faces.train.images.shape[1:] == (3, 32, 32)


def test_second_build_is_all_cache_hits(tree, tmp_path):
    root, _ = tree
    source, _ = build(root, tmp_path)
    first_detected = source.preprocess.detected
    source2, _ = build(root, tmp_path)
    assert first_detected > 0 and source2.preprocess.detected == 0


def test_summary_line_is_logged(tree, tmp_path, caplog):
    root, _ = tree
    with caplog.at_level("INFO"):
        build(root, tmp_path)
    line = next(r.getMessage() for r in caplog.records if "files:" in r.getMessage())
    assert "unreadable" in line and "too small" in line and "empty folder" in line and "manifest.csv" in line


def test_not_enough_people(tmp_path):
    person(tmp_path / "p", "only", 3)
    with pytest.raises(ConfigError, match="usable faces of 1 people"):
        FolderSource(str(tmp_path / "p")).build(32, 3)
    with pytest.raises(ConfigError, match="is not a folder"):
        FolderSource(str(tmp_path / "missing"))


def test_split_file_records_people(tree, tmp_path, make_cfg):
    from hydra.utils import instantiate

    root, _ = tree
    cfg = make_cfg(
        "data=folder", f"data.root={root}", "data.image_size=32", "detector=none", f"paths.cache_dir={tmp_path / 'c'}"
    )
    dm = instantiate(cfg.data)
    dm.setup("fit")
    split = json.loads(Path(cfg.data.split_file).read_text())
    assert sum(len(v) for v in split["split"].values()) == 8  # "Empty" has no faces
    assert (Path(cfg.paths.output_dir) / "manifest.csv").is_file()


def test_file_list_keeps_only_listed_files_and_reports_the_rest(tmp_path):
    root = tmp_path / "people"
    for i, name in enumerate(["Ann", "Bob", "Cy"]):
        person(root, name, 3, seed=i)
    (tmp_path / "keep.txt").write_text("# written by scripts/audit.py\nAnn/img 0.jpg\nAnn/img 1.jpg\nBob/img 2.jpg\n"
                                       "Cy/img 0.jpg\nCy/img 1.jpg\n")  # fmt: skip
    build(root, tmp_path, file_list=str(tmp_path / "keep.txt"))
    rows = read_manifest(tmp_path / "run" / "manifest.csv")
    assert len(rows) == 9  # every file is accounted for
    excluded = sorted(r["path"] for r in rows if r["status"] == "excluded")
    assert excluded == ["Ann/img 2.jpg", "Bob/img 0.jpg", "Bob/img 1.jpg", "Cy/img 2.jpg"]
    assert all(r["used"] == "no" and r["detail"] == "not in keep.txt" for r in rows if r["status"] == "excluded")
    assert sum(r["used"] == "yes" for r in rows) == 5
    (tmp_path / "stale.txt").write_text("Ann/img 0.jpg\nDee/img 0.jpg\n")
    with pytest.raises(ConfigError, match=r"stale\.txt: 1 listed file\(s\) are not under .*'Dee/img 0\.jpg'"):
        build(root, tmp_path, file_list=str(tmp_path / "stale.txt"))
