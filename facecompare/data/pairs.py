"""Balanced genuine/impostor pairs: redrawn each epoch for training, fixed and seeded for evaluation."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler

from facecompare.errors import ConfigError


def draw_balanced_pairs(labels: np.ndarray, num_pairs: int, rng: np.random.Generator) -> np.ndarray:
    """Return (num_pairs, 3) int64 rows [i, j, same], half genuine and half impostor, shuffled.

    Identities are drawn uniformly (not images), so people with many photos do not dominate. People with a
    single image can only appear in impostor pairs.
    """
    labels = np.asarray(labels)
    if num_pairs < 2:
        raise ValueError(f"need at least 2 pairs (one genuine, one impostor), got {num_pairs}")
    order = np.argsort(labels, kind="stable")
    ids, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
    if len(ids) < 2:
        raise ConfigError(f"impostor pairs need at least 2 identities, found {len(ids)}")
    multi = np.flatnonzero(counts >= 2)
    if len(multi) == 0:
        raise ConfigError("genuine pairs need an identity with at least 2 images, found none")
    num_pos = num_pairs // 2
    num_neg = num_pairs - num_pos

    who = rng.choice(multi, num_pos)
    first = rng.integers(0, counts[who])
    # Offset by 1..count-1 (mod count) so the two images always differ.
    second = (first + 1 + rng.integers(0, counts[who] - 1)) % counts[who]
    pos = np.stack([order[starts[who] + first], order[starts[who] + second], np.ones(num_pos, np.int64)], 1)

    id_a = rng.integers(0, len(ids), num_neg)
    id_b = (id_a + 1 + rng.integers(0, len(ids) - 1, num_neg)) % len(ids)
    img_a = order[starts[id_a] + rng.integers(0, counts[id_a])]
    img_b = order[starts[id_b] + rng.integers(0, counts[id_b])]
    neg = np.stack([img_a, img_b, np.zeros(num_neg, np.int64)], 1)

    pairs = np.concatenate([pos, neg]).astype(np.int64)
    return pairs[rng.permutation(len(pairs))]


def harden_negatives(
    pairs: np.ndarray,
    labels: np.ndarray,
    embeddings: np.ndarray,
    fraction: float,
    pool: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Replace the second image of ``fraction`` of the impostor pairs by the closest (in ``embeddings``) of
    ``pool`` random images of other people: the negatives the current model finds hardest. Returns a copy."""
    pairs = pairs.copy()
    rows = np.flatnonzero(pairs[:, 2] == 0)
    rows = rows[rng.random(len(rows)) < fraction]
    if len(rows) == 0:
        return pairs
    anchors = pairs[rows, 0]
    candidates = rng.integers(0, len(labels), (len(rows), pool))
    dist = ((embeddings[candidates] - embeddings[anchors][:, None, :]) ** 2).sum(-1)
    dist[labels[candidates] == labels[anchors][:, None]] = np.inf  # never a genuine pair
    best = dist.argmin(1)
    found = np.isfinite(dist[np.arange(len(rows)), best])
    pairs[rows[found], 1] = candidates[found, best[found]]
    return pairs


class BalancedPairSampler(Sampler[tuple[int, int, int]]):
    """Yields (i, j, same) index triples; a fresh balanced draw each epoch, reproducible from the seed.

    After ``set_embeddings`` (the HardNegativeMining callback calls it with the current model's embeddings
    of the training images), ``hard_fraction`` of the impostor pairs are replaced by hard ones.
    """

    def __init__(
        self,
        labels: np.ndarray,
        num_pairs: int,
        seed: int = 0,
        hard_fraction: float = 0.0,
        hard_pool: int = 64,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        if not 0 <= rank < world:
            raise ValueError(f"rank must be in [0, world), got rank {rank} of {world}")
        self.labels = np.asarray(labels)
        self.num_pairs = num_pairs
        self.seed = seed
        # Under DDP each process keeps every world-th pair of the same draw; all keep the same number, as
        # DDP needs every process to take the same number of steps.
        self.rank, self.world = rank, world
        self.epoch = 0
        self.hard_fraction, self.hard_pool = hard_fraction, hard_pool
        self.embeddings: np.ndarray | None = None
        draw_balanced_pairs(self.labels, num_pairs, np.random.default_rng(seed))  # fail early on bad data

    def set_embeddings(self, embeddings: np.ndarray | None, fraction: float | None = None) -> None:
        self.embeddings = embeddings
        if fraction is not None:
            self.hard_fraction = fraction

    def set_epoch(self, epoch: int) -> None:
        # Lightning calls this at the start of each training epoch.
        self.epoch = epoch

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        # A generator: the epoch's pairs are drawn at its first batch, not when the loader makes its iterator,
        # which a resumed run's loader (torchdata's) can make before Lightning's set_epoch for that epoch.
        rng = np.random.default_rng([self.seed, self.epoch])
        pairs = draw_balanced_pairs(self.labels, self.num_pairs, rng)
        if self.embeddings is not None and self.hard_fraction > 0:
            pairs = harden_negatives(pairs, self.labels, self.embeddings, self.hard_fraction, self.hard_pool, rng)
        pairs = pairs[self.rank :: self.world][: len(self)]
        yield from map(tuple, pairs.tolist())

    def __len__(self) -> int:
        return self.num_pairs // self.world
