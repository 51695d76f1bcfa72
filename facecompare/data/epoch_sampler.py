"""Every training image once per epoch, shuffled: the batches a classification loss (CosFace, ArcFace) trains
on, single-image identities included, which P x K batches cannot use as anchors."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler

from facecompare.errors import ConfigError


class ShuffledBatchSampler(Sampler[list[int]]):
    """Batches of ``batch_size`` image indices out of ``0..n-1``, a new order each epoch (seeded by ``seed`` and
    the epoch). Under DDP every process draws the same order and takes every ``world``-th batch, so the
    processes read disjoint images and, together, every image once; the images of a last round too short for
    one batch per process wait for the next epoch's order."""

    def __init__(self, n: int, batch_size: int, seed: int = 0, rank: int = 0, world: int = 1) -> None:
        if batch_size < 1 or n // batch_size < world:
            raise ConfigError(
                f"{n} training images give {n // max(batch_size, 1)} batches of data.batch_size={batch_size}, "
                f"fewer than one per process ({world}); lower data.batch_size"
            )
        if not 0 <= rank < world:
            raise ValueError(f"rank must be in [0, world), got rank {rank} of {world}")
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    @property
    def sampler(self) -> ShuffledBatchSampler:
        # Lightning calls set_epoch on dataloader.batch_sampler.sampler: this batch sampler is its own (pk_sampler.py)
        return self

    def __iter__(self) -> Iterator[list[int]]:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n)
        for b in range(self.rank, len(self) * self.world, self.world):
            yield order[b * self.batch_size : (b + 1) * self.batch_size].tolist()

    def __len__(self) -> int:
        return (self.n // self.batch_size) // self.world
