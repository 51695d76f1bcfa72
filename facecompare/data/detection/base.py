"""What every face detector returns, and the interface the crop store calls."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from facecompare.data.images import center_square


@dataclass(frozen=True)
class Face:
    """One detection in image pixel coordinates. ``landmarks`` is (5, 2) (eyes, nose, mouth corners) or None."""

    box: tuple[float, float, float, float]
    prob: float
    landmarks: tuple[tuple[float, float], ...] | None = None

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)

    def to_json(self) -> dict[str, Any]:
        return {
            "box": list(self.box),
            "prob": self.prob,
            "landmarks": self.landmarks and [list(p) for p in self.landmarks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Face:
        marks = data.get("landmarks")
        return cls(
            tuple(float(v) for v in data["box"]),
            float(data["prob"]),
            tuple((float(x), float(y)) for x, y in marks) if marks else None,
        )


class Detector(ABC):
    """Finds faces in batches of RGB uint8 images of any sizes."""

    #: detections from detectors with landmarks are aligned; others are cropped around the box
    has_landmarks: bool = False
    #: whether ``detect`` may run in several threads at once (the Preprocessor's ``workers``)
    thread_safe: bool = False

    def default_workers(self) -> int:
        """How many ``detect`` calls the Preprocessor runs at once for ``workers: auto``."""
        return 1

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Everything that changes the detections; part of the crop store's cache key."""

    @abstractmethod
    def detect(self, images: list[np.ndarray]) -> list[list[Face]]:
        """One list of faces per image, any order."""

    def large_faces_only(self) -> Detector | None:
        """A cheaper detector that finds the larger faces this one finds, exactly as this one finds them, or
        None when there is none. The tools search with it first and with this one only when it finds nothing."""
        return None

    def crop(
        self, image: np.ndarray, face: Face | None, size: int, margin: float = 0.0, alignment: str = "arcface"
    ) -> np.ndarray:
        """The ``size`` px crop of ``face`` the models see (``alignment.crop_face``); training's preprocessing
        and inference both crop through here, so a detector's own rule holds in both."""
        from facecompare.data.alignment import crop_face  # alignment imports Face from this module

        return crop_face(image, face, size, margin, alignment)


class NoDetector(Detector):
    """For data that is already cropped: every image is one face filling the frame, or, with ``center`` < 1,
    the centred square of that share of the shorter side (LFW's 250 px photos hold the face in about the
    middle half: the seed-style recipe's fixed centre crops)."""

    thread_safe = True

    def __init__(self, center: float = 1.0) -> None:
        if not 0 < center <= 1:
            raise ValueError(f"detector.center must be in (0, 1], got {center}")
        self.center = float(center)

    @property
    def whole_image(self) -> bool:
        return self.center == 1.0

    def crop(
        self, image: np.ndarray, face: Face | None, size: int, margin: float = 0.0, alignment: str = "arcface"
    ) -> np.ndarray:
        # already-cropped data keeps its whole frame: the largest centred square, not a box around the image
        if self.whole_image:
            return center_square(image, size)
        return super().crop(image, face, size, margin, alignment)

    def settings(self) -> dict[str, Any]:
        return {"detector": "none"} if self.whole_image else {"detector": "none", "center": self.center}

    def detect(self, images: list[np.ndarray]) -> list[list[Face]]:
        if self.whole_image:
            return [[Face((0.0, 0.0, float(im.shape[1]), float(im.shape[0])), 1.0)] for im in images]
        faces = []
        for im in images:
            h, w = im.shape[:2]
            half = min(h, w) * self.center / 2
            faces.append([Face((w / 2 - half, h / 2 - half, w / 2 + half, h / 2 + half), 1.0)])
        return faces
