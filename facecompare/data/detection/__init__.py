"""Face detectors for preprocessing: MTCNN (default, with landmarks), Haar (cheap), none (pre-cropped).

Each is imported on first use (facecompare/lazy_exports.py): MTCNN loads facenet-pytorch and torchvision, which
the code that only needs ``Face`` (alignment, the crop policy) should not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facecompare.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from facecompare.data.detection.base import Detector, Face, NoDetector
    from facecompare.data.detection.haar import HaarDetector
    from facecompare.data.detection.mtcnn import MTCNNDetector

__all__ = ["Detector", "Face", "HaarDetector", "MTCNNDetector", "NoDetector"]
__getattr__ = lazy_exports(
    __name__,
    {"Detector": "base", "Face": "base", "NoDetector": "base", "HaarDetector": "haar", "MTCNNDetector": "mtcnn"},
)
