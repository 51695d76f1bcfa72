"""Thresholds for a gallery: the chance that a stranger is taken for someone grows with the gallery's size.

A stranger's photo is compared with every embedding of the gallery, and is taken for someone when any one of
those scores reaches the threshold. With a per-comparison false accept rate FAR(t), the false positive
identification rate (FPIR) of a gallery of M embeddings is at most M x FAR(t) (the union bound; embeddings of
one person are alike, so the real rate is lower). The bundle carries FAR(t) as measured on every pair of
different people in a calibration set (facecompare.evaluation.far_curve); this module turns a target FPIR into
a threshold for a given gallery, and a threshold into the FPIR bound it gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from facecompare.errors import FacecompareError


class OpenSetError(FacecompareError):
    """The bundle has no open-set curve, or its calibration cannot resolve the rate asked for."""


@dataclass(frozen=True)
class FarCurve:
    """``far`` ascending, ``threshold`` descending: the lowest threshold whose per-comparison FAR on
    ``impostor_pairs`` calibration pairs is ``far``."""

    far: np.ndarray
    threshold: np.ndarray
    impostor_pairs: int
    on: str

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> FarCurve | None:
        """The curve of a bundle's ``model.json``, or None for a bundle exported without one."""
        record = (meta.get("threshold") or {}).get("far_curve")
        if not record:
            return None
        try:
            far, threshold = np.asarray(record["far"], np.float64), np.asarray(record["threshold"], np.float64)
            curve = cls(far, threshold, int(record["impostor_pairs"]), str(record.get("on", "the calibration set")))
        except (KeyError, TypeError, ValueError) as err:
            raise OpenSetError(f"model.json: threshold.far_curve is malformed ({type(err).__name__}: {err})") from None
        if far.ndim != 1 or far.shape != threshold.shape or len(far) == 0 or np.any(np.diff(far) <= 0):
            raise OpenSetError("model.json: threshold.far_curve needs as many thresholds as rates, rates ascending")
        return curve

    def threshold_for(self, fpir: float, comparisons: int) -> tuple[float, float]:
        """The lowest listed threshold whose FPIR bound over ``comparisons`` gallery embeddings is at most
        ``fpir``: (threshold, that bound)."""
        if not 0.0 < fpir < 1.0:
            raise OpenSetError(f"the false positive identification rate must be between 0 and 1, got {fpir}")
        comparisons = max(int(comparisons), 1)
        per_comparison = fpir / comparisons
        ok = np.flatnonzero(self.far <= per_comparison)
        if len(ok) == 0:
            raise OpenSetError(
                f"an FPIR of {fpir:g} over {comparisons} gallery embeddings needs a per-comparison false accept "
                f"rate of {per_comparison:.1e}, below what the calibration can show (1 in {self.impostor_pairs} "
                f"impostor pairs of {self.on}): calibrate on more people, or accept a higher rate"
            )
        i = int(ok[-1])
        return float(self.threshold[i]), float(self.far[i] * comparisons)

    def fpir_bound(self, threshold: float, comparisons: int) -> float:
        """At most this fraction of strangers reaches ``threshold`` against ``comparisons`` embeddings: the
        FAR of the highest listed threshold at or below ``threshold``, times ``comparisons``, capped at 1.
        Below every listed threshold the curve says nothing, and the bound is 1."""
        at_or_below = np.flatnonzero(self.threshold <= threshold)
        if len(at_or_below) == 0:
            return 1.0
        return float(min(1.0, self.far[at_or_below[0]] * max(int(comparisons), 1)))
