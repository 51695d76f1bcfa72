"""The quality branch's criterion: each crop's predicted quality against its cosine to the centre of the
other crops of its identity in the batch, the target held fixed (no gradient flows into the embedding
through it)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def centre_cosines(embeddings: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """(rows, centres): the rows of crops whose identity has another crop in the batch, and for each the unit
    mean of those other crops (leaving the crop itself out, so that two crops are not scored by themselves)."""
    unit = F.normalize(embeddings.detach().float(), dim=1)
    same = (labels[:, None] == labels[None, :]).to(unit.dtype)
    others = same @ unit - unit
    rows = torch.nonzero(same.sum(1) >= 2).squeeze(1)
    return rows, F.normalize(others[rows], dim=1)


def quality_targets(embeddings: Tensor, centres: Tensor) -> Tensor:
    """Each embedding's cosine to its centre (row for row), detached: what the branch learns to predict."""
    return (F.normalize(embeddings.detach().float(), dim=1) * centres).sum(1)


def quality_regression(predicted: Tensor, targets: Tensor) -> Tensor:
    """Smooth L1 of the predictions against the targets (0 for an empty batch, which has nothing to learn)."""
    if predicted.shape != targets.shape:
        raise ValueError(f"quality_regression: predicted {tuple(predicted.shape)} and targets {tuple(targets.shape)}")
    if predicted.numel() == 0:
        return predicted.sum()
    return F.smooth_l1_loss(predicted.float(), targets.float(), beta=0.1)


def pair_labels(same: Tensor) -> Tensor:
    """Identity labels for a pair batch embedded as ``cat([a, b])``: a genuine pair's two crops share a label,
    every other crop has its own, so that a crop's centre is its genuine partner."""
    n = len(same)
    index = torch.arange(n, device=same.device)
    return torch.cat([index, torch.where(same.bool(), index, index + n)])
