"""What the web app does with two uploads or one, without any web framework: decode, find the faces, score,
and make the previews it shows. Tested directly; ``web.py`` only lays it out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from facecompare.errors import ConfigError, FacecompareError
from facecompare.inference.access import AccessDecision, decide_access
from facecompare.inference.bundle import Bundle
from facecompare.inference.faces import FaceFinder, FoundFace, read_image
from facecompare.inference.gallery_threshold import choose_threshold
from facecompare.inference.identify import Identification, identify_face, open_gallery
from facecompare.inference.open_set import FarCurve
from facecompare.inference.verify import Verdict, verify_faces

PREVIEW_SIDE = 224  # px of the face previews shown side by side
CONTEXT = 0.3  # the preview shows this much of the box's size around the face


@dataclass
class Upload:
    """A file the user gave: where it lies now, and the name to show in messages (never the temp path)."""

    path: Path
    name: str


def face_preview(image: np.ndarray, box: tuple[float, float, float, float] | None) -> np.ndarray:
    """The detected face with some context around it, at most PREVIEW_SIDE px on a side."""
    if box is not None:
        x1, y1, x2, y2 = box
        pad_x, pad_y = (x2 - x1) * CONTEXT, (y2 - y1) * CONTEXT
        h, w = image.shape[:2]
        left, top = max(int(x1 - pad_x), 0), max(int(y1 - pad_y), 0)
        right, bottom = min(int(x2 + pad_x), w), min(int(y2 + pad_y), h)
        if right > left and bottom > top:
            image = image[top:bottom, left:right]
    preview = Image.fromarray(np.ascontiguousarray(image))
    preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    if max(preview.size) < PREVIEW_SIDE:  # small faces are enlarged so that the two previews match in size
        scale = PREVIEW_SIDE / max(preview.size)
        size = (max(round(preview.width * scale), 1), max(round(preview.height * scale), 1))
        preview = preview.resize(size, Image.Resampling.BICUBIC)
    return np.asarray(preview)


@dataclass
class Comparison:
    verdict: Verdict
    previews: tuple[np.ndarray, np.ndarray]


@dataclass
class Lookup:
    result: Identification
    preview: np.ndarray
    access: AccessDecision | None = None  # with an allow list: granted or not, as `identify --allow` decides


class FaceService:
    """One bundle and its face finder, shared by every request; the gallery file is opened per request so
    that people enrolled or removed from the command line meanwhile are seen at once."""

    def __init__(
        self,
        bundle: Bundle,
        finder: FaceFinder,
        gallery: Path | None = None,
        search: str = "numpy",
        fpir: float | None = None,
        threshold: float | None = None,
    ) -> None:
        """``fpir`` or ``threshold``: how identify chooses its threshold when a request gives none (as
        ``identify --fpir`` / ``--threshold``; by default the rule of gallery_threshold.py). An ``fpir`` is
        checked here, so that a bundle without an open-set curve fails at start-up."""
        choose_threshold(bundle, threshold, fpir, 1)
        self.bundle, self.finder, self.gallery, self.search = bundle, finder, gallery, search
        self.fpir, self.threshold = fpir, threshold

    @property
    def fitted(self) -> bool:
        """Whether identify fits its threshold to the gallery when a request gives none."""
        return self.threshold is None and (self.fpir is not None or FarCurve.from_meta(self.bundle.meta) is not None)

    def _faces(self, uploads: list[Upload]) -> tuple[list[np.ndarray], list[FoundFace]]:
        images = [read_image(u.path, shown_as=u.name) for u in uploads]
        return images, self.finder.find_in(images, [Path(u.name) for u in uploads])

    def compare(self, a: Upload, b: Upload, threshold: float | None = None) -> Comparison:
        images, (face_a, face_b) = self._faces([a, b])
        verdict = verify_faces(self.bundle, face_a, face_b, threshold)
        return Comparison(verdict, (face_preview(images[0], face_a.box), face_preview(images[1], face_b.box)))

    def identify(
        self, probe: Upload, threshold: float | None = None, top: int = 5, allowed: list[str] | None = None
    ) -> Lookup:
        """Who ``probe`` is; with ``allowed`` names also whether that person may pass (the whole gallery is
        searched either way: see inference/access.py). ``threshold``, given for this request, is used as given,
        access decisions included; without it the service's rule applies, and an access decision that would
        have to use the bundle's 1:1 threshold is refused (AccessRefusedError) before the photo is read."""
        if top < 1:  # before the photo's detection, which is the slow part
            raise ConfigError(f"top must be at least 1, got {top}")
        if self.gallery is None:
            raise FacecompareError("no gallery: start the app with --gallery FILE (fill it with facecompare enroll)")
        if not self.gallery.is_file():
            raise FacecompareError(f"{self.gallery}: no such gallery yet; add people with facecompare enroll")
        threshold = self.threshold if threshold is None else threshold
        fpir = self.fpir if threshold is None else None
        with open_gallery(self.gallery, self.bundle) as gallery:
            people = [name for name, _ in gallery.people()]
            if not people:
                raise FacecompareError(f"{self.gallery}: the gallery is empty; add people with facecompare enroll")
            choose_threshold(self.bundle, threshold, fpir, gallery.size(), bool(allowed))
            (image,), (face,) = self._faces([probe])
            result = identify_face(self.bundle, gallery, face, top, threshold, self.search, fpir, bool(allowed))
            access = decide_access(result, allowed, people) if allowed else None
        return Lookup(result, face_preview(image, face.box), access)
