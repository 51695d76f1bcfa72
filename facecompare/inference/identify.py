"""Who is this? Enrol people's photos into a gallery, then rank the gallery against a new photo. Adding or
removing a person changes only the gallery, never the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.inference.bundle import Bundle
from facecompare.inference.drift import drift_warning
from facecompare.inference.face_quality import assess, require_quality
from facecompare.inference.faces import FaceFinder, FoundFace
from facecompare.inference.gallery import Gallery, Match
from facecompare.inference.gallery_threshold import ONE_TO_ONE, choose_threshold
from facecompare.inference.search import GalleryIndex

__all__ = ["Identification", "choose_threshold", "enroll", "identify", "identify_face", "open_gallery"]


def open_gallery(path: str | Path, bundle: Bundle) -> Gallery:
    embedding = bundle.meta["embedding"]
    unit_norm = bool(embedding.get("l2_normalized", False))  # bundles that do not say are checked loosely
    return Gallery(path, bundle.meta["checkpoint"]["sha256"], int(embedding["size"]), unit_norm)


def enroll(
    bundle: Bundle,
    finder: FaceFinder,
    gallery: Gallery,
    person: str,
    images: list[Path],
    min_quality: float | None = None,
) -> int:
    """Embed the face of each image and add them to ``person``, all or nothing: an image without a face, or
    whose face's quality is below ``min_quality``, stops the enrolment before anything is written. Returns the
    person's number of embeddings."""
    return enroll_faces(bundle, gallery, person, finder.find(images), min_quality)


def enroll_faces(
    bundle: Bundle, gallery: Gallery, person: str, faces: list[FoundFace], min_quality: float | None = None
) -> int:
    """``enroll`` for faces already found (each ``path`` is recorded as its source)."""
    embeddings = bundle.embed(np.stack([f.crop for f in faces]))
    assess(bundle, faces, embeddings)
    if min_quality is not None:
        require_quality(faces, min_quality)
    return gallery.enroll(person, embeddings, [str(f.path) for f in faces])


@dataclass
class Identification:
    """``fpir_bound``: at most this fraction of strangers would reach ``threshold`` against the gallery's
    ``embeddings`` (None when the bundle carries no open-set curve; see open_set.py). ``threshold_rule`` and
    ``warning``: how the threshold was chosen and what to know about it (gallery_threshold.py); unless told
    otherwise it is the 1:1 threshold, which no access decision uses."""

    face: FoundFace
    matches: list[Match]
    threshold: float
    people: int
    embeddings: int = 0
    fpir_bound: float | None = None
    threshold_rule: str = ONE_TO_ONE
    warning: str | None = None
    best: str | None = field(init=False)

    def __post_init__(self) -> None:
        known = self.matches and self.matches[0].score >= self.threshold
        self.best = self.matches[0].person if known else None

    def gallery_size(self) -> str:
        """The gallery's size in words, with what it means for strangers when the bundle can tell."""
        size = f"{self.people} people in the gallery"
        if self.fpir_bound is None:
            return size
        return f"{size}; strangers taken for someone: at most {self.fpir_bound:.2%}"

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.best or "UNKNOWN",
            "threshold": self.threshold,
            "threshold_rule": self.threshold_rule,
            "matches": [{"person": m.person, "score": round(m.score, 6)} for m in self.matches],
            "people_in_gallery": self.people,
            "embeddings_in_gallery": self.embeddings,
            "fpir_bound": self.fpir_bound,
            "warning": self.warning,
            "face": self.face.to_json(),
        }


def identify(
    bundle: Bundle,
    finder: FaceFinder,
    gallery: Gallery,
    image: Path,
    top: int = 5,
    threshold: float | None = None,
    backend: str = "numpy",
    fpir: float | None = None,
    access: bool = False,
) -> Identification:
    """The ``top`` people by their best score against the face in ``image``; UNKNOWN (``best`` None) when
    even the first is below the threshold. ``backend``: ``numpy`` or ``faiss`` (see search.py).

    The threshold follows gallery_threshold.py: ``threshold``, else fitted to the gallery for ``fpir`` or the
    default rate, else the bundle's 1:1 threshold, which ``access`` (an allow list will decide) refuses."""
    # a choice that cannot work fails before detection
    choose_threshold(bundle, threshold, fpir, gallery.size(), access)
    (face,) = finder.find([image])
    return identify_face(bundle, gallery, face, top, threshold, backend, fpir, access)


def identify_face(
    bundle: Bundle,
    gallery: Gallery,
    face: FoundFace,
    top: int = 5,
    threshold: float | None = None,
    backend: str = "numpy",
    fpir: float | None = None,
    access: bool = False,
) -> Identification:
    vectors, people = gallery.matrix()
    limit = choose_threshold(bundle, threshold, fpir, len(vectors), access)
    query = bundle.embed(face.crop[None])[0]
    assess(bundle, [face], query[None])
    scorer = bundle.score if bundle.distance == "learned" else None
    index = GalleryIndex(vectors, people, bundle.distance, backend, scorer)
    matches = index.search(query, top)
    warnings = [w for w in (limit.warning(), drift_warning(bundle, vectors, people, limit.value)) if w]
    return Identification(
        face, matches, limit.value, len(set(people)), len(vectors), limit.fpir_bound, limit.rule,
        "; ".join(warnings) or None,
    )  # fmt: skip
