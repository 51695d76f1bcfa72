"""Pair distances and the distance -> [0, 1] score mapping shared by the distance-based losses.

Both kinds are *distances* (0 = identical, larger = more different):

- ``"euclidean"``: L2 distance ``||a - b||``;
- ``"cosine"``: ``1 - cos(a, b)``, in [0, 2].

Scores are on [0, 1], higher = more likely the same person:

- euclidean: ``1 / (1 + d)``, monotone and in (0, 1] whether or not the embeddings are L2-normalised;
- cosine: ``(1 + cos) / 2 = 1 - d / 2``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from facecompare.losses.base import check_choice

DISTANCES = ("euclidean", "cosine")


def check_distance(kind: str) -> str:
    return check_choice("distance", kind, DISTANCES)


def pair_distance(a: Tensor, b: Tensor, kind: str) -> Tensor:
    """(N, D), (N, D) -> (N,) distance between row i of a and row i of b."""
    if check_distance(kind) == "euclidean":
        # Not F.pairwise_distance: it adds eps to the difference, which makes d(x, x) != 0.
        return torch.linalg.vector_norm(a - b, dim=1)
    return 1.0 - F.cosine_similarity(a, b, dim=1)


def distance_to_score(d: Tensor, kind: str) -> Tensor:
    """(N,) distances of the given kind -> (N,) scores in [0, 1], decreasing in d."""
    if check_distance(kind) == "euclidean":
        return 1.0 / (1.0 + d)
    # cosine_similarity can overshoot +-1 by an ulp; the score must stay inside [0, 1].
    return (1.0 - d / 2.0).clamp(0.0, 1.0)
