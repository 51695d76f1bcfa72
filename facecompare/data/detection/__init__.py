"""Face detectors for preprocessing: MTCNN (default, with landmarks), Haar (cheap), none (pre-cropped)."""

from facecompare.data.detection.base import Detector, Face, NoDetector
from facecompare.data.detection.haar import HaarDetector
from facecompare.data.detection.mtcnn import MTCNNDetector

__all__ = ["Detector", "Face", "HaarDetector", "MTCNNDetector", "NoDetector"]
