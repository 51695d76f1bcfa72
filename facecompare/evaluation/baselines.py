"""Methods that need no training, scored beside every model so its margin over them is visible."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def cosine_score(a: Tensor, b: Tensor) -> Tensor:
    """(1 + cosine) / 2 of L2-normalised embeddings, a similarity in [0, 1]."""
    return ((a * b).sum(dim=1).clamp(-1, 1) + 1) / 2


class PixelBaseline(nn.Module):
    """Raw grayscale pixels minus the mean face: the embedding is the image itself."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(0))

    @staticmethod
    def _flat(x: Tensor) -> Tensor:
        return x.mean(dim=1).flatten(1)  # grayscale: colour casts should not decide identity

    @classmethod
    def _flat_all(cls, images: Tensor, batch: int = 512) -> Tensor:
        # a batch at a time: a float copy of every channel of a whole set is never made (7,700 LFW chips at
        # 150 px: 2 GB a copy, and the evaluation's peak went from 3.4 to 8.5 GB with it)
        return torch.cat([cls._flat(images[i : i + batch].float() / 255) for i in range(0, len(images), batch)])

    def fit(self, images: Tensor) -> PixelBaseline:
        self.mean = self._flat_all(images).mean(0)
        return self

    def forward(self, x: Tensor) -> Tensor:
        return self._flat(x) - self.mean


class EigenfaceBaseline(PixelBaseline):
    """Eigenfaces (Turk & Pentland 1991): pixels projected on the top ``components`` principal axes of the
    images it is fitted on. Fitting uses no identity labels."""

    def __init__(self, components: int = 100) -> None:
        super().__init__()
        self.components = components
        self.register_buffer("axes", torch.zeros(0))

    def fit(self, images: Tensor) -> EigenfaceBaseline:
        centred = self._flat_all(images)
        self.mean = centred.mean(0)
        centred -= self.mean
        q = min(self.components, *centred.shape)
        _, _, v = torch.pca_lowrank(centred, q=q, center=False, niter=4)
        self.axes = v[:, :q]
        return self

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) @ self.axes
