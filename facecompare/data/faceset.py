"""In-memory face crops with identity labels, and identity-disjoint splitting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from facecompare.errors import ConfigError


@dataclass
class FaceSet:
    """Aligned face crops held as one compact uint8 tensor, so training does no decoding per step.

    ``images`` is (N, C, H, W) uint8, ``labels`` (N,) int64 indexes ``names``. A packed store's
    ``StoredImages`` (data/face_store.py, read from disk as asked) stands in for the tensor where the crops
    do not fit in memory.
    """

    images: torch.Tensor
    labels: np.ndarray
    names: list[str]

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(
                f"FaceSet.images must be (N, C, H, W) uint8, got {self.images.dtype} {tuple(self.images.shape)}"
            )
        if len(self.images) != len(self.labels):
            raise ValueError(f"FaceSet has {len(self.images)} images but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def num_identities(self) -> int:
        return len(np.unique(self.labels))

    @classmethod
    def from_hwc(cls, images: np.ndarray, labels: np.ndarray, names: list[str], channels: int = 3) -> FaceSet:
        """Build from (N, H, W, 3) uint8 RGB arrays; ``channels=1`` converts to luminance (ITU-R 601)."""
        return cls(hwc_to_tensor(images, channels), np.asarray(labels, dtype=np.int64), names)

    def select_identities(self, identities: np.ndarray) -> FaceSet:
        """The images of the given identities; labels keep their global meaning."""
        mask = np.isin(self.labels, identities)
        if hasattr(self.images, "subset"):  # a store's crops on disk (data/face_store.py): a view, not a copy
            return FaceSet(self.images.subset(mask), self.labels[mask], self.names)
        return FaceSet(self.images[torch.from_numpy(mask)], self.labels[mask], self.names)


@dataclass
class SplitFaces:
    """Identity-disjoint train/val/test face sets. ``*_pairs`` are fixed (M, 3) [i, j, same] rows into the
    matching set when a protocol dictates them (LFW pairs files); None means draw seeded balanced pairs."""

    train: FaceSet
    val: FaceSet
    test: FaceSet | None = None
    val_pairs: np.ndarray | None = None
    test_pairs: np.ndarray | None = None


def check_split_ratios(split: Mapping[str, float]) -> dict[str, float]:
    """``data.source.split`` as a dict, refused unless it names train and val above 0 and nothing but them
    and test (test 0 means no test split)."""
    ratios = dict(split)
    if set(ratios) - {"train", "val", "test"} or not {"train", "val"} <= set(ratios):
        raise ConfigError(f"data.source.split needs train and val above 0 (and optionally test), got {list(ratios)}")
    if ratios["train"] <= 0 or ratios["val"] <= 0:
        raise ConfigError(f"data.source.split: train and val must be > 0 (test 0 means none), got {ratios}")
    return ratios


def split_sizes(num_identities: int, ratios: Mapping[str, float]) -> dict[str, int]:
    """How many identities each split of ``ratios`` (e.g. train 0.8, val 0.2) gets out of ``num_identities``;
    the seed of ``split_identities`` only decides which.

    Every split with a ratio above 0 gets at least one identity when there are enough; a ratio of 0 gives
    an empty split (``test: 0`` means no test split).
    """
    for name, ratio in ratios.items():
        if ratio < 0:
            raise ConfigError(f"data.source.split.{name} must be >= 0, got {ratio}")
    total = sum(ratios.values())
    if total <= 0:
        raise ConfigError(f"data.source.split ratios must sum to more than 0, got {dict(ratios)}")
    wanted = [name for name, r in ratios.items() if r > 0]
    if num_identities < len(wanted):
        raise ConfigError(f"{num_identities} identities cannot fill the {len(wanted)} splits {wanted}")
    counts = {name: round(num_identities * r / total) for name, r in ratios.items()}
    for name in wanted:  # rounding may leave a small split empty; take from the largest
        if counts[name] == 0:
            counts[max(counts, key=counts.get)] -= 1
            counts[name] = 1
    counts[next(iter(ratios))] += num_identities - sum(counts.values())
    return counts


def split_identities(labels: np.ndarray, ratios: Mapping[str, float], seed: int) -> dict[str, np.ndarray]:
    """Shuffle the identities with ``seed`` and cut them by ``ratios`` (e.g. train 0.8, val 0.2) into
    ``split_sizes`` parts."""
    ids = np.unique(labels)
    counts = split_sizes(len(ids), ratios)
    ids = np.random.default_rng(seed).permutation(ids)
    out, start = {}, 0
    for name, count in counts.items():
        out[name] = np.sort(ids[start : start + count])
        start += count
    return out


EVALUATION_SPLITS = {"val": "validation", "test": "test"}


def check_evaluation_split(stage: str, identities: int, people: int, most_images: int | None = None) -> None:
    """Fail unless the ``stage`` split ('val' or 'test'), with ``identities`` of all ``people``, can give
    balanced evaluation pairs: impostor pairs need 2+ identities, genuine pairs an identity with 2+ images
    (``most_images``: the most images one of its identities has; None when not yet known, before detection).
    """
    if identities >= 2 and (most_images is None or most_images >= 2):
        return
    got = f"{identities} of the {people} people" if identities < 2 else f"{identities} people, none with 2+ images"
    raise ConfigError(
        f"the {EVALUATION_SPLITS[stage]} split got {got}: its evaluation pairs need 2+ people, at least one of "
        f"them with 2+ usable images; add people (or photos) to data.root, or raise data.source.split.{stage}"
    )


def hwc_to_tensor(images: np.ndarray, channels: int = 3) -> torch.Tensor:
    """(N, H, W, 3) uint8 RGB crops as the (N, C, H, W) uint8 tensor networks take; ``channels=1`` converts to
    luminance (ITU-R 601) as training does."""
    if channels == 1:
        gray = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        images = np.clip(np.rint(gray), 0, 255).astype(np.uint8)[..., None]
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
