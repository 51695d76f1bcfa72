"""Identity-disjoint k-fold calibration: a threshold chosen on some people and measured on others.

A threshold fitted on the pairs it is then scored on flatters it (the best accuracy on those pairs). LFW's
View 2 protocol splits people into 10 folds; each fold is scored at the threshold chosen on the other nine,
so the figure says how well a threshold calibrated on some people serves people it has not seen, which is
what a deployment calibrated on its enrolled people does with the next person through the door.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from facecompare.data.eval_pairs import draw_distinct_pairs, draw_fold_pairs
from facecompare.errors import ConfigError
from facecompare.evaluation.thresholds import best_accuracy_threshold, threshold_at_far

log = logging.getLogger(__name__)


def choose_threshold(scores: np.ndarray, same: np.ndarray, method: str = "accuracy", far: float = 1e-3) -> float:
    """The threshold ``method`` picks on these pairs: best accuracy, or the lowest at a false accept rate <= far."""
    if method == "far":
        return threshold_at_far(scores, same, far)[0]
    if method == "accuracy":
        return best_accuracy_threshold(scores, same)[0]
    raise ConfigError(f"calibration method must be 'accuracy' or 'far', got {method!r}")


def kfold_accuracy(
    scores: np.ndarray, same: np.ndarray, folds: np.ndarray, method: str = "accuracy", far: float = 1e-3
) -> dict[str, Any]:
    """For each fold: the threshold ``method`` picks on all other folds, and this fold's accuracy, false
    accept and false reject rates there. Returns them per fold and the accuracy's mean and (population) std."""
    scores, same, folds = np.asarray(scores), np.asarray(same).astype(bool), np.asarray(folds)
    out: dict[str, list[float]] = {"fold_accuracy": [], "fold_threshold": [], "fold_far": [], "fold_frr": []}
    for fold in np.unique(folds):
        held = folds == fold
        threshold = choose_threshold(scores[~held], same[~held], method, far)
        accepted, truth = scores[held] >= threshold, same[held]
        out["fold_threshold"].append(threshold)
        out["fold_accuracy"].append(float(np.mean(accepted == truth)))
        out["fold_far"].append(float(accepted[~truth].mean()) if (~truth).any() else float("nan"))
        out["fold_frr"].append(float((~accepted[truth]).mean()) if truth.any() else float("nan"))
    accs = out["fold_accuracy"]
    return {**out, "method": method, "mean": float(np.mean(accs)), "std": float(np.std(accs))}


def usable_folds(people: int, with_pairs: int, folds: int) -> int:
    """How many of ``folds`` folds of people ``people`` people (``with_pairs`` of them with two or more photos)
    can make: each fold needs a person with two photos (genuine pairs) and two people (impostor pairs)."""
    return min(folds, with_pairs, people // 2)


def fold_pairs(
    people: list[str], labels: np.ndarray, num_pairs: int, folds: int, seed: int, source: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """Balanced pairs [i, j, same] over images whose person is ``people[labels[i]]``, drawn within up to
    ``folds`` folds of people (fewer where the people cannot fill them, with a warning naming ``source``):
    the rows, each row's fold and the folds used (1: one fold, no k-fold check)."""
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=len(people))
    several = {p for p, n in zip(people, counts.tolist(), strict=True) if n > 1}
    k = usable_folds(len(people), len(several), folds)
    rng = np.random.default_rng(seed)
    if k < 2:
        if folds > 1:
            log.warning("%s: %d people with two or more photos: no k-fold check of the threshold", source, len(several))
        rows = draw_distinct_pairs(labels, num_pairs, rng)
        return rows, np.zeros(len(rows), np.int64), 1
    if k < folds:
        log.warning("%s: %d people, %d of them with two or more photos: %d folds of people instead of %d",
                    source, len(people), len(several), k, folds)  # fmt: skip
    fold_of = identity_folds(people, several, k, seed)
    rows, pair_folds = draw_fold_pairs(labels, np.array([fold_of[p] for p in people]), num_pairs, rng)
    return rows, pair_folds, k


def identity_folds(people: Sequence[str], with_pairs: set[str], k: int, seed: int) -> dict[str, int]:
    """Each person's fold, ``k`` folds of people in a seeded order. People with two or more photos
    (``with_pairs``) are dealt first, round-robin, so that every fold gets genuine pairs if any can."""
    people = sorted(set(people))
    if k < 2:
        raise ConfigError(f"k-fold calibration needs at least 2 folds, got {k}")
    if len(people) < 2 * k:
        raise ConfigError(f"{len(people)} people cannot make {k} folds of at least 2 people each: use fewer folds")
    rng = np.random.default_rng(seed)
    several = [p for p in people if p in with_pairs]
    single = [p for p in people if p not in with_pairs]
    order = [several[i] for i in rng.permutation(len(several))] + [single[i] for i in rng.permutation(len(single))]
    return {person: i % k for i, person in enumerate(order)}


def within_folds(pair_people: np.ndarray, fold_of: dict[str, int]) -> np.ndarray:
    """The fold of each pair of people ((M, 2) names): both people's fold, or -1 where they differ (such a
    pair would tune and test on one person at once)."""
    a = np.array([fold_of[p] for p in pair_people[:, 0]], np.int64)
    b = np.array([fold_of[p] for p in pair_people[:, 1]], np.int64)
    return np.where(a == b, a, -1)


def check_disjoint(pair_people: np.ndarray, folds: np.ndarray, source: str) -> None:
    """A pairs file's folds must keep each person in one fold, else a fold's threshold is tuned on the people
    it is then scored on."""
    seen: dict[str, int] = {}
    for (a, b), fold in zip(pair_people.tolist(), np.asarray(folds).tolist(), strict=True):
        for person in (a, b):
            if seen.setdefault(person, fold) != fold:
                raise ConfigError(
                    f"{source}: {person!r} is in folds {seen[person]} and {fold}; k-fold calibration needs each "
                    "person in one fold (leave the fold column out and folds of people are dealt)"
                )
