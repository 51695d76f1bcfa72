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
        # The DataLoader hands over a whole batch: one reseed and one layout change per batch keep
        # augmentation cheap.
        index = torch.as_tensor(list(indices), dtype=torch.long)
        images = self.faces.images[index]
        if self.augment:
            self.augment.seed_batch(list(indices))
            images = self.augment.batch(images)
        return list(zip(images, self.labels[index], strict=True))


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
        triples = torch.as_tensor([list(k) for k in keys], dtype=torch.long).reshape(-1, 3)
        # a and b interleaved, as __getitem__ augments them, so one draw order serves both paths
        images = self.faces.images[triples[:, :2].reshape(-1)]
        if self.augment:
            self.augment.seed_batch(triples.tolist())
            images = self.augment.batch(images)
        same = triples[:, 2].float()
        return list(zip(images[0::2], images[1::2], same, strict=True))
