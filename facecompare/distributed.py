"""Which process am I? Under Lightning DDP several processes run the same code: samplers keep their share of
each draw (``data/pairs.py``, ``data/pk_sampler.py``), evaluation pairs are shared out
(``data/datamodule.py``), and only rank 0 writes the run's own files. Outside a process group: rank 0 of 1.
"""

from __future__ import annotations

import torch
from torch import Tensor


def rank_world() -> tuple[int, int]:
    """(this process's rank, number of processes); (0, 1) outside a process group."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def gather_shares(share: Tensor, counts: list[int]) -> Tensor:
    """Every process's ``share``, process r's holding ``counts[r]`` rows, concatenated in rank order, on every
    process (every process must call it). all_gather takes equal sizes: each is padded to the largest."""
    padded = share.new_zeros((max(counts), *share.shape[1:]))
    padded[: len(share)] = share
    parts = [torch.empty_like(padded) for _ in counts]
    torch.distributed.all_gather(parts, padded)
    return torch.cat([part[:count] for part, count in zip(parts, counts, strict=True)])


def is_rank_zero() -> bool:
    """Whether this process writes the run's files; Lightning's record of the rank (set from the launcher's
    environment before the process group exists, and from the trainer after)."""
    from lightning_fabric.utilities.rank_zero import rank_zero_only

    return getattr(rank_zero_only, "rank", 0) == 0
