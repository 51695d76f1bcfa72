"""Is this the same person? One image against another, or against several anchor images of one person."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.data.images import is_ignored
from facecompare.errors import FacecompareError
from facecompare.inference.bundle import Bundle
from facecompare.inference.face_quality import assess
from facecompare.inference.faces import FaceFinder, FoundFace, UnreadableImageError, read_image

AGGREGATES = ("mean", "max", "vote")


@dataclass
class Verdict:
    score: float
    threshold: float
    match: bool
    probe: FoundFace
    references: list[FoundFace]
    scores: list[float]
    aggregate: str | None = None
    skipped: list[str] = field(default_factory=list)  # why each anchor left out was left out

    def to_json(self) -> dict[str, Any]:
        anchors = {} if self.aggregate is None else {"anchors_skipped": self.skipped}
        return {
            "score": round(self.score, 6),
            "threshold": self.threshold,
            "match": self.match,
            "aggregate": self.aggregate,
            "faces": [self.probe.to_json()] + [r.to_json() for r in self.references],
            "scores": [round(s, 6) for s in self.scores],
            **anchors,
        }


def verify(bundle: Bundle, finder: FaceFinder, a: Path, b: Path, threshold: float | None = None) -> Verdict:
    """Score ``a`` against ``b``: MATCH when the score reaches the threshold (the bundle's calibrated one
    unless ``threshold`` is given)."""
    probe, other = finder.find([a, b])
    return verify_faces(bundle, probe, other, threshold)


def verify_faces(bundle: Bundle, probe: FoundFace, other: FoundFace, threshold: float | None = None) -> Verdict:
    embeddings = bundle.embed(np.stack([probe.crop, other.crop]))
    assess(bundle, [probe, other], embeddings)
    score = float(bundle.score(embeddings[0], embeddings[1])[0])
    limit = bundle.threshold if threshold is None else float(threshold)
    return Verdict(score, limit, score >= limit, probe, [other], [score])


def anchor_images(folder: Path) -> list[Path]:
    """Every file of ``folder`` but notes and OS metadata (the folder source's rule): a photo in a format
    that cannot be read is named and skipped by verify_anchors, rather than left out silently."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FacecompareError(f"{folder}: not a folder of anchor images")
    paths = sorted(p for p in folder.iterdir() if p.is_file() and not is_ignored(p))
    if not paths:
        raise FacecompareError(f"{folder}: no anchor images in it")
    return paths


def verify_anchors(
    bundle: Bundle,
    finder: FaceFinder,
    probe: Path,
    anchors: list[Path],
    aggregate: str = "mean",
    threshold: float | None = None,
) -> Verdict:
    """The probe against every anchor. ``mean`` / ``max`` compare the mean / highest score with the
    threshold; ``vote`` matches when more than half of the anchors match on their own (its score is the
    share that did). Mean and vote need several anchors to agree, which cuts false accepts."""
    if aggregate not in AGGREGATES:
        raise FacecompareError(f"aggregate must be one of {list(AGGREGATES)}, got {aggregate!r}")
    images, used, skipped = read_anchors(anchors)
    found = finder.find_in([read_image(probe), *images], [probe, *used])
    embeddings = bundle.embed(np.stack([f.crop for f in found]))
    assess(bundle, found, embeddings)
    scores = bundle.score(embeddings[:1], embeddings[1:])
    limit = bundle.threshold if threshold is None else float(threshold)
    if aggregate == "vote":
        score = float((scores >= limit).mean())
        match = score > 0.5
    else:
        score = float(scores.mean() if aggregate == "mean" else scores.max())
        match = score >= limit
    return Verdict(score, limit, match, found[0], found[1:], scores.tolist(), aggregate, skipped)


def read_anchors(anchors: list[Path]) -> tuple[list[np.ndarray], list[Path], list[str]]:
    """The anchors that decode, their paths, and why each other one does not: one unreadable photo of a
    person's folder leaves the others to decide. None readable is an error."""
    images, used, skipped = [], [], []
    for path in anchors:
        try:
            images.append(read_image(path))
            used.append(path)
        except UnreadableImageError as err:
            skipped.append(str(err))
    if not images:
        raise FacecompareError(f"none of the {len(anchors)} anchor images can be read ({'; '.join(skipped[:3])})")
    return images, used, skipped
