"""insightface's packed training sets as a face source: ``data=rec data.root=/path/to/faces_webface_112x112``,
a folder with ``train.rec``, ``train.idx`` and (optionally) ``property``. The crops are already aligned
(112 x 112, arcface's five-point template), so nothing is detected (the config's detector goes into the bundle,
for the tools to align photos alike); they are decoded as mxnet decodes them
(OpenCV, then RGB) and resized where ``data.image_size`` differs, which the log says once.

The whole set is decoded into memory, as the other sources are: fine for the small sets and slices
(``max_images``); the large ones (MS1MV3 and up) need the streamed store of issue #26, not yet built.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from facecompare.data.faceset import (
    EVALUATION_SPLITS,
    FaceSet,
    SplitFaces,
    check_evaluation_split,
    check_split_ratios,
    hwc_to_tensor,
    split_identities,
    split_sizes,
)
from facecompare.data.sources.base import FaceSource
from facecompare.data.sources.recordio import RecordIOError, RecordReader, read_property, unpack
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)


def decode(payload: bytes, size: int) -> np.ndarray | None:
    """An encoded image as (size, size, 3) RGB uint8, as ``mx.image.imdecode`` gives it; None if undecodable."""
    image = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_COLOR) if payload else None
    if image is None:
        return None
    if image.shape[:2] != (size, size):
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def identity(label: float | np.ndarray) -> int:
    """A record's identity: its label, or the first value of an array label (as insightface reads it)."""
    value = float(label[0]) if isinstance(label, np.ndarray) else float(label)
    if not value.is_integer() or value < 0:
        raise ValueError(f"label {value} is not an identity index")
    return int(value)


class RecordIOSource(FaceSource):
    """The aligned crops of ``root/train.rec``, split by identity (``split`` ratios, ``seed``)."""

    def __init__(
        self,
        root: str,
        split: Mapping[str, float] | None = None,
        seed: int = 0,
        max_images: int | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        for name in ("train.rec", "train.idx"):
            if not (self.root / name).is_file():
                raise ConfigError(f"data.root: {self.root} has no {name} (expected insightface's train.rec/.idx)")
        self.split = check_split_ratios(split or {"train": 0.9, "val": 0.05, "test": 0.05})
        if max_images is not None and max_images < 1:
            raise ConfigError(f"data.source.max_images must be >= 1 or null, got {max_images}")
        self.seed, self.max_images = seed, max_images

    def split_settings(self) -> dict[str, Any]:
        return {"ratios": self.split, "seed": self.seed, "max_images": self.max_images}

    def describe(self) -> str:
        return f"RecordIO faces in {self.root}"

    def _records(self, image_size: int, skipped: Counter) -> Iterator[tuple[np.ndarray, int]]:
        """(RGB crop, identity) of each image record in key order; undecodable ones counted in ``skipped``."""
        if (self.root / "property").is_file():
            classes, height, width = read_property(self.root / "property")
            log.info("%s: %d identities, %d x %d crops (property)", self.root, classes, height, width)
            if (height, width) != (image_size, image_size):
                log.info("resizing the %d x %d crops to data.image_size %d", height, width, image_size)
        reader = RecordReader(self.root / "train.rec", self.root / "train.idx")
        try:
            keys = reader.image_keys()[: self.max_images]
            for key in keys:
                try:
                    header, payload = unpack(reader.read(key))
                    label = identity(header.label)
                except ValueError as err:
                    raise RecordIOError(f"{reader.path}: record {key}: {err}") from None
                image = decode(payload, image_size)
                if image is None:
                    skipped["undecodable image"] += 1
                    continue
                yield image, label
        finally:
            reader.close()
        if skipped:
            left = sum(skipped.values())
            log.warning("%s: %d of %d records left out: %s", reader.path, left, len(keys), dict(skipped))

    def iter_faces(
        self, image_size: int, channels: int
    ) -> tuple[list[str], Iterator[tuple[np.ndarray, int]], dict[str, list[int]] | None]:
        # streamed, for packing sets larger than memory; names cover every label the records can hold, and the
        # split is the store's to draw (data=store), since drawing it here would need every label first
        classes = read_property(self.root / "property")[0] if (self.root / "property").is_file() else None
        if classes is None:
            raise ConfigError(f"data.root: {self.root} has no property file, which names the number of identities")

        def crops() -> Iterator[tuple[np.ndarray, int]]:
            for image, label in self._records(image_size, Counter()):
                if label >= classes:
                    raise RecordIOError(f"{self.root}: label {label} beyond the {classes} identities of property")
                yield hwc_to_tensor(image[None], channels)[0].numpy(), label

        return [str(i) for i in range(classes)], crops(), None

    def build(self, image_size: int, channels: int) -> SplitFaces:
        images, labels = [], []
        for image, label in self._records(image_size, Counter()):
            images.append(image)
            labels.append(label)
        values, index = np.unique(np.asarray(labels, np.int64), return_inverse=True)
        if len(values) < 2:
            raise ConfigError(f"data.root: {self.root} holds {len(values)} identities, need 2+")
        for stage, size in split_sizes(len(values), self.split).items():
            if stage in EVALUATION_SPLITS and self.split[stage] > 0:
                check_evaluation_split(stage, size, len(values))
        faces = FaceSet.from_hwc(np.stack(images), index, [str(v) for v in values], channels)
        ids = split_identities(faces.labels, self.split, self.seed)
        pick = {k: faces.select_identities(v) for k, v in ids.items() if len(v)}
        log.info("%s: %d images of %d identities", self.root, len(faces), len(values))
        return SplitFaces(train=pick["train"], val=pick["val"], test=pick.get("test"))
