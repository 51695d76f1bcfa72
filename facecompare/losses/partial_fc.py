"""Margin-softmax at the scale of millions of identities: Partial FC (An et al. 2022, insightface's
``partial_fc_v2``). Each DDP process holds its share of the class centres, and each step scores the gathered
batch against the centres of the batch's identities plus a random ``sample_rate`` of the rest; the softmax
is computed across the processes (dist_softmax.py). With one process and ``sample_rate=1`` it is the plain
CosFace / ArcFace loss. The margins are insightface's combined ones: the target logit ``cos(m1 * theta + m2)
- m3``, so CosFace is (1, 0, m), ArcFace (1, m, 0).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from facecompare.distributed import gather_shares, rank_world
from facecompare.errors import ConfigError
from facecompare.losses.base import check_in_range, check_labelled_batch, check_positive, check_positive_int
from facecompare.losses.classes import class_index, classes_of
from facecompare.losses.dist_softmax import dist_cross_entropy, gather_rows
from facecompare.losses.distance_criterion import DistanceCriterion

log = logging.getLogger(__name__)


def shard(num_classes: int, rank: int, world: int) -> tuple[int, int]:
    """The class rows ``[start, end)`` process ``rank`` of ``world`` holds: equal shares, the first ones one larger."""
    base, extra = divmod(num_classes, world)
    start = rank * base + min(rank, extra)
    return start, start + base + (rank < extra)


class PartialFCLoss(DistanceCriterion):
    batch_kind: ClassVar[str] = "images"
    distance: ClassVar[str] = "cosine"

    def __init__(
        self,
        margins: tuple[float, float, float] = (1.0, 0.0, 0.35),
        scale: float = 64.0,
        embedding_dim: int = 128,
        sample_rate: float = 1.0,
        centre_lr_scale: float = 1.0,
        centre_weight_decay: float = 0.0,
    ) -> None:
        super().__init__()
        if len(margins) != 3:
            raise ConfigError(f"loss.margins must be [m1, m2, m3], got {list(margins)}")
        self.m1, self.m2, self.m3 = (float(m) for m in margins)
        if self.m1 <= 0 or self.m2 < 0 or self.m3 < 0:
            raise ConfigError(f"loss.margins must have m1 > 0 and m2, m3 >= 0, got {list(margins)}")
        self.scale = check_positive("scale", scale)
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        self.sample_rate = check_in_range("sample_rate", sample_rate, 0.0, 1.0 + 1e-9)
        self.centre_lr_scale = check_positive("centre_lr_scale", centre_lr_scale)
        self.centre_weight_decay = check_in_range("centre_weight_decay", centre_weight_decay, 0.0, include_low=True)
        self.register_buffer("class_index", torch.empty(0, dtype=torch.long))  # global label -> class
        self.register_buffer("rows", torch.zeros(2, dtype=torch.long))  # [start, end) of the centres held here
        self.num_classes, self.start = 0, 0
        self.weight = nn.Parameter(torch.empty(0, self.embedding_dim))

    def fit_classes(self, labels: np.ndarray | Tensor) -> None:
        self.class_index = class_index(labels, "partial_fc")
        self._build(int((self.class_index >= 0).sum()))

    def _build(self, num_classes: int) -> None:
        rank, world = rank_world()
        self.num_classes = num_classes
        self.start, end = shard(num_classes, rank, world)
        self.rows = torch.tensor([self.start, end])
        self.weight = nn.Parameter(torch.normal(0, 0.01, (end - self.start, self.embedding_dim)))

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        check_labelled_batch(type(self).__name__, embeddings, labels)
        if self.num_classes == 0:
            raise RuntimeError(f"{type(self).__name__}: call fit_classes(training labels) before the first batch")
        classes = classes_of(self.class_index, labels, type(self).__name__)
        _, world = rank_world()
        # float32 at least (bf16 autocast hands float32 already); float64 stays, for exact comparisons
        embeddings = gather_rows(embeddings if embeddings.dtype == torch.float64 else embeddings.float(), world)
        classes = gather_rows(classes, world)
        local = classes - self.start
        here = (local >= 0) & (local < len(self.weight))
        weight, column = self.weight, local
        if self.sample_rate < 1:  # the batch's own identities always, a random share of the others
            keep = torch.rand(len(self.weight), device=weight.device)
            keep[local[here]] = 2.0
            count = max(int(self.sample_rate * len(self.weight)), int(here.sum().clamp(min=1)))
            chosen = keep.topk(count).indices.sort().values
            weight, column = self.weight[chosen], torch.searchsorted(chosen, local.clamp(min=0))
        logits = F.linear(F.normalize(embeddings), F.normalize(weight).to(embeddings.dtype)).clamp(-1, 1)
        rows = torch.nonzero(here).squeeze(1)
        cols = column[rows]
        target = logits[rows, cols]
        if self.m1 == 1.0 and self.m2 == 0.0:
            margined = target - self.m3
        else:
            margined = torch.cos(self.m1 * torch.acos(target.clamp(-1 + 1e-7, 1 - 1e-7)) + self.m2) - self.m3
        logits = logits.index_put((rows, cols), margined) * self.scale
        return dist_cross_entropy(logits, rows, cols, world)

    def whole(self, share: Tensor) -> Tensor:
        """Every process's rows of ``share``, a tensor laid out as this process's centres (the centres, or their
        optimizer moments), in class order: ``(num_classes, ...)``, so that a checkpoint holds all of them
        whatever the number of processes that saved it or resumes it. Under DDP every process must call it."""
        _, world = rank_world()
        if world == 1:
            return share
        counts = [end - start for start, end in (shard(self.num_classes, rank, world) for rank in range(world))]
        return gather_shares(share, counts)

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        # The classes come with the checkpoint, and the centres it holds: every one (whole(), since checkpoints
        # are written so), of which this process takes its share. A checkpoint that holds only rank 0's share
        # (written before they held every one) must not lend those centres to other classes: a process that
        # holds other rows starts its share afresh instead, and says so.
        index, saved = state_dict.get(prefix + "class_index"), state_dict.get(prefix + "rows")
        if index is not None and saved is not None:
            self.class_index = torch.empty_like(index)
            self._build(int((index >= 0).sum()))
            first, last = saved.tolist()
            weight = state_dict.get(prefix + "weight")
            state_dict = {k: v for k, v in state_dict.items() if k not in (prefix + "weight", prefix + "rows")}
            state_dict[prefix + "rows"] = self.rows
            end = self.start + len(self.weight)
            if weight is not None and first <= self.start and end <= last:
                state_dict[prefix + "weight"] = weight[self.start - first : end - first]
            else:
                log.warning(
                    "loss=partial_fc: the checkpoint holds centres %s, this process rows %s: they start afresh",
                    [first, last],
                    self.rows.tolist(),
                )
                state_dict[prefix + "weight"] = self.weight.data
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
