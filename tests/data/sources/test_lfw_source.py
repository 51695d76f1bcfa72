"""LFWSource on a tiny LFW copy in the official formats, with real (random) pictures."""

from pathlib import Path

import numpy as np
import pytest
from badfiles import photo
from lfw_fakes import write_view1, write_view2
from PIL import Image

from facecompare.data.detection import NoDetector
from facecompare.data.manifest import read_manifest
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.lfw import LFWSource
from facecompare.errors import ConfigError


def fill_with_pictures(images: Path) -> None:
    for i, f in enumerate(sorted(images.rglob("*.jpg"))):
        Image.fromarray(photo(60, 60, seed=i)).save(f, "JPEG")


def names_of(faces) -> set[str]:
    return {faces.names[i] for i in np.unique(faces.labels)}


def source(root: Path, tmp_path: Path, **kwargs) -> LFWSource:
    pre = Preprocessor(NoDetector(), cache_dir=str(tmp_path / "cache"), progress=False)
    return LFWSource(str(root), preprocess=pre, manifest_file=str(tmp_path / "manifest.csv"), **kwargs)


def test_view1_uses_the_protocol_pairs_and_keeps_people_apart(tmp_path):
    layout = write_view1(tmp_path / "lfw")
    fill_with_pictures(layout.images)
    faces = source(tmp_path / "lfw", tmp_path, val_pairs=2).build(32, 3)
    train, val, test = names_of(faces.train), names_of(faces.val), names_of(faces.test)
    assert not (train & val or train & test or val & test)
    assert test == {"Tia_Tan", "Tom_To", "Tod_Ty"}
    assert faces.test_pairs.shape == (4, 3) and faces.test_pairs[:, 2].tolist() == [1, 1, 0, 0]
    assert faces.val_pairs.shape == (2, 3) and sorted(faces.val_pairs[:, 2].tolist()) == [0, 1]
    for fs, rows in ((faces.val, faces.val_pairs), (faces.test, faces.test_pairs)):
        same = fs.labels[rows[:, 0]] == fs.labels[rows[:, 1]]
        assert np.array_equal(same, rows[:, 2] == 1)
    assert faces.train.images.shape[1:] == (3, 32, 32)
    rows = read_manifest(tmp_path / "manifest.csv")
    assert {r["status"] for r in rows} == {"ok"} and len(rows) == len(faces.train) + len(faces.val) + len(faces.test)


def test_unreadable_pair_image_is_reported_and_its_pairs_left_out(tmp_path, caplog):
    layout = write_view1(tmp_path / "lfw")
    fill_with_pictures(layout.images)
    (layout.images / "Tom_To" / "Tom_To_0001.jpg").write_bytes(b"")  # in both mismatched test pairs
    with caplog.at_level("WARNING"):
        faces = source(tmp_path / "lfw", tmp_path, val_pairs=2).build(32, 3)
    assert faces.test_pairs.shape == (2, 3) and faces.test_pairs[:, 2].tolist() == [1, 1]
    assert "2 of 4 test pairs left out" in caplog.text
    rows = {r["path"]: r for r in read_manifest(tmp_path / "manifest.csv")}
    assert rows["Tom_To/Tom_To_0001.jpg"]["status"] == "unreadable"


def test_view2_folds(tmp_path):
    layout = write_view2(tmp_path / "lfw")
    fill_with_pictures(layout.images)
    faces = source(tmp_path / "lfw", tmp_path, view="view2", test_fold=1).build(32, 3)
    assert names_of(faces.test) == {"Quin_Ames", "Qia_Bo", "Qu_Cy"}
    assert names_of(faces.val) == {"Rob_Ames", "Ria_Bo", "Ru_Cy"}
    assert names_of(faces.train) <= {"Pat_Ames", "Pia_Bo", "Pru_Cy"}


def test_split_settings_name_what_decides_the_split(tmp_path):
    # recorded in split.json: view1 draws its validation pairs with the seed, view2's folds need none
    view1 = LFWSource(str(tmp_path), val_pairs=2, seed=4)
    assert view1.split_settings() == {"view": "view1", "val_pairs": 2, "seed": 4}
    view2 = LFWSource(str(tmp_path), view="view2", test_fold=3, seed=4)
    assert view2.split_settings() == {"view": "view2", "test_fold": 3, "val_fold": None}


def test_missing_tree_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match=r"data\.source\.download=true"):
        LFWSource(str(tmp_path / "nothing")).build(32, 3)
    with pytest.raises(ConfigError, match="view1 or view2"):
        LFWSource(str(tmp_path), view="view3")


def test_trains_through_the_config(tmp_path, make_cfg):
    from facecompare.training.train import train

    layout = write_view1(tmp_path / "lfw")
    fill_with_pictures(layout.images)
    cfg = make_cfg(
        "data=lfw",
        f"data.root={tmp_path / 'lfw'}",
        "data.source.val_pairs=2",
        "data.image_size=32",
        "detector=none",
        "+trainer.fast_dev_run=true",
    )
    metrics = train(cfg)
    assert np.isfinite(metrics["train/loss"])


@pytest.mark.slow
def test_pk_batches_take_single_image_people_as_negatives_when_asked(tmp_path, make_cfg, caplog):
    from hydra.utils import instantiate

    layout = write_view1(tmp_path / "lfw")
    fill_with_pictures(layout.images)
    overrides = ["data=lfw", f"data.root={tmp_path / 'lfw'}", "data.source.val_pairs=2", "data.image_size=32"]
    overrides += ["detector=none", "data/sampler=pk", "data.sampler.p=2", "data.sampler.k=2"]
    plain = instantiate(make_cfg(*overrides).data)
    plain.setup("fit")
    labels = plain.faces.train.labels
    _, counts = np.unique(labels, return_counts=True)
    singles = int((counts == 1).sum())
    assert singles >= 1, "the fake View 1 needs a training person with one image"
    with caplog.at_level("INFO"):
        _, plain_labels = next(iter(plain.train_dataloader()))
    assert f"{singles} training identities with a single image are left out" in caplog.text
    assert len(plain_labels) == 4
    asked = instantiate(make_cfg(*overrides, "data.sampler.singles=1").data)
    asked.setup("fit")
    _, batch_labels = next(iter(asked.train_dataloader()))
    ids, per_id = np.unique(batch_labels.numpy(), return_counts=True)
    assert len(batch_labels) == 5 and sorted(per_id.tolist()) == [1, 2, 2]
    assert counts[np.searchsorted(np.unique(labels), ids[per_id == 1])][0] == 1
