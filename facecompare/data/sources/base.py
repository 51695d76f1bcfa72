"""The contract between a face source and the data module."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from facecompare.data.faceset import SplitFaces
from facecompare.errors import ConfigError

if TYPE_CHECKING:
    from facecompare.data.sources.pair_sets import EvalSet


class FaceSource(ABC):
    """Turns some storage of face images into identity-disjoint, in-memory splits.

    Sources own everything about files (finding, decoding, detection, caching); the data module only sees
    the resulting FaceSets, so samplers and training never touch the disk.
    """

    @abstractmethod
    def build(self, image_size: int, channels: int) -> SplitFaces:
        """Load or render every face at ``image_size`` x ``image_size`` with ``channels`` (1 or 3)."""

    def iter_faces(
        self, image_size: int, channels: int
    ) -> tuple[list[str], Iterator[tuple[np.ndarray, int]], dict[str, list[int]] | None]:
        """(identity names, every (C, H, W) uint8 crop with its label, the identities of each split or None)
        for packing into a face store (data/face_store.py), which keeps the source's split. This default builds
        the splits in memory; a source of data larger than memory streams instead."""
        faces = self.build(image_size, channels)
        named = {"train": faces.train, "val": faces.val, "test": faces.test}
        splits = {k: sorted(int(v) for v in np.unique(fs.labels)) for k, fs in named.items() if fs is not None}
        parts = [fs for fs in named.values() if fs is not None]

        def crops() -> Iterator[tuple[np.ndarray, int]]:
            for fs in parts:
                for image, label in zip(fs.images, fs.labels, strict=True):
                    yield image.numpy(), int(label)

        return parts[0].names, crops(), splits

    # evaluation draws its pairs over this source's people and saves them (scripts/evaluate.py without
    # pairs_file=) where the source has no protocol pairs of its own
    draws_eval_pairs = False

    def eval_sets(self, image_size: int, channels: int, pairs_file: Path | None) -> tuple[EvalSet, EvalSet | None, str]:
        """The pairs scripts/evaluate.py scores: (test pairs, calibration pairs or None, protocol name), cropped
        as training cropped; ``pairs_file``: a pair list that names them, for sources without their own."""
        raise ConfigError(f"evaluation needs data=lfw or data=folder, got {self.describe()}")

    def check_split(self) -> None:
        """Raise ConfigError if the configured split clearly cannot give usable validation or test sets,
        before ``build`` spends minutes detecting faces. The default checks nothing."""
        return None

    def split_settings(self) -> dict[str, Any]:
        """What decides which identities go to which split (recorded in the run's split.json)."""
        return {}

    def describe(self) -> str:
        return type(self).__name__
