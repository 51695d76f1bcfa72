"""Accuracy at a threshold, and bootstrap confidence intervals (k-fold threshold transfer: kfold.py)."""

from __future__ import annotations

import numpy as np
from torchmetrics.functional.classification import binary_auroc


def accuracy_at(scores: np.ndarray, same: np.ndarray, threshold: float) -> float:
    return float(np.mean((np.asarray(scores) >= threshold) == np.asarray(same).astype(bool)))


def bootstrap_ci(
    scores: np.ndarray, same: np.ndarray, threshold: float, rounds: int = 1000, seed: int = 0, level: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals for accuracy at ``threshold`` and ROC AUC.

    Stratified: genuine and impostor pairs are resampled separately, keeping their numbers, as a protocol
    fixes them. Every resample then has both classes, so the AUC is defined in every round; resampling all
    pairs together would have to drop one-class rounds, which narrows the interval of a small set."""
    import torch

    scores, same = np.asarray(scores, np.float64), np.asarray(same).astype(bool)
    genuine, impostor = np.flatnonzero(same), np.flatnonzero(~same)
    if not len(genuine) or not len(impostor):
        raise ValueError(f"bootstrap_ci needs genuine and impostor pairs, got {len(genuine)} and {len(impostor)}")
    rng = np.random.default_rng(seed)
    idx = np.concatenate(
        [group[rng.integers(0, len(group), (rounds, len(group)))] for group in (genuine, impostor)], axis=1
    )
    correct = (scores >= threshold) == same
    accs = correct[idx].mean(1)
    labels = torch.from_numpy(same[idx[0]].astype(np.int64))  # the same in every round
    aucs = [float(binary_auroc(torch.from_numpy(scores[rows]), labels)) for rows in idx]
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return {
        "acc": (float(np.percentile(accs, lo)), float(np.percentile(accs, hi))),
        "auc": (float(np.percentile(aucs, lo)), float(np.percentile(aucs, hi))),
    }
