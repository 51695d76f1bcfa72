"""scripts/audit.py's work end to end: a model trained on synthetic people audits a folder of other synthetic
people with a planted mislabel and a planted cross-person duplicate; the clean list then feeds training."""

import json
import shutil
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict
from PIL import Image

from facecompare.data.manifest import read_manifest
from facecompare.data.synthetic import render_dataset
from facecompare.errors import ConfigError
from facecompare.evaluation.audit_folder import audit
from facecompare.training.train import train

CONF = Path(__file__).resolve().parents[2] / "conf"


@pytest.fixture(scope="module")
def model(learned_run, tmp_path_factory):
    """The learning test's model (conftest.learned_run: val AUC 0.94-0.96 on unseen synthetic people), copied
    here: these tests write calibration files beside it, and the shared run must stay as it was trained."""
    import shutil

    own = tmp_path_factory.mktemp("audit_model") / "last.ckpt"
    shutil.copy(learned_run / "checkpoints" / "last.ckpt", own)
    return own


def people(root: Path) -> None:
    """8 people the model never saw, 6 images each; person 500's image 0 filed under 501, and a copy of
    person 502's image 1 filed under 503."""
    images, labels = render_dataset(8, 6, size=32, seed=7, first_identity=500)
    for k, (image, label) in enumerate(zip(images, labels, strict=True)):
        (root / f"person {label}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / f"person {label}" / f"{k % 6}.png")
    shutil.move(root / "person 500" / "0.png", root / "person 501" / "planted.png")
    shutil.copy(root / "person 502" / "1.png", root / "person 503" / "copy.png")


def audit_cfg(tmp_path: Path, *overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("audit", overrides=["detector=none", *overrides])
    with open_dict(cfg):
        cfg.paths.output_dir = str(tmp_path / "audit")
        cfg.paths.cache_dir = str(tmp_path / "cache")
    return cfg


@pytest.mark.slow
def test_planted_mislabel_and_duplicate_are_found(model, tmp_path):
    root = tmp_path / "people"
    people(root)
    result = audit(audit_cfg(tmp_path, f"ckpt={model}", f"data.root={root}"))
    assert result["images"] == 49 and result["images_checked"] == 49 and result["duplicates"] == 1
    suspects = read_manifest(tmp_path / "audit" / "mislabeled.csv")  # a CSV like the manifest
    # the two planted images are the two most suspicious, both flagged; the copy looks like its source
    assert {r["path"] for r in suspects[:2]} == {"person 501/planted.png", "person 503/copy.png"}
    assert all(r["flagged"] == "True" for r in suspects[:2])
    assert next(r for r in suspects if r["path"] == "person 503/copy.png")["looks_like"] == "person 502"
    (dup,) = read_manifest(tmp_path / "audit" / "duplicates.csv")
    assert {dup["path_a"], dup["path_b"]} == {"person 502/1.png", "person 503/copy.png"}
    assert float(dup["pixel_similarity"]) > 0.99
    clean = (tmp_path / "audit" / "clean_files.txt").read_text().splitlines()
    assert len(clean) == result["clean_list_images"] and {"person 501/planted.png", "person 503/copy.png",
                                                          "person 502/1.png"}.isdisjoint(clean)  # fmt: skip
    assert sorted(p.name for p in (root / "person 501").iterdir())[-1] == "planted.png"  # nothing moved

    # training on the clean list: the left-out files are in the run's manifest as excluded, not lost
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import compose_train

    run = tmp_path / "retrain"
    clean_list = tmp_path / "audit" / "clean_files.txt"
    cfg = compose_train(["data=folder", f"data.root={root}", "detector=none", "data.image_size=32",
                         f"data.source.file_list={clean_list}", "+trainer.fast_dev_run=true", "test=false"],
                        run)  # fmt: skip
    train(cfg)
    rows = read_manifest(run / "manifest.csv")
    assert len(rows) == 49 and sum(r["status"] == "excluded" for r in rows) == 49 - len(clean)


@pytest.mark.slow
def test_threshold_comes_from_the_calibration_file_then_the_checkpoint(model, tmp_path):
    root = tmp_path / "people"
    people(root)
    cfg = audit_cfg(tmp_path, f"ckpt={model}", f"data.root={root}", "write_clean_list=false")
    assert audit(cfg)["threshold_from"] == "the checkpoint's validation threshold"
    calibration = model.with_suffix(".threshold.json")
    calibration.write_text(json.dumps({"threshold": 0.99}))
    try:
        result = audit(cfg)
    finally:
        calibration.unlink()
    assert result["threshold"] == 0.99 and result["threshold_from"] == str(calibration)
    assert result["below_threshold"] > 40 and "clean_list" not in result  # nearly everything is below 0.99
    assert audit(audit_cfg(tmp_path, f"ckpt={model}", f"data.root={root}", "threshold=0.1"))["below_threshold"] == 0


def test_bad_input(model, tmp_path):
    with pytest.raises(ConfigError, match="is not a folder"):
        audit(audit_cfg(tmp_path, f"ckpt={model}", f"data.root={tmp_path / 'nowhere'}"))
    (tmp_path / "one" / "solo").mkdir(parents=True)
    with pytest.raises(ConfigError, match="usable faces of 0 people"):
        audit(audit_cfg(tmp_path, f"ckpt={model}", f"data.root={tmp_path / 'one'}"))


@pytest.mark.slow
def test_a_model_that_cannot_score_quality_says_so_and_flags_nothing(model, tmp_path):
    # this small synthetic model puts more than a fifth of its clean crops among their degraded copies' scores
    root = tmp_path / "people"
    people(root)
    result = audit(audit_cfg(tmp_path, f"ckpt={model}", f"data.root={root}"))
    assert result["low_quality"] is None and result["low_quality_below"] is None
    assert (tmp_path / "audit" / "low_quality.csv").read_text() == "path,person,quality\n"


def test_low_quality_images_are_listed_worst_first_below_the_bar():
    import numpy as np

    from facecompare.evaluation.audit_folder import _low_quality
    from facecompare.inference.quality import EmbeddingQuality

    quality = EmbeddingQuality(np.array([1.0, 0.0]), 0.0, 1.0, np.array([0.0, 1.0]), 0.5, 0.5)
    emb = np.array([[-1.0, 0.0], [0.6, -0.8], [0.0, 1.0], [0.8, -0.6]])  # qualities 1, 0.4, 0, 0.2
    assert _low_quality(quality, emb) == [(2, 0.0), (3, pytest.approx(0.2)), (1, pytest.approx(0.4))]
