"""Error versus reject: how the false non-match rate falls as the lowest-quality pairs are set aside.

The threshold is fixed first, at a false accept rate on all pairs, as a deployment fixes it; then the pairs
whose worse face has the lowest quality are rejected, a growing share at a time, and the FNMR is measured on
the genuine pairs that remain (ISO/IEC 29794-5's error-versus-discard characteristic, the NIST FRVT quality
track's). Rejecting pairs at random leaves the FNMR where it was on average: the line a quality score must beat.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facecompare.evaluation.thresholds import threshold_at_far

FRACTIONS = tuple(round(0.05 * k, 2) for k in range(11))  # 0 .. 50 % rejected
RANDOM_DRAWS = 20


def _fnmr(scores: np.ndarray, same: np.ndarray, keep: np.ndarray, threshold: float) -> float:
    genuine = keep & same
    return float(np.mean(scores[genuine] < threshold)) if genuine.any() else float("nan")


def error_versus_reject(
    scores: np.ndarray,
    same: np.ndarray,
    pair_quality: dict[str, np.ndarray],
    fars: tuple[float, ...] = (1e-2, 1e-3),
    fractions: tuple[float, ...] = FRACTIONS,
    seed: int = 0,
) -> dict[str, Any]:
    """For each FAR and each named pair quality (and ``random``, the mean of RANDOM_DRAWS draws): the FNMR
    after rejecting each of ``fractions`` of the pairs, lowest quality first (ties in pair order)."""
    scores, same = np.asarray(scores), np.asarray(same).astype(bool)
    n, rng = len(scores), np.random.default_rng(seed)
    draws = [rng.permutation(n) for _ in range(RANDOM_DRAWS)]
    out: dict[str, Any] = {"fractions": list(fractions), "fnmr": {}, "threshold": {}}
    for far in fars:
        threshold = threshold_at_far(scores, same, far)[0]
        key = f"{far:g}"
        out["threshold"][key] = threshold
        curves: dict[str, list[float]] = {}
        for name, quality in pair_quality.items():
            order = np.argsort(np.asarray(quality), kind="stable")
            curves[name] = [_fnmr(scores, same, _kept(order, n, f), threshold) for f in fractions]
        curves["random"] = [
            float(np.mean([_fnmr(scores, same, _kept(order, n, f), threshold) for order in draws])) for f in fractions
        ]
        out["fnmr"][key] = curves
    return out


def _kept(order: np.ndarray, n: int, fraction: float) -> np.ndarray:
    keep = np.ones(n, bool)
    keep[order[: round(fraction * n)]] = False
    return keep
