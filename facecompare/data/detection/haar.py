"""OpenCV's Haar cascade: a cheap frontal-face detector without landmarks."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from facecompare.data.detection.base import Detector, Face
from facecompare.data.detection.resize import downscale


class HaarDetector(Detector):
    """Boxes only (faces are cropped around them, not aligned). Its confidence is the cascade's level
    weight squashed to (0, 1), so the same probability threshold option applies."""

    def __init__(self, min_face_size: int = 30, scale_factor: float = 1.1, min_neighbors: int = 5, max_side: int = 640):
        self.min_face_size, self.scale_factor = min_face_size, scale_factor
        self.min_neighbors, self.max_side = min_neighbors, max_side
        self.cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if self.cascade.empty():
            raise RuntimeError("OpenCV's haarcascade_frontalface_default.xml is missing from the cv2 install")

    def settings(self) -> dict[str, Any]:
        return {
            "detector": "haar",
            "min_face_size": self.min_face_size,
            "scale_factor": self.scale_factor,
            "min_neighbors": self.min_neighbors,
            "max_side": self.max_side,
        }

    def detect(self, images: list[np.ndarray]) -> list[list[Face]]:
        found = []
        for image in images:
            small, scale = downscale(image, self.max_side)
            gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
            boxes, _, weights = self.cascade.detectMultiScale3(
                gray,
                scaleFactor=self.scale_factor,
                minNeighbors=self.min_neighbors,
                minSize=(self.min_face_size, self.min_face_size),
                outputRejectLevels=True,
            )
            faces = []
            for (x, y, w, h), weight in zip(boxes, np.ravel(weights), strict=False):
                box = (x / scale, y / scale, (x + w) / scale, (y + h) / scale)
                faces.append(Face(tuple(float(v) for v in box), float(1 / (1 + np.exp(-weight)))))
            found.append(faces)
        return found
