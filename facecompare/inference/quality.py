"""A face crop's quality in [0, 1] from its embedding alone, with no training: how far it lies from where
unrecognisable faces land, and from the average face.

A recognition network maps faces that have lost what tells people apart (blurred, dark, tiny, turned away)
close together, whoever they show: Deng et al. found such "unrecognisable identities" around one centre
(arXiv:2002.06428), and the distance to it ranks how degraded a face is. Among faces that are not degraded,
those the network places near the average of all faces carry the least that is their own and are the ones
confused with others. The quality is the product of the two: the cosine distance to the mean embedding of
degraded copies of real crops (0 at their median, 1 at the clean crops' median) times the distance to the
clean crops' mean (1 from the clean crops' median on). It costs nothing beyond the embedding the tools
compute anyway. benchmarks/quality_lfw.py measures both halves' share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

Embed = Callable[[np.ndarray], np.ndarray]  # (N, H, W, C) uint8 crops -> (N, D) embeddings
MAX_CLEAN_BELOW = 0.2


def unit_rows(x: np.ndarray) -> np.ndarray:
    """The rows of ``x`` (1 or 2-d) scaled to unit length, as float64."""
    x = np.atleast_2d(np.asarray(x, np.float64))
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def degrade(crops: np.ndarray, seed: int = 0) -> np.ndarray:
    """Copies of ``crops`` (N, H, W, C uint8) made unrecognisable in turn: heavy blur, darkness, noise,
    shrinking to a few pixels and back."""
    rng = np.random.default_rng(seed)
    size = crops.shape[1]
    out = []
    for k, crop in enumerate(crops):
        kind = k % 4
        if kind == 0:
            bad = cv2.GaussianBlur(crop, (0, 0), sigmaX=size / 8)
        elif kind == 1:
            bad = (crop.astype(np.float32) * 0.08).round()
        elif kind == 2:
            bad = crop.astype(np.float32) * 0.5 + rng.normal(64, 48, crop.shape)
        else:
            tiny = cv2.resize(crop, (6, 6), interpolation=cv2.INTER_AREA)
            bad = cv2.resize(tiny, (size, size), interpolation=cv2.INTER_LINEAR)
        out.append(np.clip(bad, 0, 255).astype(np.uint8).reshape(crop.shape))
    return np.stack(out)


def enrolment_bar(clean: np.ndarray, degraded: np.ndarray) -> float:
    """The default enrolment bar: the quality 95 % of the degraded crops stay under; a ValueError where over
    MAX_CLEAN_BELOW of the clean crops fall below it too, as a score that cannot tell them apart would refuse
    good photos at random."""
    bar = float(np.percentile(degraded, 95))
    below = float(np.mean(clean < bar))
    if below > MAX_CLEAN_BELOW:
        raise ValueError(
            f"{below:.0%} of the clean crops score below the bar that 95 % of their degraded copies stay under: "
            "the model's embeddings set degraded faces apart too weakly for a quality score"
        )
    return round(bar, 4)


@dataclass(frozen=True)
class EmbeddingQuality:
    """``unrecognisable``: the unit mean embedding of degraded crops, with ``low`` and ``high`` the median
    cosine distance to it of the degraded and of the clean crops; ``typical``: the clean crops' unit mean,
    with ``spread`` their median cosine distance to it; ``refuse_below``: the default bar for enrolment, the
    quality that 95 % of the degraded crops stay under."""

    unrecognisable: np.ndarray
    low: float
    high: float
    typical: np.ndarray
    spread: float
    refuse_below: float = 0.0

    @classmethod
    def fit(cls, embed: Embed, crops: np.ndarray) -> EmbeddingQuality:
        """From clean face crops (a few hundred of the kind the model sees) and the model's ``embed``."""
        clean, bad = unit_rows(embed(crops)), unit_rows(embed(degrade(crops)))
        unrecognisable, typical = unit_rows(bad.mean(0))[0], unit_rows(clean.mean(0))[0]
        low, high = float(np.median(1 - bad @ unrecognisable)), float(np.median(1 - clean @ unrecognisable))
        if high <= low:
            raise ValueError("clean crops lie no farther from the degraded crops' centre than those: no quality scale")
        spread = float(np.median(1 - clean @ typical))
        fitted = cls(unrecognisable, low, high, typical, max(spread, 1e-6))
        bar = enrolment_bar(fitted.quality(clean), fitted.quality(bad))
        return cls(unrecognisable, low, high, typical, fitted.spread, bar)

    def parts(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(legibility, distinctiveness), each (N,) in [0, 1]: the two factors of ``quality``."""
        e = unit_rows(embeddings)
        legible = np.clip((1 - e @ self.unrecognisable - self.low) / (self.high - self.low), 0.0, 1.0)
        return legible, np.clip((1 - e @ self.typical) / self.spread, 0.0, 1.0)

    def quality(self, embeddings: np.ndarray) -> np.ndarray:
        """(N,) qualities in [0, 1] of the crops these (N, D) embeddings came from."""
        legible, distinct = self.parts(embeddings)
        return legible * distinct

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "embedding",
            "unrecognisable": self.unrecognisable.tolist(),
            "low": self.low,
            "high": self.high,
            "typical": self.typical.tolist(),
            "spread": self.spread,
            "refuse_below": self.refuse_below,
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> EmbeddingQuality:
        vectors = (np.asarray(record[k], np.float64) for k in ("unrecognisable", "typical"))
        unrecognisable, typical = vectors
        scale = (float(record[k]) for k in ("low", "high", "spread", "refuse_below"))
        low, high, spread, refuse_below = scale
        return cls(unrecognisable, low, high, typical, spread, refuse_below)
