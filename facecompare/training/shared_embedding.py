"""Embedding a set of images once across DDP processes: each embeds its share and every process gets the whole
table, in order, for a world-th of the work (hard negative mining's training images, the .bin sets scored
during training)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from facecompare.distributed import gather_shares, rank_world


def embed_shares(images: Tensor, embed: Callable[[Tensor], Tensor], device: torch.device) -> Tensor:
    """(N, D) ``embed`` of ``images`` in order, the same on every process (every process must call it). Each
    process embeds one contiguous share (the last may be shorter, or empty) and the shares are gathered on
    ``device`` (NCCL gathers CUDA tensors only); on one process, all of them."""
    rank, world = rank_world()
    n = len(images)
    share = -(-n // world)
    counts = [min(share, max(0, n - r * share)) for r in range(world)]
    start = min(rank * share, n)
    # a process whose share is empty (more processes than images) still embeds one image for the width
    mine = embed(images[start : start + counts[rank]] if counts[rank] else images[:1])[: counts[rank]]
    return mine if world == 1 else gather_shares(mine.to(device), counts)
