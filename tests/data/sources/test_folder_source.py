"""A messy phone-photo tree: every bad-input case is counted in the manifest and nothing crashes."""

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from badfiles import photo, write_bad_files
from hydra.utils import instantiate
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
    (root / "Eve" / "link.jpg").symlink_to(root / "Eve" / "img 0.jpg")
    (root / "Eve" / "dangling.jpg").symlink_to(root / "nowhere.jpg")
    person(tmp_path / "big disk", "Gus", 4, seed=12)  # ln -s "/big disk/Gus" people/Gus
    (root / "Gus").symlink_to(tmp_path / "big disk" / "Gus", target_is_directory=True)
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
    everyone["Eve"] += 1  # the symlink to one of her photos
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


def folder_cfg(make_cfg, root: Path, *overrides: str, run: str = "run"):
    return make_cfg(
        "data=folder", f"data.root={root}", "data.image_size=32", "detector=none", *overrides,
        output_dir=root.parent / run,
    )  # fmt: skip


def setup_split(cfg) -> dict:
    dm = instantiate(cfg.data)
    dm.setup("fit")
    return json.loads(Path(cfg.data.split_file).read_text())


@pytest.mark.slow
def test_split_file_records_people_and_the_seed_that_drew_them(tree, make_cfg):
    root, _ = tree
    cfg = folder_cfg(make_cfg, root, "seed=42", "data.source.seed=3")
    split = setup_split(cfg)
    assert sum(len(v) for v in split["split"].values()) == 8  # "Empty" has no faces
    assert (Path(cfg.paths.output_dir) / "manifest.csv").is_file()
    # the source's seed drew the split; the training seed is kept apart, by its name
    assert split["split_by"] == {"ratios": {"train": 0.8, "val": 0.2, "test": 0.0}, "seed": 3}
    assert split["training_seed"] == 42 and "seed" not in split
    other = setup_split(folder_cfg(make_cfg, root, "seed=7", "data.source.seed=3", run="run7"))
    assert other["split"] == split["split"] and other["training_seed"] == 7


@pytest.mark.slow
def test_the_documented_test_split_overrides_work(tmp_path, make_cfg):
    root = tmp_path / "people"
    for i in range(14):
        person(root, f"p{i:02d}", 2, seed=i)
    default = setup_split(folder_cfg(make_cfg, root))
    assert "test" not in default["split"]  # test: 0 in conf/data/folder.yaml is no test split
    for k, override in enumerate(
        ["data.source.split={train: 0.7, val: 0.15, test: 0.15}", "data.source.split.test=0.15"]
    ):
        split = setup_split(folder_cfg(make_cfg, root, override, run=f"run{k}"))
        assert [len(split["split"][name]) for name in ("train", "val", "test")] == [10, 2, 2]
        assert split["split_by"]["ratios"]["test"] == 0.15
    with pytest.raises(ConfigError, match=r"train and val must be > 0 \(test 0 means none\)"):
        FolderSource(str(root), split={"train": 0.8, "val": 0.0, "test": 0.2})


@pytest.mark.slow
def test_a_split_too_small_for_pairs_fails_before_detection(tmp_path, make_cfg):
    root = tmp_path / "people"
    for i in range(5):
        person(root, f"p{i}", 5, seed=i)
    cfg = folder_cfg(make_cfg, root)
    says = (
        r"the validation split got 1 of the 5 people: its evaluation pairs need 2\+ people, at least one of them "
        r"with 2\+ usable images; add people \(or photos\) to data\.root, or raise data\.source\.split\.val"
    )
    with pytest.raises(ConfigError, match=says):
        instantiate(cfg.data).setup("fit")
    assert not (Path(cfg.paths.output_dir) / "manifest.csv").exists()  # no photo was read
    cfg = folder_cfg(make_cfg, root, "data.source.split={train: 0.6, val: 0.2, test: 0.2}", run="run2")
    with pytest.raises(ConfigError, match=r"the validation split got 1 of the 5 people"):
        instantiate(cfg.data).setup("fit")
    assert setup_split(folder_cfg(make_cfg, root, "data.source.split.val=0.4", run="run3"))["split"]["val"]


def test_a_split_left_too_small_by_detection_fails_right_after_it(tmp_path, make_cfg):
    root = tmp_path / "people"
    for i in range(10):
        person(root, f"p{i}", 2, seed=i)
    for i in range(5):  # half the people have no usable photo: 10 people before detection, 5 after
        for f in (root / f"p{i}").iterdir():
            f.write_text("not a picture")
    cfg = folder_cfg(make_cfg, root)
    with pytest.raises(ConfigError, match=r"the validation split got 1 of the 5 people"):
        instantiate(cfg.data).setup("fit")
    assert (Path(cfg.paths.output_dir) / "manifest.csv").is_file()


