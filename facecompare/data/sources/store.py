"""A packed face store as a source (``data=store data.root=/path/to/store``): the crops stay on disk and are
read from disk as training asks for them (data/face_store.py); only the labels are in memory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from facecompare.data.face_store import read_store
from facecompare.data.faceset import FaceSet, SplitFaces, check_split_ratios, split_identities
from facecompare.data.sources.base import FaceSource
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)
DEFAULT_SPLIT = {"train": 0.9, "val": 0.05, "test": 0.05}  # for a store that records no split of its own


class StoreSource(FaceSource):
    """The store at ``root``, split by identity: as the packed source split it (``split`` null, where the
    store records it: the same people in each split as training from the source itself), or drawn by
    ``split`` ratios with ``seed`` as the other sources do."""

    def __init__(self, root: str, split: Mapping[str, float] | None = None, seed: int = 0) -> None:
        self.root = root
        self.split = None if split is None else check_split_ratios(split)
        self.seed = seed

    def split_settings(self) -> dict[str, Any]:
        return {"ratios": self.split or "as packed (or 0.9 / 0.05 / 0.05)", "seed": self.seed}

    def describe(self) -> str:
        return f"face store {self.root}"

    def build(self, image_size: int, channels: int) -> SplitFaces:
        images, labels, names, meta = read_store(self.root)
        if tuple(meta["shape"]) != (channels, image_size, image_size):
            raise ConfigError(
                f"data.root: {self.root} holds {tuple(meta['shape'])} crops (C, H, W); set data.image_size="
                f"{meta['shape'][1]} data.channels={meta['shape'][0]}, or pack it again at this size"
            )
        faces = FaceSet(images, labels, names)
        if self.split is None and meta.get("splits"):
            ids = {k: np.asarray(v, np.int64) for k, v in meta["splits"].items()}
        else:
            ids = split_identities(labels, self.split or DEFAULT_SPLIT, self.seed)
        pick = {k: faces.select_identities(v) for k, v in ids.items() if len(v)}
        log.info("%s: %d crops of %d identities, read from disk as needed", self.root, len(labels), len(names))
        return SplitFaces(train=pick["train"], val=pick["val"], test=pick.get("test"))
