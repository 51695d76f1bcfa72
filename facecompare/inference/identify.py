"""Who is this? Enrol people's photos into a gallery, then rank the gallery against a new photo. Adding or
removing a person changes only the gallery, never the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.inference.bundle import Bundle
from facecompare.inference.faces import FaceFinder, FoundFace
from facecompare.inference.gallery import Gallery, Match
from facecompare.inference.open_set import FarCurve, OpenSetError
from facecompare.inference.search import GalleryIndex


def open_gallery(path: str | Path, bundle: Bundle) -> Gallery:
    return Gallery(path, bundle.meta["checkpoint"]["sha256"], int(bundle.meta["embedding"]["size"]))


def enroll(bundle: Bundle, finder: FaceFinder, gallery: Gallery, person: str, images: list[Path]) -> int:
    """Embed the face of each image and add them to ``person``, all or nothing: an image without a face
    stops the enrolment before anything is written. Returns the person's number of embeddings."""
    return enroll_faces(bundle, gallery, person, finder.find(images))


def enroll_faces(bundle: Bundle, gallery: Gallery, person: str, faces: list[FoundFace]) -> int:
    """``enroll`` for faces already found (each ``path`` is recorded as its source)."""
    embeddings = bundle.embed(np.stack([f.crop for f in faces]))
    return gallery.enroll(person, embeddings, [str(f.path) for f in faces])


@dataclass
class Identification:
    """``fpir_bound``: at most this fraction of strangers would reach ``threshold`` against the gallery's
    ``embeddings`` (None when the bundle carries no open-set curve; see open_set.py)."""

    face: FoundFace
    matches: list[Match]
    threshold: float
    people: int
    embeddings: int = 0
    fpir_bound: float | None = None
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
            "matches": [{"person": m.person, "score": round(m.score, 6)} for m in self.matches],
            "people_in_gallery": self.people,
            "embeddings_in_gallery": self.embeddings,
            "fpir_bound": self.fpir_bound,
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
) -> Identification:
    """The ``top`` people by their best score against the face in ``image``; UNKNOWN (``best`` None) when
    even the first is below the threshold. ``backend``: ``numpy`` or ``faiss`` (see search.py).

    The threshold is ``threshold``, else the one that keeps the false positive identification rate of this
    gallery at most ``fpir`` (open_set.py), else the bundle's calibrated 1:1 threshold."""
    choose_threshold(bundle, threshold, fpir, gallery.size())  # a choice that cannot work fails before detection
    (face,) = finder.find([image])
    return identify_face(bundle, gallery, face, top, threshold, backend, fpir)


def choose_threshold(
    bundle: Bundle, threshold: float | None, fpir: float | None, comparisons: int
) -> tuple[float, float | None]:
    """The threshold for a gallery of ``comparisons`` embeddings (see ``identify``), and the bound on its
    false positive identification rate when the bundle carries an open-set curve (else None)."""
    curve = FarCurve.from_meta(bundle.meta)
    if fpir is None:
        limit = bundle.threshold if threshold is None else float(threshold)
    elif threshold is not None:
        raise OpenSetError("give a threshold or a false positive identification rate, not both")
    elif curve is None:
        raise OpenSetError(
            f"{bundle.path}: this bundle carries no open-set curve, so no threshold can be fitted to a gallery: "
            "run scripts/evaluate.py on the checkpoint (LFW View 1, or a folder of people it did not train on), then "
            "export it again"
        )
    else:
        limit = curve.threshold_for(fpir, comparisons)[0]
    return limit, (curve.fpir_bound(limit, comparisons) if curve is not None else None)


def identify_face(
    bundle: Bundle,
    gallery: Gallery,
    face: FoundFace,
    top: int = 5,
    threshold: float | None = None,
    backend: str = "numpy",
    fpir: float | None = None,
) -> Identification:
    vectors, people = gallery.matrix()
    limit, bound = choose_threshold(bundle, threshold, fpir, len(vectors))
    query = bundle.embed(face.crop[None])[0]
    scorer = bundle.score if bundle.distance == "learned" else None
    index = GalleryIndex(vectors, people, bundle.distance, backend, scorer)
    return Identification(face, index.search(query, top), limit, len(set(people)), len(vectors), bound)
