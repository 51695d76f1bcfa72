"""Verification metrics over pair scores: ROC AUC, EER, best-threshold accuracy, TAR at fixed FAR."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torchmetrics import MetricCollection
from torchmetrics.aggregation import SumMetric
from torchmetrics.classification import BinaryAUROC, BinaryEER, BinaryROC

from facecompare.evaluation.thresholds import above


def far_key(far: float) -> str:
    return f"tar@far{far:.0e}".replace("e-0", "e-")  # 0.01 -> "tar@far1e-2"


def roc_summary(
    fpr: Tensor,
    tpr: Tensor,
    thresholds: Tensor,
    positives: int,
    negatives: int,
    fars: Sequence[float],
    threshold: float | None = None,
) -> dict[str, float]:
    """Accuracy-optimal threshold, TAR at each FAR, and (if given) the operating point at ``threshold``.

    Point i of the ROC predicts "same" for every score >= thresholds[i] (thresholds descending).
    """
    accuracy = (tpr * positives + (1 - fpr) * negatives) / (positives + negatives)
    best = int(torch.argmax(accuracy))
    # Point 0 accepts nothing, but torchmetrics gives it threshold 1.0, which accepts scores of exactly 1.0
    threshold_best = above(float(thresholds[0])) if best == 0 else float(thresholds[best])
    out = {"acc": float(accuracy[best]), "threshold": threshold_best}
    for far in fars:
        allowed = fpr <= far
        out[far_key(far)] = float(tpr[allowed].max()) if bool(allowed.any()) else 0.0
    if threshold is not None:
        # The last ROC point whose threshold is still >= t accepts exactly the scores >= t.
        i = int(torch.nonzero(thresholds >= threshold).max()) if bool((thresholds >= threshold).any()) else 0
        out["acc_at_threshold"] = float(accuracy[i])
        out["far_at_threshold"] = float(fpr[i])
        out["frr_at_threshold"] = float(1 - tpr[i])
    return out


class PairMetrics(nn.Module):
    """Accumulates (score, same) over batches, across processes under DDP, and summarises the ROC.

    Scores must be similarities in [0, 1] (higher = same person); they are clamped there because
    torchmetrics would otherwise treat the whole batch as logits and re-map it through a sigmoid.
    """

    def __init__(self, fars: Sequence[float] = (1e-2,)) -> None:
        super().__init__()
        self.fars = tuple(fars)
        self.curves = MetricCollection(
            {"auc": BinaryAUROC(), "eer": BinaryEER(), "roc": BinaryROC()}, compute_groups=True
        )
        # Metric states rather than a buffer: weight averaging (callbacks=ema) swaps every buffer of the module
        # in and out around validation, which would hide the counts the epoch accumulated.
        self.positives, self.negatives = SumMetric(), SumMetric()

    def update(self, scores: Tensor, same: Tensor) -> None:
        same = same.long().flatten()
        self.curves.update(scores.detach().float().flatten().clamp(0, 1), same)
        self.positives.update((same == 1).sum())
        self.negatives.update((same == 0).sum())

    def compute(self, threshold: float | None = None) -> dict[str, float]:
        """Empty dict if either class is missing (e.g. a one-batch smoke run): the ROC is undefined then."""
        if not self.positives.update_called:
            return {}
        positives, negatives = int(self.positives.compute()), int(self.negatives.compute())  # summed over processes
        if positives == 0 or negatives == 0:
            return {}
        values = self.curves.compute()
        fpr, tpr, thresholds = values["roc"]
        out = {"auc": float(values["auc"]), "eer": float(values["eer"])}
        out.update(roc_summary(fpr, tpr, thresholds, positives, negatives, self.fars, threshold))
        out["pairs"] = float(positives + negatives)
        return out

    def reset(self) -> None:
        self.curves.reset()
        self.positives.reset()
        self.negatives.reset()
