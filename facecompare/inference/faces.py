"""From a photo file to the aligned crop a bundle embeds: decode (EXIF-upright, size limits), detect, pick
the confident face training would have picked (the largest, or LFW's central one), align it to the bundle's
template. The same functions as training's preprocessing, so a deployed model sees crops made the way its
training crops were."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from facecompare.data.detection.base import Detector, Face, NoDetector
from facecompare.data.images import ImageError, decode_rgb, read_rgb
from facecompare.data.policy import DEFAULT_MIN_PROB, DEFAULT_SEVERAL, FacePolicy
from facecompare.errors import FacecompareError

DETECTORS = ("auto", "mtcnn", "none")
T, R = TypeVar("T"), TypeVar("R")


class NoFaceError(FacecompareError):
    """No face (above the probability threshold) in an image."""


class UnreadableImageError(FacecompareError):
    """An image file that cannot be read or decoded."""


def read_image(path: Path, shown_as: str | Path | None = None) -> np.ndarray:
    """An image file as RGB uint8, upright; any failure is an UnreadableImageError naming ``shown_as``
    (the path itself by default: a web upload is better named by the user's file name than a temp path)."""
    try:
        return read_rgb(Path(path))
    except ImageError as err:
        raise UnreadableImageError(f"{path if shown_as is None else shown_as}: {err.detail}") from None


def decode_image(data: bytes, shown_as: str) -> np.ndarray:
    """Image bytes held in memory (an upload to the HTTP service, which writes none to disk) as ``read_image``
    decodes a file: RGB uint8, upright, the same limits, and an UnreadableImageError naming ``shown_as``."""
    try:
        return decode_rgb(data)
    except ImageError as err:
        raise UnreadableImageError(f"{shown_as}: {err.detail}") from None


@dataclass
class FoundFace:
    """The face used from one image: its crop and where it was (``box`` None for ``detector=none``).
    ``faces_found`` counts the confident faces of the sizes searched (only the large ones when there was one);
    of several, the one ``took`` says ("largest" or "central") was used."""

    path: Path
    crop: np.ndarray
    box: tuple[float, float, float, float] | None
    prob: float | None
    faces_found: int
    took: str = DEFAULT_SEVERAL
    quality: float | None = None  # in [0, 1], set once the crop is embedded (face_quality.py)
    quality_note: str | None = None  # why the quality is 0 or missing
    quality_method: str | None = None  # embedding | learned (the bundle's quality methods)

    def to_json(self) -> dict[str, Any]:
        box = None if self.box is None else [round(v, 1) for v in self.box]
        prob = None if self.prob is None else round(self.prob, 4)
        quality = None if self.quality is None else round(self.quality, 4)
        return {"image": str(self.path), "box": box, "prob": prob, "faces_found": self.faces_found, "took": self.took,
                "quality": quality, "quality_note": self.quality_note,
                "quality_method": self.quality_method}  # fmt: skip


def make_detector(name: str, meta: dict[str, Any], device: str = "cpu", **overrides: Any) -> Detector:
    """``mtcnn`` with the settings the bundle's training used (when it recorded them), ``none`` for images
    that are already face crops, or ``auto``: what the training used (``none`` with its centre share for a
    model trained on fixed centre crops, else MTCNN). ``overrides`` (``max_side``, ``min_face_size``, ...)
    trade recall of small faces for speed: detection cost grows with the pixels searched."""
    recorded = meta.get("alignment", {}).get("detector") or {}
    trained_without = "NoDetector" in str(recorded.get("_target_"))
    if name == "auto":
        name = "none" if trained_without else "mtcnn"
    if name == "none":  # the centre share the model was trained on, if it was trained without detection
        return _remember_training(NoDetector(recorded.get("center", 1.0) if trained_without else 1.0), meta)
    if name != "mtcnn":
        raise FacecompareError(f"unknown detector {name!r}; choose one of {list(DETECTORS)}")
    from facecompare.data.detection.mtcnn import MTCNNDetector

    keys = ("min_face_size", "thresholds", "factor", "max_side")
    settings = {k: recorded[k] for k in keys if k in recorded} if "MTCNN" in str(recorded.get("_target_")) else {}
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return _remember_training(MTCNNDetector(**settings, device=device), meta)


def _remember_training(detector: Detector, meta: dict[str, Any]) -> Detector:
    """``detector`` knowing how the bundle's training took its faces, FaceFinder's defaults: of several, the
    one it took (a model trained with ``skip`` took none of those photos; a tool takes the largest), from what
    probability, with what alignment margin. Bundles that recorded nothing: the largest, from 0.9, none."""
    faces = meta.get("alignment", {}).get("faces") or {}
    several = faces.get("several_faces", "largest")
    detector.trained_faces = {
        "several_faces": several if several in ("largest", "central") else "largest",
        "min_prob": float(faces.get("min_prob", DEFAULT_MIN_PROB)),
        "margin": float(meta.get("alignment", {}).get("margin", 0.0)),
        "alignment": str(meta.get("alignment", {}).get("name", "arcface")),
    }
    return detector


class FaceFinder:
    """Crops the face of each image for a bundle of ``size`` px with alignment ``margin``. ``margin``,
    ``min_prob`` and ``several_faces`` left at None are what the bundle's training used, for a detector from
    ``make_detector(name, bundle.meta)``, else the training defaults (0, 0.9, the largest face)."""

    def __init__(
        self,
        detector: Detector,
        size: int,
        margin: float | None = None,
        min_prob: float | None = None,
        workers: int | None = None,
        large_first: bool = True,
        several_faces: str | None = None,
        alignment: str | None = None,
    ) -> None:
        trained = getattr(detector, "trained_faces", {})  # set by make_detector from the bundle
        self.alignment = trained.get("alignment", "arcface") if alignment is None else alignment
        margin = trained.get("margin", 0.0) if margin is None else margin
        min_prob = trained.get("min_prob", DEFAULT_MIN_PROB) if min_prob is None else min_prob
        several_faces = trained.get("several_faces", DEFAULT_SEVERAL) if several_faces is None else several_faces
        self.detector, self.size, self.margin, self.min_prob = detector, size, margin, min_prob
        # Which face of a photo with several: the one training took (Bundle.face_policy). A model trained on
        # LFW's central faces lost 2 points of test AUC when the tools took the largest (a cut-off bystander
        # at the edge of 33 of View 1's 1549 test photos). No face is an error here, not a centre crop.
        if several_faces not in ("largest", "central"):
            raise FacecompareError(f"several_faces must be 'largest' or 'central', got {several_faces!r}")
        self.policy = FacePolicy(min_prob, no_face="skip", several_faces=several_faces)
        # The face in front of a door camera or in a portrait is large: search for large faces first (MTCNN
        # without its finest pyramid levels, which hold most of its pixels; the same detections) and search
        # the whole pyramid only when that finds none. Only when the largest face is used: the smaller faces
        # the first search leaves out cannot change which face that is, but may hold the central one.
        self.first = detector.large_faces_only() if large_first and several_faces == "largest" else None
        # A pair, or a probe and its anchors, is detected one image per core, each single-threaded: MTCNN's small
        # layers use a core badly, and two images at once took a warm verify from 69 to 50 ms on 2 cores.
        auto = detector.default_workers() if detector.thread_safe else 1
        self.workers = auto if workers is None else workers
        if self.workers < 1 or (self.workers > 1 and not detector.thread_safe):
            raise FacecompareError(f"workers must be 1 for {type(detector).__name__} and >= 1, got {self.workers}")
        self._pool: ThreadPoolExecutor | None = None

    def find(self, paths: list[Path]) -> list[FoundFace]:
        # each worker decodes its own photo too: a 512 px JPEG is ~2 ms that would otherwise run one by one
        found = self._map(lambda path: (image := read_image(path), self._detect_one(image)), paths)
        return [self._crop(path, image, faces) for path, (image, faces) in zip(paths, found, strict=True)]

    def find_in(self, images: list[np.ndarray], names: list[Path]) -> list[FoundFace]:
        """The face of each decoded RGB image; ``names`` say which image an error is about."""
        detections = self._map(self._detect_one, images)
        return [self._crop(name, image, faces) for name, image, faces in zip(names, images, detections, strict=True)]

    def find_read(
        self, read: Callable[[T], np.ndarray], sources: list[T], names: list[Path]
    ) -> tuple[list[np.ndarray], list[FoundFace]]:
        """``find`` for sources that are not files (an upload held in memory): each worker turns its source
        into an RGB image with ``read`` and detects in it. Returns the images too."""
        found = self._map(lambda source: (image := read(source), self._detect_one(image)), sources)
        faces = [self._crop(name, image, detected) for name, (image, detected) in zip(names, found, strict=True)]
        return [image for image, _ in found], faces

    def _map(self, work: Callable[[T], R], items: list[T]) -> list[R]:
        # One image per detector call: a batch pads its images to one size, which moves the boxes of the
        # smaller ones a little, so the same photo would score differently beside a different partner. And
        # always single-threaded when there are workers, a lone image too: a different thread count sums
        # differently, which moved an enrolled photo's score against itself to 0.9997.
        if self.workers == 1:
            return [work(item) for item in items]
        import torch

        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="facecompare-find")
        threads = torch.get_num_threads()
        try:
            return list(self._pool.map(lambda item: self._single_threaded(work, item), items))
        finally:
            torch.set_num_threads(threads)  # the workers' setting leaks into the process: give it back

    @staticmethod
    def _single_threaded(work: Callable[[T], R], item: T) -> R:
        import torch

        torch.set_num_threads(1)
        return work(item)

    def _detect_one(self, image: np.ndarray) -> list[Face]:
        if self.first is not None:
            faces = self.first.detect([image])[0]
            if any(face.prob >= self.min_prob for face in faces):
                return faces
        return self.detector.detect([image])[0]

    def _crop(self, path: Path, image: np.ndarray, faces: list[Face]) -> FoundFace:
        if isinstance(self.detector, NoDetector):  # reported as no box, no probability
            crop = self.detector.crop(image, faces[0], self.size, self.margin, self.alignment)
            return FoundFace(Path(path), crop, None, None, 1)
        outcome, face = self.policy.choose(faces, image.shape[:2])
        if not outcome["used"]:
            raise NoFaceError(f"{path}: {outcome['detail']}")
        confident = sum(f.prob >= self.min_prob for f in faces)
        crop = self.detector.crop(image, face, self.size, self.margin, self.alignment)
        return FoundFace(Path(path), crop, face.box, face.prob, confident, self.policy.several_faces)
