"""Which detections of a video frame are scored: confident, large enough and mostly inside the frame.

A video search scores every detection of every examined frame and reports the best, so a false detection
gets thousands of chances to pass the threshold: a patch of a flag, half outside the frame, once scored 0.683
for a person who was not in the video. A photo's face is taken once, from a picture meant to show it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from facecompare.data.detection.base import Face
from facecompare.errors import FacecompareError

# MTCNN gives the faces that LFW photos are taken of at least 0.988; its other detections between 0.9 and
# 0.95 there are turned, dark or half-hidden faces, blurs and a letter. Under 40 px a face is a blur to
# identify, and a box a quarter or more outside the frame is a face cut in two.
VIDEO_MIN_PROB, VIDEO_MIN_SIZE, VIDEO_MIN_INSIDE = 0.95, 40.0, 0.75
REASONS = {
    "low_probability": "below probability {min_prob:g}",
    "too_small": "smaller than {min_size:g} px",
    "outside_frame": "less than {min_inside:.0%} inside the frame",
    "low_quality": "below face quality {min_quality:g}",
}


@dataclass
class FaceFilter:
    """Keeps detections with probability >= ``min_prob``, a box whose shorter side is >= ``min_size`` px and
    at least ``min_inside`` of whose area lies inside the frame; ``dropped`` counts the others by reason."""

    min_prob: float = VIDEO_MIN_PROB
    min_size: float = VIDEO_MIN_SIZE
    min_inside: float = VIDEO_MIN_INSIDE
    min_quality: float = 0.0  # after embedding (inference/quality.py); 0: every face is scored
    dropped: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        rates = (self.min_prob, self.min_inside, self.min_quality)
        if not all(0.0 <= r <= 1.0 for r in rates) or self.min_size < 0:
            raise FacecompareError(
                f"min-prob, min-inside and min-quality must be in [0, 1] and min-size >= 0, got {self.min_prob:g}, "
                f"{self.min_inside:g}, {self.min_quality:g} and {self.min_size:g}"
            )

    def good_enough(self, quality: np.ndarray) -> np.ndarray:
        """Which faces of these qualities are scored; the others are counted as ``low_quality``."""
        keep = np.asarray(quality) >= self.min_quality
        self.dropped["low_quality"] += int((~keep).sum())
        return keep

    def keep(self, faces: list[Face], width: int, height: int) -> list[Face]:
        kept = []
        for face in faces:
            reason = self.reason(face, width, height)
            if reason is None:
                kept.append(face)
            else:
                self.dropped[reason] += 1
        return kept

    def reason(self, face: Face, width: int, height: int) -> str | None:
        """Why ``face`` is dropped (a key of REASONS), or None."""
        x0, y0, x1, y1 = face.box
        inside = max(0.0, min(x1, width) - max(x0, 0.0)) * max(0.0, min(y1, height) - max(y0, 0.0))
        if face.prob < self.min_prob:
            return "low_probability"
        if min(x1 - x0, y1 - y0) < self.min_size:
            return "too_small"
        if inside < self.min_inside * face.area or face.area == 0:
            return "outside_frame"
        return None

    def summary(self) -> str:
        """``dropped 5 detections: 3 below probability 0.95, 2 smaller than 40 px``, or '' when none was."""
        parts = [f"{n} {REASONS[r].format(**vars(self))}" for r, n in sorted(self.dropped.items()) if n]
        return f"dropped {sum(self.dropped.values())} detections: {', '.join(parts)}" if parts else ""

    def to_json(self) -> dict[str, object]:
        settings = {"min_prob": self.min_prob, "min_size": self.min_size, "min_inside": self.min_inside,
                    "min_quality": self.min_quality}  # fmt: skip
        return {**settings, "dropped": {reason: self.dropped.get(reason, 0) for reason in REASONS}}
