"""Which faces evaluation and the audit crop: for each face setting the config leaves open (``null`` in
``data.source.preprocess``, no ``detector``), the one the checkpoint's training used. The tools take
the same from a bundle (facecompare.inference.faces), so the numbers describe the faces the model is used on:
an LFW model, trained on the central face of each photo, scored a folder of photos on their largest face,
a blurred bystander among them."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from facecompare.data.aligned_copy import SETTINGS_FILE
from facecompare.data.policy import DEFAULT_MIN_PROB, DEFAULT_SEVERAL
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)

# what the training of a checkpoint that recorded no face settings (synthetic faces, no detection) implies
DEFAULTS = {"several_faces": DEFAULT_SEVERAL, "min_prob": DEFAULT_MIN_PROB, "margin": 0.0, "alignment": "arcface"}
MTCNN = {"_target_": "facecompare.data.detection.MTCNNDetector"}
WHOLE_IMAGE = {"_target_": "facecompare.data.detection.NoDetector", "center": 1.0}
# where a detector runs and how many images it takes at once, not which faces it finds: not shown
_NOT_SHOWN = ("_target_", "device", "batch_size")


def follow_training(cfg: DictConfig, trained: dict[str, Any]) -> tuple[DictConfig, dict[str, Any]]:
    """A copy of ``cfg`` (evaluate.yaml, audit.yaml) with its open face settings taken from ``trained`` (the
    checkpoint's config), and ``{setting: value}`` with ``from``: ``{setting: where it came from}``."""
    cfg = copy.deepcopy(cfg)
    pre = (trained.get("data") or {}).get("source", {}).get("preprocess")
    origin = "the checkpoint" if pre else "default: the checkpoint trained without face detection"
    given = cfg.data.source.preprocess
    record: dict[str, Any] = {"from": {}}
    with open_dict(cfg):
        for key, default in DEFAULTS.items():
            if given.get(key) is not None:
                record[key], record["from"][key] = given[key], "given"
            else:
                record[key], record["from"][key] = (pre or {}).get(key, default), origin
                given[key] = record[key]
        detector, record["from"]["detector"] = _detector(cfg, trained, pre, origin)
        cfg.detector = detector
    record["detector"] = {"name": _name(detector), **{k: v for k, v in detector.items() if k not in _NOT_SHOWN}}
    log.info("faces: %s", describe(record))
    if str(cfg.data.source.get("_target_")).endswith("LFWSource") and record["several_faces"] != "central":
        log.warning(  # LFW's labels name the person in the middle; a bystander may be larger
            "LFW names the person in the middle of each photo; with several_faces=%s some pairs compare "
            "someone else (data.source.preprocess.several_faces=central evaluates the named people)",
            record["several_faces"],
        )
    return cfg, record


def open_settings_filled(cfg: DictConfig) -> DictConfig:
    """A copy of ``cfg`` whose open face settings hold stand-ins of the right type (the defaults, MTCNN): the
    config check runs before the checkpoint is read, and still checks every value the user gave."""
    cfg = copy.deepcopy(cfg)
    with open_dict(cfg):
        given = cfg.data.source.preprocess
        for key, default in DEFAULTS.items():
            if given.get(key) is None:
                given[key] = default
        if cfg.get("detector") is None:
            cfg.detector = dict(MTCNN)
    return cfg


def _detector(cfg: DictConfig, trained: dict, pre: dict | None, origin: str) -> tuple[dict[str, Any], str]:
    if cfg.get("detector") is not None:
        return OmegaConf.to_container(cfg.detector, resolve=True), "given"
    root = Path(cfg.data.root).expanduser()
    if (root / SETTINGS_FILE).is_file():  # the crops of scripts/align.py: used as they are
        return dict(WHOLE_IMAGE), f"data.root is an aligned copy ({SETTINGS_FILE})"
    recorded = dict(trained.get("detector") or MTCNN) if pre else dict(MTCNN)
    if _whole_image(recorded) and _moved(root, trained):
        raise ConfigError(  # trained on ready-made crops (an aligned copy, most often): photos need a detector
            f"the checkpoint trained on images used whole as faces (detector=none), from another data.root than "
            f"{root}: add detector=mtcnn if its images are photos, detector=none if they are face crops already"
        )
    if "device" in recorded:  # where it ran in training (a GPU, maybe), not which faces it found
        recorded["device"] = "auto"
    return recorded, origin


def _whole_image(detector: dict[str, Any]) -> bool:
    return str(detector.get("_target_")).endswith("NoDetector") and float(detector.get("center", 1.0)) == 1.0


def _moved(root: Path, trained: dict[str, Any]) -> bool:
    was = (trained.get("data") or {}).get("root")
    return was is None or Path(str(was)).expanduser().resolve() != root.resolve()


def _name(detector: dict[str, Any]) -> str:
    cls = str(detector.get("_target_", "?")).rsplit(".", 1)[-1]
    return {"MTCNNDetector": "mtcnn", "HaarDetector": "haar", "NoDetector": "none"}.get(cls, cls)


def describe(record: dict[str, Any]) -> str:
    """One line: each setting, and where it came from."""
    detector = " ".join(
        [record["detector"]["name"], *(f"{k}={v}" for k, v in record["detector"].items() if k != "name")]
    )
    values = {**{k: f"{k}={record[k]}" for k in DEFAULTS}, "detector": f"detector={detector}"}
    by_source: dict[str, list[str]] = {}
    for key, text in values.items():
        by_source.setdefault(record["from"][key], []).append(text)
    return "; ".join(f"{', '.join(texts)} ({source})" for source, texts in by_source.items())
