"""Evaluation and the audit take the faces the checkpoint trained on (face choice, detection, margin), unless
the config says otherwise, and say which they took and why."""

import json
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict
from PIL import Image
from two_faces import two_faces

from facecompare.data.manifest import read_manifest
from facecompare.data.preprocess import Preprocessor
from facecompare.errors import ConfigError
from facecompare.evaluation.audit_folder import audit
from facecompare.evaluation.evaluate import evaluate
from facecompare.evaluation.trained_faces import follow_training

CONF = Path(__file__).resolve().parents[2] / "conf"
MTCNN = "facecompare.data.detection.MTCNNDetector"


def config(name: str, tmp_path: Path, *overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(name, overrides=list(overrides))
    with open_dict(cfg):
        cfg.paths.output_dir = str(tmp_path / name)
        cfg.paths.cache_dir = str(tmp_path / "cache")
    return cfg


@pytest.fixture(scope="module")
def central_checkpoint(tiny_checkpoint, tmp_path_factory):
    """The tiny model as if trained on photos of people taking the central face, with MTCNN on a GPU."""
    raw = torch.load(tiny_checkpoint, weights_only=True)
    data = raw["facecompare_config"]["data"]
    data["root"] = "/elsewhere/people"
    preprocess = {"several_faces": "central", "min_prob": 0.9, "margin": 0.0, "no_face": "skip"}
    data["source"] = {
        "_target_": "facecompare.data.sources.FolderSource",
        "root": data["root"],
        "preprocess": preprocess,
    }
    raw["facecompare_config"]["detector"] = {"_target_": MTCNN, "min_face_size": 20, "max_side": 640, "device": "cuda"}
    path = tmp_path_factory.mktemp("central") / "central.ckpt"
    torch.save(raw, path)
    return path


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """Two people; one of ann's photos has a large face at the top edge and her own, smaller, in the middle."""
    from skimage import data

    root = tmp_path_factory.mktemp("people")
    (root / "ann").mkdir()
    (root / "bob").mkdir()
    Image.fromarray(two_faces()).save(root / "ann" / "two.png")
    Image.fromarray(data.astronaut()).save(root / "ann" / "alone.png")
    Image.fromarray(data.astronaut()[:, ::-1].copy()).save(root / "bob" / "mirrored.png")
    Image.fromarray(data.astronaut()[40:, 30:].copy()).save(root / "bob" / "cropped.png")
    return root


def details(monkeypatch) -> dict[str, str]:
    """What preprocessing did with each file (the manifest's detail), filled as evaluation runs."""
    seen, run = {}, Preprocessor.run

    def spy(self, items, size):
        records = run(self, items, size)
        seen.update({r.path.name: r.detail for r in records})
        return records

    monkeypatch.setattr(Preprocessor, "run", spy)
    return seen


@pytest.mark.slow
def test_folder_evaluation_takes_the_face_the_checkpoint_trained_on(central_checkpoint, people, tmp_path, monkeypatch):
    seen = details(monkeypatch)
    common = (f"ckpt={central_checkpoint}", "data=folder", f"data.root={people}", "num_pairs=4", "bootstrap=0",
              "projector=0", "baselines.dlib=false", "calibration.write=false")  # fmt: skip
    result = evaluate(config("evaluate", tmp_path / "a", *common))
    assert seen["two.png"] == "2 faces; took the central one" and result.pairs == 4
    faces = result.faces
    assert (faces["several_faces"], faces["min_prob"], faces["margin"]) == ("central", 0.9, 0.0)
    assert set(faces["from"].values()) == {"the checkpoint"}
    assert faces["detector"] == {"name": "mtcnn", "min_face_size": 20, "max_side": 640}  # recorded on a GPU: ran here
    report = (tmp_path / "a" / "evaluate" / "report.md").read_text()
    assert "several_faces=central, min_prob=0.9, margin=0.0, alignment=arcface, " \
           "detector=mtcnn min_face_size=20 max_side=640 " \
           "(the checkpoint)" in report  # fmt: skip
    # an explicit choice wins, and the report says it was given
    again = evaluate(config("evaluate", tmp_path / "b", *common, "data.source.preprocess.several_faces=largest"))
    assert seen["two.png"] == "2 faces; took the largest one" and again.faces["from"]["several_faces"] == "given"
    assert "several_faces=largest (given)" in (tmp_path / "b" / "evaluate" / "report.md").read_text()


@pytest.mark.slow
def test_the_audit_takes_the_face_the_checkpoint_trained_on(central_checkpoint, people, tmp_path):
    result = audit(config("audit", tmp_path, f"ckpt={central_checkpoint}", f"data.root={people}"))
    rows = {r["path"]: r for r in read_manifest(tmp_path / "audit" / "manifest.csv")}
    assert rows["ann/two.png"]["detail"] == "2 faces; took the central one"
    assert json.loads((tmp_path / "audit" / "audit.json").read_text())["faces"] == result["faces"]
    assert result["faces"]["several_faces"] == "central" and result["faces"]["from"]["detector"] == "the checkpoint"


def trained(detector: dict | None, root: str = "/elsewhere", **preprocess) -> dict:
    source = {"preprocess": {"several_faces": "central", **preprocess}} if detector else {}
    return {"data": {"root": root, "source": source}, "detector": detector}


def test_where_each_setting_comes_from(tmp_path, caplog):
    base = ("ckpt=x.ckpt", "data=folder", f"data.root={tmp_path}")
    cfg = config("evaluate", tmp_path, *base)
    # trained on synthetic faces: nothing recorded, the defaults (MTCNN, the largest face)
    _, record = follow_training(cfg, {"data": {"source": {"_target_": "SyntheticSource"}}, "detector": None})
    assert record["several_faces"] == "largest" and record["detector"]["name"] == "mtcnn"
    assert record["from"]["detector"] == "default: the checkpoint trained without face detection"
    # given values are kept as given, the others come from the checkpoint
    given = config("evaluate", tmp_path, *base, "detector=haar", "data.source.preprocess.margin=0.2")
    out, record = follow_training(given, trained({"_target_": MTCNN}, margin=0.1, min_prob=0.95))
    assert record["from"] == {"several_faces": "the checkpoint", "min_prob": "the checkpoint", "margin": "given",
                              "alignment": "the checkpoint", "detector": "given"}  # fmt: skip
    assert (out.data.source.preprocess.margin, out.data.source.preprocess.min_prob) == (0.2, 0.95)
    assert out.data.source.preprocess.detector._target_.endswith("HaarDetector")
    # a checkpoint trained on dlib's face chips is evaluated on them
    dlib = follow_training(cfg, trained({"_target_": MTCNN}, alignment="dlib"))[0]
    assert dlib.data.source.preprocess.alignment == "dlib"
    # LFW names the central face: a model that trained taking the largest is evaluated on it so, with a warning
    lfw = config("evaluate", tmp_path, "ckpt=x.ckpt", f"data.root={tmp_path}")
    assert follow_training(lfw, trained({"_target_": MTCNN}, several_faces="largest"))[1]["several_faces"] == "largest"
    assert "LFW names the person in the middle of each photo; with several_faces=largest" in caplog.text
    # trained on crops used whole (an aligned copy): photos elsewhere need a detector named for them
    whole = {"_target_": "facecompare.data.detection.NoDetector", "center": 1.0}
    with pytest.raises(ConfigError, match="add detector=mtcnn if its images are photos"):
        follow_training(cfg, trained(whole))
    assert follow_training(cfg, trained(whole, root=str(tmp_path)))[1]["detector"]["name"] == "none"
    # an aligned copy's images are the crops: used as they are, whatever the training's detector
    (tmp_path / "aligned.json").write_text("{}")
    _, record = follow_training(cfg, trained({"_target_": MTCNN}))
    assert record["detector"] == {"name": "none", "center": 1.0}
    assert record["from"]["detector"] == "data.root is an aligned copy (aligned.json)"
