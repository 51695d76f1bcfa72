"""facenet-pytorch's MTCNN, run on batches of images (on the GPU when there is one)."""

from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np
import torch

from facecompare.data.detection.base import Detector, Face
from facecompare.data.detection.mtcnn_stages import detect_stages
from facecompare.data.detection.resize import downscale, pad_batch


class MTCNNDetector(Detector):
    """MTCNN with 5 landmarks. Images are shrunk so the longer side is at most ``max_side`` (detection cost
    grows with pixels, faces in photos are large), zero-padded at the bottom/right to a common size so a
    batch runs as one tensor (padding leaves coordinates unchanged), and detections are scaled back."""

    has_landmarks = True
    thread_safe = True  # inference only: the networks hold no per-call state

    def __init__(
        self,
        min_face_size: int = 20,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7),
        factor: float = 0.709,
        max_side: int = 640,
        batch_size: int = 32,
        device: str = "auto",
        skip_levels: int = 0,
    ) -> None:
        from facenet_pytorch import MTCNN  # imported here: only this option needs it

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.min_face_size, self.thresholds, self.factor = min_face_size, tuple(thresholds), factor
        self.max_side, self.batch_size = max_side, batch_size
        # The pyramid's first levels search for the smallest faces and hold most of its pixels (level 0 alone a
        # third of them). Skipping N of them keeps the later levels' scales exactly, and the large faces come out
        # as the full search finds them: identical on 2000 LFW photos, and for the astronaut shrunk step by step
        # from 51 px wide up (smaller faces moved up to 1 px). So only faces of at least 1.5 x
        # min_face_size / factor**N px are reported (60 px by default; a door camera's face is larger).
        if skip_levels < 0:
            raise ValueError(f"skip_levels must be >= 0, got {skip_levels}")
        self.skip_levels = skip_levels
        self.model = MTCNN(
            min_face_size=min_face_size, thresholds=list(thresholds), factor=factor, keep_all=True, device=self.device
        ).eval()
        # Channels-last makes MTCNN's convolutions and max-pools ~4x faster on CPU (measured with
        # benchmarks/preprocess_throughput.py); the detections are identical to within 1e-4 px.
        for net in (self.model.pnet, self.model.rnet, self.model.onet):
            net.to(memory_format=torch.channels_last)

    def default_workers(self) -> int:
        # CPU: one single-threaded call per core beats one call using every core (2-core VM: 1.25x).
        # GPU: calls overlap their CPU-side steps; 4 was 2x one call on an H100, 16 no better than one
        # (benchmarks/RESULTS.md).
        return min(4, os.cpu_count() or 1) if self.device.type == "cuda" else max(1, torch.get_num_threads())

    def settings(self) -> dict[str, Any]:
        settings = {
            "detector": "mtcnn",
            "min_face_size": self.min_face_size,
            "thresholds": list(self.thresholds),
            "factor": self.factor,
            "max_side": self.max_side,
        }
        if self.skip_levels:  # only then, so the crop store's existing cache keys stay valid
            settings["skip_levels"] = self.skip_levels
        return settings

    @property
    def smallest_face(self) -> float:
        """Faces whose box side (px, after ``max_side`` shrinking) is below this are not reported: 0 for the
        full search, which reports all it finds."""
        return 1.5 * self.min_face_size / self.factor**self.skip_levels if self.skip_levels else 0.0

    def large_faces_only(self, levels: int = 2) -> MTCNNDetector:
        """This detector without the first ``levels`` pyramid levels, sharing its networks: with the default
        settings faces of 60 px or more, found ~1.6x faster (benchmarks/RESULTS.md)."""
        coarse = copy.copy(self)
        coarse.skip_levels = self.skip_levels + levels
        return coarse

    def detect(self, images: list[np.ndarray]) -> list[list[Face]]:
        found: list[list[Face]] = []
        for start in range(0, len(images), self.batch_size):
            chunk = [downscale(im, self.max_side) for im in images[start : start + self.batch_size]]
            scales = [scale for _, scale in chunk]
            batch = pad_batch([small for small, _ in chunk])
            with torch.inference_mode():
                m = self.model
                nets = (m.pnet, m.rnet, m.onet)
                per_image = detect_stages(
                    batch, m.min_face_size, *nets, m.thresholds, m.factor, self.device, self.skip_levels
                )
            smallest = self.smallest_face
            for (boxes, points), scale in zip(per_image, scales, strict=True):
                found.append(
                    [
                        Face(
                            tuple(float(v) / scale for v in box[:4]),
                            float(box[4]),
                            tuple((float(x) / scale, float(y) / scale) for x, y in marks),
                        )
                        for box, marks in zip(boxes, points, strict=True)
                        if min(box[2] - box[0], box[3] - box[1]) >= smallest
                    ]
                )
        return found
