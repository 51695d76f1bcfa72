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
from facecompare.inference.search import GalleryIndex


def open_gallery(path: str | Path, bundle: Bundle) -> Gallery:
    return Gallery(path, bundle.meta["checkpoint"]["sha256"], int(bundle.meta["embedding"]["size"]))


def enroll(bundle: Bundle, finder: FaceFinder, gallery: Gallery, person: str, images: list[Path]) -> int:
    """Embed the face of each image and add them to ``person``, all or nothing: an image without a face
    stops the enrolment before anything is written. Returns the person's number of embeddings."""
    found = finder.find(images)
    embeddings = bundle.embed(np.stack([f.crop for f in found]))
    return gallery.enroll(person, embeddings, [str(f.path) for f in found])


@dataclass
class Identification:
    face: FoundFace
    matches: list[Match]
    threshold: float
    people: int
    best: str | None = field(init=False)

    def __post_init__(self) -> None:
        known = self.matches and self.matches[0].score >= self.threshold
        self.best = self.matches[0].person if known else None

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.best or "UNKNOWN",
            "threshold": self.threshold,
            "matches": [{"person": m.person, "score": round(m.score, 6)} for m in self.matches],
            "people_in_gallery": self.people,
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
) -> Identification:
    """The ``top`` people by their best score against the face in ``image``; UNKNOWN (``best`` None) when
    even the first is below the threshold. ``backend``: ``numpy`` or ``faiss`` (see search.py)."""
    (face,) = finder.find([image])
    return identify_face(bundle, gallery, face, top, threshold, backend)


def identify_face(
    bundle: Bundle,
    gallery: Gallery,
    face: FoundFace,
    top: int = 5,
    threshold: float | None = None,
    backend: str = "numpy",
) -> Identification:
    query = bundle.embed(face.crop[None])[0]
    vectors, people = gallery.matrix()
    scorer = bundle.score if bundle.distance == "learned" else None
    index = GalleryIndex(vectors, people, bundle.distance, backend, scorer)
    limit = bundle.threshold if threshold is None else float(threshold)
    return Identification(face, index.search(query, top), limit, len(set(people)))
