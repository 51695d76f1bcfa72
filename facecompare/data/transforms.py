"""Training augmentation (albumentations) and CLAHE, on the uint8 CHW tensors the data module serves."""

from __future__ import annotations

import os
import random
import zlib
from collections.abc import Sequence
from typing import Any

# albumentations asks PyPI for its latest version on import: a network call on every training start and a
# hang-then-warning on offline machines. Users who want the check can set the variable to 0 themselves.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A
import cv2
import numpy as np
import torch


class FaceAugment:
    """An albumentations pipeline applied image by image to uint8 (C, H, W) tensors, 1 or 3 channels.

    Randomness comes from ``seed_batch(keys)``: the data module's datasets reseed once per batch from the
    batch's sample keys, which the samplers draw from (seed, epoch). So a run is reproducible with any
    number of DataLoader workers, and a run resumed at an epoch boundary augments exactly as an
    uninterrupted one, without carrying augmentation state in the checkpoint. A worker_init_fn seeding
    per worker would also keep workers from repeating one stream, but the augmentation would then depend
    on num_workers and on which worker got which batch, and a resumed run would not replay it.
    """

    def __init__(self, transforms: Sequence[A.BasicTransform], seed: int = 0) -> None:
        self.pipeline = A.Compose(list(transforms))
        self.seed = seed
        self._reseed(seed)

    def _reseed(self, seed: int) -> None:
        # Not Compose(seed=) / set_random_seed: albumentations 2.0.8 gives every transform its own generator
        # seeded with the same value, so all transforms draw the same numbers and, e.g., a flip and an Affine
        # at p=0.5 always fire together. One stream shared by all transforms keeps their draws independent.
        self.pipeline.set_random_state(np.random.default_rng(seed), random.Random(seed))

    def seed_batch(self, keys: Any) -> None:
        digest = zlib.crc32(np.asarray(keys, dtype=np.int64).tobytes())
        self._reseed((self.seed * 1_000_003 + digest) % 2**32)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.batch(image[None])[0]

    def batch(self, images: torch.Tensor) -> torch.Tensor:
        """Each image of an (N, C, H, W) uint8 batch augmented on its own. The layout change to the (H, W, C)
        arrays albumentations works on is done once for the batch: per image it cost about as much as a
        warp (53 us at 112 px)."""
        hwc = images.permute(0, 2, 3, 1).contiguous().numpy()
        out = np.empty_like(hwc)
        for k, image in enumerate(hwc):
            result = self.pipeline(image=image)["image"]
            if result.shape[:2] != image.shape[:2]:
                raise ValueError(f"augmentation changed the image size {image.shape[:2]} to {result.shape[:2]}")
            out[k] = result.reshape(image.shape)
        return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()


def make_augment(transforms: Sequence[A.BasicTransform] = (), seed: int = 0) -> FaceAugment | None:
    """None when there is nothing to do, so the datasets skip the per-image round trip entirely."""
    return FaceAugment(transforms, seed) if transforms else None


def apply_clahe(images: torch.Tensor, clip_limit: float = 2.0, tile: int = 8) -> torch.Tensor:
    """Contrast-limited adaptive histogram equalisation of (N, C, H, W) uint8 images, on the lightness
    channel for colour images. Done once over a whole split, not per step."""
    clahe = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tile, tile))
    out = images.permute(0, 2, 3, 1).numpy().copy()
    for k, image in enumerate(out):
        if image.shape[2] == 1:
            out[k, :, :, 0] = clahe.apply(image[:, :, 0])
        else:
            lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
            lab[:, :, 0] = clahe.apply(lab[:, :, 0])
            out[k] = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()
