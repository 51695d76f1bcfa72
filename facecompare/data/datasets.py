"""Map-style datasets over a FaceSet: single images (P x K batches) and image pairs."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.data import Dataset

from facecompare.data.faceset import FaceSet
from facecompare.data.transforms import FaceAugment


class ImageDataset(Dataset):
    """``(image uint8 (C, H, W), label)`` by index, augmented when ``augment`` is given."""

    def __init__(self, faces: FaceSet, augment: FaceAugment | None = None) -> None:
        self.faces = faces
        self.labels = torch.from_numpy(faces.labels)
        self.augment = augment

    def __len__(self) -> int:
        return len(self.faces)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.faces.images[index]
        return (self.augment(image) if self.augment else image), self.labels[index]

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        # The DataLoader hands over a whole batch: one reseed per batch keeps augmentation cheap.
        if self.augment:
            self.augment.seed_batch(list(indices))
        return [self[i] for i in indices]


class PairDataset(Dataset):
    """Indexed by ``(i, j, same)`` triples from a pair sampler; returns ``(image_a, image_b, same)``. With
    ``augment``, each image of a pair is augmented independently."""

    def __init__(self, faces: FaceSet, augment: FaceAugment | None = None) -> None:
        self.faces = faces
        self.augment = augment

    def __len__(self) -> int:
        return len(self.faces)

    def __getitem__(self, key: tuple[int, int, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        i, j, same = key
        a, b = self.faces.images[i], self.faces.images[j]
        if self.augment:
            a, b = self.augment(a), self.augment(b)
        return a, b, torch.tensor(float(same))

    def __getitems__(self, keys: Sequence[tuple[int, int, int]]) -> list:
        if self.augment:
            self.augment.seed_batch([list(k) for k in keys])
        return [self[k] for k in keys]
