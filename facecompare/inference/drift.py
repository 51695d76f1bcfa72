"""Do this gallery's scores look like the calibration's? A check that needs no labels beyond the gallery's own.

Every pair of embeddings of two different enrolled people is an impostor comparison from the deployment's own
camera. The bundle's open-set curve says what share of such comparisons reaches a threshold on the people it
was calibrated on. Far more than that here means the model scores these photos unlike the calibration's (another
camera, lighting or population): its thresholds then let strangers through, and the remedy is to calibrate on
these people (``facecompare calibrate``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from facecompare.inference.open_set import FarCurve

if TYPE_CHECKING:
    from facecompare.inference.bundle import Bundle

MAX_EMBEDDINGS = 300  # ~45k comparisons: a few ms, also on every identify of a large gallery
SURPRISE = 1e-3  # warn when this many reaching the threshold has at most this chance under the curve
MIN_ABOVE = 3


def poisson_tail(k: int, expected: float) -> float:
    """P(X >= k) for X ~ Poisson(expected): the binomial's tail for rare events, a little wider (so it warns
    a little later)."""
    if k <= 0:
        return 1.0
    term = total = math.exp(-expected)
    for i in range(1, k):
        term *= expected / i
        total += term
    return max(0.0, 1.0 - total)


def impostor_share(bundle: Bundle, vectors: np.ndarray, people: list[str], threshold: float) -> tuple[int, int]:
    """(comparisons between different people reaching ``threshold``, comparisons) among at most
    MAX_EMBEDDINGS of the gallery's embeddings (a fixed subset of a larger gallery)."""
    rows = np.arange(len(vectors))
    if len(rows) > MAX_EMBEDDINGS:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAX_EMBEDDINGS, replace=False))
    person = np.unique(np.asarray(people, dtype=object)[rows], return_inverse=True)[1]
    above = total = 0
    for n, i in enumerate(rows[:-1]):
        others = rows[n + 1 :][person[n + 1 :] != person[n]]
        if len(others):
            above += int(np.count_nonzero(bundle.score(vectors[i], vectors[others]) >= threshold))
            total += len(others)
    return above, total


def drift_warning(bundle: Bundle, vectors: np.ndarray, people: list[str], threshold: float) -> str | None:
    """A warning when different enrolled people reach ``threshold`` against each other far more often than
    the bundle's open-set curve predicts; None when they do not, or when there is no curve to compare with."""
    curve = FarCurve.from_meta(bundle.meta)
    if curve is None or len(set(people)) < 2:
        return None
    predicted = curve.fpir_bound(threshold, 1)
    if predicted >= 1.0:  # below every listed threshold: the curve does not say
        return None
    above, total = impostor_share(bundle, vectors, people, threshold)
    if above < MIN_ABOVE or poisson_tail(above, total * predicted) > SURPRISE:
        return None
    return (
        f"{above} of {total} comparisons between different enrolled people reach the threshold {threshold:.4f} "
        f"({above / total:.2%}), where the bundle's calibration on {curve.on} predicts {predicted:.2%}: this "
        f"camera's photos are scored unlike the calibration's, and strangers will be taken for someone; calibrate "
        f"on your people: facecompare calibrate PEOPLE_DIR --model {bundle.path}"
    )
