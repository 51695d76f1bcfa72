"""Calibrating an exported bundle on one's own people (``facecompare calibrate``).

A threshold fitted on LFW's photos does not carry to another camera and lighting: scores shift, and a model can
keep its AUC while calling every pair the same person at its own threshold. Here the photos of a folder of
people (one sub-folder each) are embedded once, balanced pairs are drawn within folds of people, and
- the threshold chosen on all pairs becomes the bundle's threshold,
- each fold scored at the threshold chosen on the other folds says how well that carries to people the
  calibration never saw (as LFW View 2 does),
- every pair of different people gives the open-set curve that fits gallery thresholds (open_set.py).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.data.sources.folder_scan import scan_people
from facecompare.errors import FacecompareError
from facecompare.evaluation.far_curve import far_curve, impostor_scores, subset
from facecompare.evaluation.kfold import choose_threshold, fold_pairs, kfold_accuracy
from facecompare.evaluation.resampling import accuracy_at
from facecompare.inference.bundle import Bundle
from facecompare.inference.faces import FaceFinder

log = logging.getLogger(__name__)


QUALITY_CROPS = 600  # crops the quality model is fitted on (inference/quality.py): a fixed random subset


def embed_people(bundle: Bundle, finder: FaceFinder, root: Path) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """Embeddings of every photo of ``root``'s person folders with a face, each photo's person, why each
    photo left out was left out (no face, unreadable, not a photo of a person folder), and up to
    QUALITY_CROPS of the crops (held only in memory) to fit the quality model on."""
    if not root.is_dir():
        raise FacecompareError(f"{root}: not a folder of people (one sub-folder of photos per person)")
    items, notes = scan_people(root)
    skipped = [f"{n.path}: {n.detail or n.status}" for n in notes]
    crops, names = [], []
    for path, person in items:
        try:
            crops.append(finder.find([path])[0].crop)
            names.append(person)
        except FacecompareError as err:  # no face, unreadable or too large: counted and reported, not fatal
            skipped.append(str(err))
    if not crops:
        raise FacecompareError(f"{root}: no photo with a face among {len(items)} ({'; '.join(skipped[:3])})")
    keep = np.sort(np.random.default_rng(0).permutation(len(crops))[:QUALITY_CROPS])
    return bundle.embed(np.stack(crops)), names, skipped, np.stack([crops[i] for i in keep])


def draw_pairs(names: list[str], num_pairs: int, folds: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Balanced pairs [i, j, same] over the embedded photos, drawn within folds of people, each pair's fold and
    the number of folds (fewer than asked where few people have two photos: each fold needs genuine pairs)."""
    people = sorted(set(names))
    labels = np.array([people.index(n) for n in names])
    several = {p for p in people if names.count(p) > 1}
    if not several or len(people) < 2:
        raise FacecompareError(
            f"calibration needs genuine and impostor pairs: {len(people)} people, {len(several)} with two or more "
            "photos with a face"
        )
    return fold_pairs(people, labels, num_pairs, folds, seed, "calibration")


def calibrate(
    bundle: Bundle,
    embeddings: np.ndarray,
    names: list[str],
    source: str,
    folds: int = 10,
    num_pairs: int = 3000,
    seed: int = 0,
    method: str = "accuracy",
    far: float = 1e-3,
) -> dict[str, Any]:
    """The bundle's ``threshold`` record calibrated on these embeddings (``names[i]``: row i's person), with
    the k-fold check under ``calibration`` and the open-set curve under ``far_curve``."""
    import torch

    pairs, pair_folds, k = draw_pairs(names, num_pairs, folds, seed)
    scores = bundle.score(embeddings[pairs[:, 0]], embeddings[pairs[:, 1]])
    same = pairs[:, 2].astype(bool)
    threshold = choose_threshold(scores, same, method, far)
    check: dict[str, Any] = {
        "method": method,
        "target_far": far if method == "far" else None,
        "people": len(set(names)),
        "images": len(names),
        "pairs": len(pairs),
        "genuine_pairs": int(same.sum()),
        "accuracy_at_threshold": accuracy_at(scores, same, threshold),
        "previous_threshold": bundle.threshold,
        "accuracy_at_previous_threshold": accuracy_at(scores, same, bundle.threshold),
        "folds": k,
        "seed": seed,
    }
    if k > 1:
        check["kfold"] = kfold_accuracy(scores, same, pair_folds, method, far)
    rows = subset(len(names))
    emb = torch.from_numpy(np.ascontiguousarray(embeddings[rows]))
    impostor = impostor_scores(
        lambda a, b: torch.from_numpy(bundle.score(a.numpy(), b.numpy())), emb, [names[i] for i in rows]
    )
    record: dict[str, Any] = {"value": threshold, "source": f"calibrated on {source}", "calibration": check}
    try:
        curve = far_curve(impostor)
        record["far_curve"] = {**curve, "on": source, "images": len(rows), "people": len(set(names))}
    except ValueError as err:  # too few people for a curve: the tools then fit no gallery threshold
        log.warning("no open-set curve from %s: %s", source, err)
    return record
