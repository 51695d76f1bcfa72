"""A face-quality branch trained with the embedding: a small MLP from the unit embedding to how close the crop
lies to the centre of its identity's other crops (the target of CR-FIQA and SDD-FIQA: a face the network
places near its person's other photos is one it recognises well).

It reads the embedding, not the trunk's features, so that an exported bundle, which holds only the
embedding network, can carry it as a few numbers in ``model.json`` (inference/branch_quality.py) and score
quality without a second network.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class QualityBranch(nn.Module):
    """(N, D) embeddings -> (N,) predicted cosine to the identity's centre (higher: more recognisable)."""

    def __init__(self, embedding_dim: int, hidden: int = 64) -> None:
        super().__init__()
        if embedding_dim < 1 or hidden < 1:
            raise ValueError(f"QualityBranch needs embedding_dim and hidden >= 1, got {embedding_dim} and {hidden}")
        self.embedding_dim, self.hidden = embedding_dim, hidden
        self.layers = nn.Sequential(nn.Linear(embedding_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, embeddings: Tensor) -> Tensor:
        # unit length first: the tools see normalised embeddings, whatever the backbone's own normalisation
        return self.layers(F.normalize(embeddings.float(), dim=1)).squeeze(1)