def test_hidden_and_system_folders_and_files_are_skipped_and_reported(tmp_path, caplog):
    root = tmp_path / "people"
    for i, name in enumerate(["Ann", "Bob", "Cy"]):
        person(root, name, 3, seed=i)
    for junk in (".ipynb_checkpoints", "@eaDir", ".git", "__MACOSX"):
        person(root, junk, 2, seed=7)  # photos in them would make a person
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    person(root / "Ann", ".ipynb_checkpoints", 1, seed=8)  # a notebook's copies of Ann's photos
    person(root / "Ann", "@eaDir", 1, seed=9)  # Synology's thumbnails
    Image.fromarray(photo(50, 40, seed=10)).save(root / "Bob" / ".hidden.jpg")
    (root / "Bob" / ".DS_Store").write_bytes(b"\0")  # clearly no photo: passed over without a row
    with caplog.at_level("INFO"):
        _source, faces = build(root, tmp_path)
    sets = [s for s in (faces.train, faces.val, faces.test) if s is not None]
    assert {s.names[i] for s in sets for i in np.unique(s.labels)} == {"Ann", "Bob", "Cy"}
    assert sum(len(s) for s in sets) == 9
    rows = read_manifest(tmp_path / "run" / "manifest.csv")
    assert {r["path"]: r["detail"] for r in rows if r["status"] == "skipped"} == {
        ".git": "hidden or system folder, not a person",
        ".ipynb_checkpoints": "hidden or system folder, not a person",
        "@eaDir": "hidden or system folder, not a person",
        "__MACOSX": "hidden or system folder, not a person",
        "Ann/.ipynb_checkpoints": "hidden or system folder",
        "Ann/@eaDir": "hidden or system folder",
        "Bob/.hidden.jpg": "hidden or system file",
    }
    assert all(r["used"] == "no" for r in rows if r["status"] == "skipped") and len(rows) == 9 + 7
    assert "7 skipped" in caplog.text


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


def people_counts(faces) -> dict[str, int]:
    sets = [s for s in (faces.train, faces.val, faces.test) if s is not None]
    return dict(sum((Counter(s.names[i] for i in s.labels.tolist()) for s in sets), Counter()))


def test_links_out_of_a_person_folder_are_not_followed_and_shared_photos_are_left_out(tmp_path, caplog):
    root = tmp_path / "people"
    for i, name in enumerate(["Ann", "Bob", "Cy", "Loop_Person"]):
        person(root, name, 3, seed=i)
    (root / "Loop_Person" / "up_loop").symlink_to("..", target_is_directory=True)  # everyone's photos as hers
    (root / "Loop_Person" / "self").symlink_to(".", target_is_directory=True)
    (root / "Ann" / "bob.jpg").symlink_to(root / "Bob" / "img 0.jpg")
    (root / "Ann" / "again.jpg").symlink_to("img 1.jpg")  # inside her folder: read
    person(tmp_path, "photo library", 1, seed=7)  # a person folder of links into a library elsewhere: read
    (root / "Ann" / "library.jpg").symlink_to(tmp_path / "photo library" / "img 0.jpg")
    (root / "Everyone").symlink_to(".", target_is_directory=True)
    (root / "Bobby").symlink_to("Bob", target_is_directory=True)
    shutil.copy(root / "Cy" / "img 2.jpg", root / "Bob" / "cy.jpg")  # the same photo under two names
    with caplog.at_level("INFO"):
        _source, faces = build(root, tmp_path)
    rows = {r["path"]: r for r in read_manifest(tmp_path / "run" / "manifest.csv")}
    assert {path: r["detail"] for path, r in rows.items() if r["status"] == "skipped"} == {
        "Loop_Person/up_loop": f"symlink to {root.resolve()}, outside Loop_Person/: not followed",
        "Loop_Person/self": "symlink loop: leads back to a folder that holds it",
        "Ann/bob.jpg": f"symlink to {(root / 'Bob' / 'img 0.jpg').resolve()}, outside Ann/: not followed",
        "Everyone": "symlink loop: leads back to the dataset folder",
        "Bobby": "symlink into Bob/, another person's folder",
    }
    assert {path: r["detail"] for path, r in rows.items() if r["status"] == "duplicate"} == {
        "Bob/cy.jpg": "same content as Cy/img 2.jpg of Cy: left out under every name",
        "Cy/img 2.jpg": "same content as Bob/cy.jpg of Bob: left out under every name",
    }
    assert all(r["used"] == "no" for r in rows.values() if r["status"] in ("skipped", "duplicate"))
    assert people_counts(faces) == {"Ann": 5, "Bob": 3, "Cy": 2, "Loop_Person": 3}
    assert rows["Ann/library.jpg"]["used"] == "yes"
    summary = "20 files: 13 used; 13 ok, 5 skipped, 2 duplicate; 15 processed now, 5 not processed"
    assert len(rows) == 20 and summary in caplog.text
    assert "2 files have the same content as a file of another person" in caplog.text
    # a dataset folder that is itself a link (ln -s /big/disk/faces data) reads the same
    (tmp_path / "data").symlink_to(root, target_is_directory=True)
    _source, faces = build(tmp_path / "data", tmp_path)
    assert people_counts(faces) == {"Ann": 5, "Bob": 3, "Cy": 2, "Loop_Person": 3}
