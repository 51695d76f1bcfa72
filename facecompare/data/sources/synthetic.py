"""The built-in default data: procedurally drawn faces, no download."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from facecompare.data.faceset import FaceSet, SplitFaces, hwc_to_tensor
from facecompare.data.sources.base import FaceSource
from facecompare.data.synthetic import render_dataset
from facecompare.errors import ConfigError

RENDER_CHUNK = 200  # people rendered at once when packing (scripts/pack.py)


class SyntheticSource(FaceSource):
    """Renders ``num_identities`` people with ``images_per_identity`` images each, split by identity.

    Identity traits depend only on (seed, identity index), so the splits are contiguous index ranges
    without loss of randomness, and validation/test people are never seen in training.
    """

    def __init__(
        self,
        num_identities: int = 400,
        images_per_identity: int = 12,
        split: Mapping[str, float] | None = None,
        seed: int = 0,
    ) -> None:
        split = dict(split or {"train": 0.7, "val": 0.15, "test": 0.15})
        if set(split) - {"train", "val", "test"} or not {"train", "val"} <= set(split):
            raise ConfigError(f"data.source.split needs train and val (and optionally test), got {list(split)}")
        if any(r < 0 for r in split.values()) or split["train"] <= 0 or split["val"] <= 0:
            raise ConfigError(f"data.source.split ratios must be >= 0 with train and val > 0, got {split}")
        if num_identities < 2 * len([r for r in split.values() if r > 0]):
            raise ConfigError(f"data.source.num_identities is too small for {split}: {num_identities}")
        if images_per_identity < 2:
            raise ConfigError(f"data.source.images_per_identity must be >= 2, got {images_per_identity}")
        self.num_identities = num_identities
        self.images_per_identity = images_per_identity
        self.split = split
        self.seed = seed

    def _ranges(self) -> dict[str, tuple[int, int]]:
        total = sum(self.split.values())
        counts = {k: max(2, round(self.num_identities * r / total)) for k, r in self.split.items() if r > 0}
        counts["train"] = self.num_identities - sum(v for k, v in counts.items() if k != "train")
        ranges, start = {}, 0
        for name in ("train", "val", "test"):
            if name in counts:
                ranges[name] = (start, start + counts[name])
                start += counts[name]
        return ranges

    def build(self, image_size: int, channels: int) -> SplitFaces:
        names = [f"synthetic_{i:05d}" for i in range(self.num_identities)]
        sets = {}
        for split, (lo, hi) in self._ranges().items():
            images, labels = render_dataset(hi - lo, self.images_per_identity, image_size, self.seed, lo)
            sets[split] = FaceSet.from_hwc(images, np.asarray(labels), names, channels)
        return SplitFaces(train=sets["train"], val=sets["val"], test=sets.get("test"))

    def iter_faces(
        self, image_size: int, channels: int
    ) -> tuple[list[str], Iterator[tuple[np.ndarray, int]], dict[str, list[int]] | None]:
        # rendered a few people at a time, so that a pack of any size never holds more than those in memory;
        # the crops come in the order build() gives them, split by split
        names = [f"synthetic_{i:05d}" for i in range(self.num_identities)]
        ranges = self._ranges()

        def crops() -> Iterator[tuple[np.ndarray, int]]:
            for lo, hi in ranges.values():
                for start in range(lo, hi, RENDER_CHUNK):
                    count = min(RENDER_CHUNK, hi - start)
                    images, labels = render_dataset(count, self.images_per_identity, image_size, self.seed, start)
                    for image, label in zip(hwc_to_tensor(images, channels), labels, strict=True):
                        yield image.numpy(), int(label)

        return names, crops(), {k: list(range(lo, hi)) for k, (lo, hi) in ranges.items()}

    def split_settings(self) -> dict[str, Any]:
        # the splits are fixed ranges of identity indices; the seed decides what those identities look like
        return {"ratios": self.split, "seed": self.seed, "num_identities": self.num_identities}

    def describe(self) -> str:
        return f"synthetic faces: {self.num_identities} identities x {self.images_per_identity} images"
