"""How often strangers score above a threshold, measured on every pair of different people in a calibration set.

A 1:1 threshold is chosen on a few thousand protocol pairs. Identification compares a stranger with every
embedding of a gallery, so the chance that one of them reaches the threshold grows with the gallery: choosing
a threshold for a gallery needs false accept rates far below what those pairs can show. Every pair of images of
two different people gives millions of impostor scores from the same images, which is what the curve here
records: the threshold at which a given fraction of impostor pairs is accepted, for fractions down to one pair.
facecompare.inference.open_set reads it back at identification time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from facecompare.evaluation.thresholds import above

log = logging.getLogger(__name__)

# scripts/evaluate.py writes the curve beside the checkpoint under this suffix; scripts/export.py reads it there
FAR_CURVE_SUFFIX = ".far_curve.json"
LEVELS_PER_DECADE = 10
HIGHEST_FAR = 0.1  # a gallery threshold never needs a per-comparison FAR above this
MAX_IMAGES = 6000  # ~18M pairs: seconds to score, 72 MB of float32


def subset(count: int, max_images: int = MAX_IMAGES) -> np.ndarray:
    """Row numbers of at most ``max_images`` of ``count`` images: all, or a fixed random subset (the number of
    pairs grows with the square of the images)."""
    rows = np.arange(count)
    if count > max_images:
        rows = np.sort(np.random.default_rng(0).choice(rows, max_images, replace=False))
        log.info("open-set curve: %d of %d calibration images (a fixed random subset)", max_images, count)
    return rows


def impostor_scores(scorer: Callable[[Tensor, Tensor], Tensor], embeddings: Tensor, names: list[str]) -> np.ndarray:
    """Scores of every pair (i < j) of rows of ``embeddings`` whose ``names`` differ."""
    if len(names) != len(embeddings):
        raise ValueError(f"{len(names)} names for {len(embeddings)} embeddings")
    person = np.unique(np.asarray(names, dtype=object), return_inverse=True)[1]
    out = []
    with torch.no_grad():
        for i in range(len(names) - 1):
            others = torch.from_numpy(np.flatnonzero(person[i + 1 :] != person[i]) + i + 1)
            if len(others):
                out.append(scorer(embeddings[i : i + 1].expand(len(others), -1), embeddings[others]).float().numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def far_curve(impostor: np.ndarray, levels_per_decade: int = LEVELS_PER_DECADE) -> dict[str, Any]:
    """The lowest threshold that accepts at most a fraction ``far`` of the ``impostor`` scores, at ``far``
    from one pair in all (1 / n) up to HIGHEST_FAR on a log scale, as ``{"far", "threshold", "impostor_pairs"}``
    with ``far`` ascending (``threshold`` descending). ``far`` is the fraction each threshold really accepts."""
    s = np.sort(np.asarray(impostor, np.float64))[::-1]
    n = len(s)
    if n * HIGHEST_FAR < 1:
        raise ValueError(f"{n} impostor pairs: too few for a curve (at least {round(1 / HIGHEST_FAR)})")
    top = int(np.floor(np.log10(HIGHEST_FAR) * levels_per_decade))
    low = int(np.ceil(np.log10(1.0 / n) * levels_per_decade))
    fars, thresholds = [], []
    for level in range(low, top + 1):
        allowed = int(np.floor(10.0 ** (level / levels_per_decade) * n + 1e-9))  # impostors it may accept
        threshold = _accepting_at_most(s, allowed)
        accepted = int(np.count_nonzero(s >= threshold))
        # ties at the top can leave a level accepting none, which shows nothing; others repeat the level before
        if accepted == 0 or (fars and accepted / n == fars[-1]):
            continue
        fars.append(accepted / n)
        thresholds.append(threshold)
    return {"far": fars, "threshold": thresholds, "impostor_pairs": n}


def _accepting_at_most(desc: np.ndarray, k: int) -> float:
    """The lowest threshold accepting at most ``k`` of the descending scores ``desc`` (score >= threshold)."""
    if k >= len(desc):
        return float(desc[-1])
    cut = desc[k]  # must be rejected, and with it every score equal to it
    higher = np.flatnonzero(desc[:k] > cut)
    if len(higher) == 0:
        return above(cut)
    return float((desc[higher[-1]] + cut) / 2)
