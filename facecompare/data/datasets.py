"""Map-style datasets over a FaceSet: single images (P x K batches) and image pairs."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from facecompare.data.faceset import FaceSet


class ImageDataset(Dataset):
    """``(image uint8 (C, H, W), label)`` by index."""

    def __init__(self, faces: FaceSet) -> None:
        self.faces = faces
        self.labels = torch.from_numpy(faces.labels)

    def __len__(self) -> int:
        return len(self.faces)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.faces.images[index], self.labels[index]


class PairDataset(Dataset):
    """Indexed by ``(i, j, same)`` triples from a pair sampler; returns ``(image_a, image_b, same)``."""

    def __init__(self, faces: FaceSet) -> None:
        self.faces = faces

    def __len__(self) -> int:
        return len(self.faces)

    def __getitem__(self, key: tuple[int, int, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        i, j, same = key
        return self.faces.images[i], self.faces.images[j], torch.tensor(float(same))
