"""What the web app and the HTTP service do with uploads, without any web framework: decode, find the faces,
score, and make the previews the app shows; enrol and remove people. Tested directly; ``web.py`` lays it out in
Gradio, ``facecompare/serve`` answers it as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from facecompare.errors import ConfigError, FacecompareError
from facecompare.inference.access import AccessDecision, decide_access
from facecompare.inference.bundle import Bundle
from facecompare.inference.face_quality import default_min_quality
from facecompare.inference.faces import FaceFinder, FoundFace, decode_image, read_image
from facecompare.inference.gallery import person_name
from facecompare.inference.gallery_threshold import choose_threshold
from facecompare.inference.identify import Identification, enroll_faces, identify_face, open_gallery
from facecompare.inference.open_set import FarCurve
from facecompare.inference.verify import Verdict, verify_faces

PREVIEW_SIDE = 224  # px of the face previews shown side by side
CONTEXT = 0.3  # the preview shows this much of the box's size around the face


class NotFoundError(FacecompareError):
    """Nobody to answer from: no gallery yet, an empty one, or a person it does not hold."""


@dataclass
class Upload:
    """A file the user gave: where it lies now, or its bytes when it is kept in memory (the HTTP service), and
    the name to show in messages (never the temp path)."""

    path: Path | None
    name: str
    data: bytes | None = None

    def decode(self) -> np.ndarray:
        return read_image(self.path, shown_as=self.name) if self.data is None else decode_image(self.data, self.name)


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
        return self.finder.find_read(Upload.decode, uploads, [Path(u.name) for u in uploads])

    def compare(self, a: Upload, b: Upload, threshold: float | None = None) -> Comparison:
        images, verdict = self._verdict(a, b, threshold)
        boxes = (verdict.probe.box, verdict.references[0].box)
        return Comparison(verdict, (face_preview(images[0], boxes[0]), face_preview(images[1], boxes[1])))

    def verify(self, a: Upload, b: Upload, threshold: float | None = None) -> Verdict:
        """``compare`` without the previews, for answers in numbers (the two took ~4.5 ms of a ~55 ms compare)."""
        return self._verdict(a, b, threshold)[1]

    def _verdict(self, a: Upload, b: Upload, threshold: float | None) -> tuple[list[np.ndarray], Verdict]:
        images, (face_a, face_b) = self._faces([a, b])
        return images, verify_faces(self.bundle, face_a, face_b, threshold)

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
            raise NotFoundError(f"{self.gallery}: no such gallery yet; add people with facecompare enroll")
        threshold = self.threshold if threshold is None else threshold
        fpir = self.fpir if threshold is None else None
        with open_gallery(self.gallery, self.bundle) as gallery:
            people = [name for name, _ in gallery.people()]
            if not people:
                raise NotFoundError(f"{self.gallery}: the gallery is empty; add people with facecompare enroll")
            choose_threshold(self.bundle, threshold, fpir, gallery.size(), bool(allowed))
            (image,), (face,) = self._faces([probe])
            result = identify_face(self.bundle, gallery, face, top, threshold, self.search, fpir, bool(allowed))
            access = decide_access(result, allowed, people) if allowed else None
        return Lookup(result, face_preview(image, face.box), access)

    def enroll(self, person: str, uploads: list[Upload]) -> int:
        """Add the face of each upload to ``person``, all or nothing, creating the gallery if need be (as
        ``facecompare enroll``); returns the person's number of embeddings."""
        _, faces = self._faces(uploads)  # before the gallery is opened: a photo without a face writes nothing
        with open_gallery(self._gallery(), self.bundle) as gallery:
            # the bundle's calibrated quality bar, as `facecompare enroll` applies by default
            return enroll_faces(self.bundle, gallery, person, faces, default_min_quality(self.bundle) or None)

    def remove(self, person: str) -> int:
        """Delete ``person``'s embeddings; returns how many there were."""
        with open_gallery(self._existing_gallery(), self.bundle) as gallery:
            if not gallery.count(person):
                raise NotFoundError(f"{self.gallery}: no person named {person_name(person)!r}")
            return gallery.remove(person)

    def people(self) -> list[tuple[str, int]]:
        """(name, number of embeddings) of everyone enrolled, by name."""
        with open_gallery(self._existing_gallery(), self.bundle) as gallery:
            return gallery.people()

    def gallery_summary(self) -> str:
        """The gallery in a few words, for start-up lines; a gallery this model cannot use fails here."""
        if self.gallery is None:
            return "none (identify needs --gallery FILE)"
        if not self.gallery.is_file():
            return f"{self.gallery} (not there yet: enrolment creates it)"
        return f"{self.gallery}, {len(self.people())} people"

    def _gallery(self) -> Path:
        if self.gallery is None:
            raise FacecompareError("no gallery: start with --gallery FILE")
        return self.gallery

    def _existing_gallery(self) -> Path:
        if not self._gallery().is_file():  # only enrolment creates one, as on the command line
            raise NotFoundError(f"{self.gallery}: no such gallery yet; enroll people first")
        return self._gallery()
