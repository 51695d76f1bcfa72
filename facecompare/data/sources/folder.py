"""One sub-folder per person, the layout people build with a phone camera."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from facecompare.data.faceset import FaceSet, SplitFaces, split_identities
from facecompare.data.sources.base import FaceSource
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".pgm", ".gif", ".tif", ".tiff")


def load_square(path: Path, size: int) -> np.ndarray:
    """Decode, honour EXIF orientation, centre-crop to a square and resize to (size, size, 3) RGB."""
    with Image.open(path) as img:
        img = ImageOps.exif_transpose(img).convert("RGB")
        return np.asarray(ImageOps.fit(img, (size, size), Image.Resampling.BILINEAR))


class FolderSource(FaceSource):
    """``root/<person>/<image>`` with faces already cropped (centre crop, no detection).

    Splits are identity-disjoint by ``split`` ratios and ``seed``. Unreadable files are skipped, each
    named in a warning, and counted in ``skipped``.
    """

    def __init__(self, root: str, split: Mapping[str, float] | None = None, seed: int = 0) -> None:
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise ConfigError(f"data.source.root: {self.root} is not a folder (expected one sub-folder per person)")
        self.split = dict(split or {"train": 0.8, "val": 0.2})
        self.seed = seed
        self.skipped: list[tuple[Path, str]] = []

    def _people(self) -> list[tuple[str, list[Path]]]:
        people = []
        for person in sorted(p for p in self.root.iterdir() if p.is_dir()):
            files = sorted(f for f in person.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file())
            if files:
                people.append((person.name, files))
            else:
                self.skipped.append((person, "no image files"))
        if len(people) < 2:
            raise ConfigError(f"data.source.root: {self.root} has {len(people)} person folders with images, need 2+")
        return people

    def build(self, image_size: int, channels: int) -> SplitFaces:
        self.skipped = []
        names, images, labels = [], [], []
        for name, files in self._people():
            names.append(name)
            for f in files:
                try:
                    images.append(load_square(f, image_size))
                    labels.append(len(names) - 1)
                except (OSError, ValueError, Image.DecompressionBombError) as err:
                    self.skipped.append((f, f"{type(err).__name__}: {err}"))
        for path, why in self.skipped:
            log.warning("skipped %s: %s", path, why)
        log.info(
            "%s: loaded %d images of %d people, skipped %d",
            self.root,
            len(images),
            len(names),
            len(self.skipped),
        )
        if not images:
            raise ConfigError(f"data.source.root: no readable images under {self.root}")
        faces = FaceSet.from_hwc(np.stack(images), np.asarray(labels), names, channels)
        ids = split_identities(faces.labels, self.split, self.seed)
        pick = {k: faces.select_identities(v) for k, v in ids.items() if len(v)}
        return SplitFaces(train=pick["train"], val=pick["val"], test=pick.get("test"))

    def describe(self) -> str:
        return f"image folders under {self.root}"
