"""Choosing a decision threshold on calibration scores: best accuracy, or a target false accept rate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.atomic import atomic_write_text
from facecompare.errors import ConfigError


def _sorted(scores: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate thresholds (every distinct score, descending) with the genuine/impostor counts accepted
    at each: a pair is accepted ("same person") when its score >= the threshold."""
    scores, same = np.asarray(scores, np.float64), np.asarray(same).astype(bool)
    order = np.argsort(-scores, kind="stable")
    s, g = scores[order], same[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), len(s) - 1]  # last index of each distinct score
    return s[last], np.cumsum(g)[last], np.cumsum(~g)[last]


def _between(thr: np.ndarray, i: int) -> float:
    """A threshold that accepts exactly the scores >= thr[i]: midway to the next lower score, so that
    scores on new data falling in the gap are split evenly instead of all landing on one side."""
    return float((thr[i] + thr[i + 1]) / 2) if i + 1 < len(thr) else float(thr[i])


def above(score: float) -> float:
    """The smallest threshold that rejects ``score``, also where scores are float32: the float64 successor
    of 1.0 rounds back to 1.0 in a float32 comparison and would accept it."""
    return float(np.nextafter(np.float32(score), np.float32(np.inf)))


def best_accuracy_threshold(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy; accepting nothing (threshold above every score) counts."""
    same = np.asarray(same).astype(bool)
    pos, neg = int(same.sum()), int((~same).sum())
    if pos == 0 or neg == 0:
        raise ValueError(f"need genuine and impostor pairs, got {pos} and {neg}")
    thr, tp, fp = _sorted(scores, same)
    correct = np.r_[neg, tp + (neg - fp)]
    best = int(np.argmax(correct))
    threshold = above(thr[0]) if best == 0 else _between(thr, best - 1)
    return threshold, float(correct[best] / (pos + neg))


def threshold_at_far(scores: np.ndarray, same: np.ndarray, far: float) -> tuple[float, float, float]:
    """The lowest threshold whose false accept rate on the impostor pairs is <= ``far``:
    (threshold, achieved FAR, TAR there)."""
    same = np.asarray(same).astype(bool)
    pos, neg = int(same.sum()), int((~same).sum())
    if pos == 0 or neg == 0:
        raise ValueError(f"need genuine and impostor pairs, got {pos} and {neg}")
    thr, tp, fp = _sorted(scores, same)
    ok = np.flatnonzero(fp / neg <= far)
    if len(ok) == 0:  # even the highest score lets too many impostors in: accept nothing
        return above(thr[0]), 0.0, 0.0
    i = int(ok[-1])
    return _between(thr, i), float(fp[i] / neg), float(tp[i] / pos)


def write_calibration(path: str | Path, record: dict[str, Any]) -> Path:
    """Write the threshold record as JSON (atomically) for the verification tools to read."""
    path = Path(path)
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True))
    return path


def read_calibration(path: str | Path) -> dict[str, Any]:
    record = json.loads(Path(path).read_text())
    if not isinstance(record, dict) or not isinstance(record.get("threshold"), (int, float)):
        raise ValueError(f"{path}: not a facecompare calibration file (no numeric 'threshold')")
    return record


def resolve_threshold(ckpt: str | Path, info: dict[str, Any], explicit: float | None = None) -> tuple[float, str]:
    """The threshold a tool should use, and where it came from: ``explicit``, else ``<ckpt>.threshold.json``
    (written by scripts/evaluate.py), else the threshold picked on validation identities during training."""
    if explicit is not None:
        return float(explicit), "given explicitly"
    calibration = Path(ckpt).with_suffix(".threshold.json")
    if calibration.is_file():
        return float(read_calibration(calibration)["threshold"]), str(calibration)
    if info.get("threshold") is not None:
        return float(info["threshold"]), "the checkpoint's validation threshold"
    raise ConfigError(f"{ckpt}: no threshold recorded; pass threshold=... or calibrate with scripts/evaluate.py")
