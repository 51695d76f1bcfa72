"""P x K batches (P identities, K images each) for online triplet mining."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler

from facecompare.errors import ConfigError


def check_pk_shape(p: int, k: int) -> None:
    """A batch needs two identities (negatives) with two images each (positives)."""
    if p < 2:
        raise ConfigError(f"data.sampler.p must be >= 2 (negatives need a second identity), got {p}")
    if k < 2:
        raise ConfigError(f"data.sampler.k must be >= 2 (positives need a second image), got {k}")


class PKBatchSampler(Sampler[list[int]]):
    """Each batch holds ``p`` distinct identities with ``k`` images each, so every anchor has positives and
    negatives in the batch. Identities with fewer than ``k`` images are sampled with replacement.

    People with a single image cannot give a positive. With ``singles`` 0 they are left out (counted in
    ``skipped_identities``); on LFW's training side that is three people in four. ``singles`` > 0 adds that
    many of them to every batch, each a distinct identity of one image: extra negatives for every anchor,
    which the batch losses use as such (an anchor with no positive in the batch makes no triplet)."""

    def __init__(
        self,
        labels: np.ndarray,
        p: int,
        k: int,
        num_batches: int,
        seed: int = 0,
        rank: int = 0,
        world: int = 1,
        singles: int = 0,
    ) -> None:
        check_pk_shape(p, k)
        if num_batches < world:
            raise ValueError(f"num_batches must be >= the number of processes ({world}), got {num_batches}")
        if not 0 <= rank < world:
            raise ValueError(f"rank must be in [0, world), got rank {rank} of {world}")
        labels = np.asarray(labels)
        ids, counts = np.unique(labels, return_counts=True)
        eligible = ids[counts >= 2]
        if len(eligible) < p:
            raise ConfigError(
                f"P x K batches need at least p={p} identities with 2+ images, found {len(eligible)}: lower "
                "data.sampler.p"
            )
        self.single_images = np.flatnonzero(np.isin(labels, ids[counts == 1]))
        if not 0 <= singles <= len(self.single_images):
            raise ConfigError(
                f"data.sampler.singles must be in 0..{len(self.single_images)} (the training identities with a single "
                f"image), got {singles}"
            )
        self.members = [np.flatnonzero(labels == i) for i in eligible]
        self.skipped_identities = 0 if singles else int(len(ids) - len(eligible))
        self.p, self.k, self.singles, self.num_batches, self.seed = p, k, singles, num_batches, seed
        self.rank, self.world = rank, world  # under DDP: every world-th batch of the same draw, as pairs.py
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    @property
    def sampler(self) -> PKBatchSampler:
        # Lightning calls set_epoch only on dataloader.sampler and dataloader.batch_sampler.sampler. This batch
        # sampler draws its own batches and has no inner sampler, so it names itself: without this every epoch
        # drew epoch 0's batches (and their augmentation, seeded from the batch) again.
        return self

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        for index in range(len(self) * self.world):
            batch: list[int] = []
            for who in rng.choice(len(self.members), self.p, replace=False):
                members = self.members[who]
                batch.extend(rng.choice(members, self.k, replace=len(members) < self.k).tolist())
            if self.singles:  # drawn after the P x K part, so singles=0 leaves the stream as it was
                batch.extend(rng.choice(self.single_images, self.singles, replace=False).tolist())
            if index % self.world == self.rank:
                yield batch

    def __len__(self) -> int:
        return self.num_batches // self.world
