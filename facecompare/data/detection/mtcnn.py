"""facenet-pytorch's MTCNN, run on batches of images (on the GPU when there is one)."""

from __future__ import annotations

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
    ) -> None:
        from facenet_pytorch import MTCNN  # imported here: only this option needs it

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.min_face_size, self.thresholds, self.factor = min_face_size, tuple(thresholds), factor
        self.max_side, self.batch_size = max_side, batch_size
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
        return {
            "detector": "mtcnn",
            "min_face_size": self.min_face_size,
            "thresholds": list(self.thresholds),
            "factor": self.factor,
            "max_side": self.max_side,
        }

    def detect(self, images: list[np.ndarray]) -> list[list[Face]]:
        found: list[list[Face]] = []
        for start in range(0, len(images), self.batch_size):
            chunk = [downscale(im, self.max_side) for im in images[start : start + self.batch_size]]
            scales = [scale for _, scale in chunk]
            batch = pad_batch([small for small, _ in chunk])
            with torch.inference_mode():
                m = self.model
                per_image = detect_stages(
                    batch, m.min_face_size, m.pnet, m.rnet, m.onet, m.thresholds, m.factor, self.device
                )
            for (boxes, points), scale in zip(per_image, scales, strict=True):
                found.append(
                    [
                        Face(
                            tuple(float(v) / scale for v in box[:4]),
                            float(box[4]),
                            tuple((float(x) / scale, float(y) / scale) for x, y in marks),
                        )
                        for box, marks in zip(boxes, points, strict=True)
                    ]
                )
        return found
