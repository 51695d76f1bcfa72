"""Embedding every image of an evaluation set exactly once, with optional flip test-time augmentation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

FLIP_MODES = (None, "sum", "concat")


@torch.no_grad()
def embed_images(
    net: nn.Module, images: Tensor, batch_size: int = 256, flip: str | None = None, device: str | torch.device = "cpu"
) -> Tensor:
    """(N, C, H, W) uint8 images -> (N, D) L2-normalised embeddings, one forward per image (two with ``flip``).

    ``flip="sum"`` adds the embedding of the mirrored image (same size, works with every scorer);
    ``flip="concat"`` appends it (2D; only for distance-based scores, not the learned pair head).
    """
    if flip not in FLIP_MODES:
        raise ValueError(f"flip must be one of {FLIP_MODES}, got {flip!r}")
    net = net.eval().to(device)
    out = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].to(device).float().div_(255)
        emb = net(batch)
        if flip is not None:
            mirrored = net(torch.flip(batch, dims=[3]))
            emb = emb + mirrored if flip == "sum" else torch.cat([emb, mirrored], dim=1)
        out.append(F.normalize(emb, dim=1).cpu())
    return torch.cat(out) if out else torch.zeros(0, 0)


def pair_scores(scorer, embeddings: Tensor, pairs: Tensor, batch_size: int = 4096) -> Tensor:
    """Scores in [0, 1] for (M, 2+) index rows into ``embeddings``; ``scorer(a, b)`` is e.g. ``loss.score``."""
    pairs = torch.as_tensor(pairs)
    scores = []
    with torch.no_grad():
        for start in range(0, len(pairs), batch_size):
            rows = pairs[start : start + batch_size]
            scores.append(scorer(embeddings[rows[:, 0]], embeddings[rows[:, 1]]).float().cpu())
    return torch.cat(scores) if scores else torch.zeros(0)
