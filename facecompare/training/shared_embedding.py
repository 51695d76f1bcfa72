"""Embedding a set of images once across DDP processes: each embeds its share and every process gets the whole
table, in order, for a world-th of the work (hard negative mining's training images, the .bin sets scored
during training)."""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
from torch import Tensor


def embed_shares(
    images: Tensor, embed: Callable[[Tensor], Tensor], trainer: pl.Trainer, pl_module: pl.LightningModule
) -> Tensor:
    """(N, D) ``embed`` of ``images`` in order, the same on every process. Each process embeds one contiguous
    share (the last may be shorter, or empty) and the shares are gathered; on one process, all of them."""
    n, world = len(images), trainer.world_size
    share = -(-n // world)
    start = min(trainer.global_rank * share, n)
    count = min(share, n - start)
    # a process whose share is empty (more processes than images) still embeds one image for the width
    mine = embed(images[start : start + count] if count else images[:1])[:count]
    if world == 1:
        return mine
    padded = mine.new_zeros(share, mine.shape[1])
    padded[: len(mine)] = mine
    # on the module's device: NCCL gathers CUDA tensors only
    gathered = pl_module.all_gather(padded.to(pl_module.device))
    return torch.as_tensor(gathered).reshape(world * share, -1)[:n]
