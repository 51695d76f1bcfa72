"""The annotated clip of a video search: the examined frames with every face boxed and scored."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from facecompare.errors import FacecompareError

# H.264 plays everywhere (browsers, phones); OpenCV's pip wheels carry no H.264 encoder, so MPEG-4 Part 2
# is the fallback for .mp4
CODECS = {".mp4": ("avc1", "mp4v"), ".avi": ("MJPG",)}
# a file's codec as OpenCV reads it back
CODEC_NAMES = {
    "H264": "H.264",
    "avc1": "H.264",
    "FMP4": "MPEG-4 Part 2",
    "mp4v": "MPEG-4 Part 2",
    "MJPG": "Motion JPEG",
}
MATCH_BGR, OTHER_BGR = (60, 200, 60), (60, 60, 230)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def draw_label(image: np.ndarray, text: str, x: int, y: int, colour: tuple[int, ...], scale: float = 0.5) -> None:
    """``text`` with its bottom left at (x, y), moved inside the image, in ``colour`` over a black outline
    (legible on white as on black)."""
    (width, height), baseline = cv2.getTextSize(text, FONT, scale, 1)
    x = min(max(x, 2), max(image.shape[1] - width - 2, 2))
    y = min(max(y, height + 2), max(image.shape[0] - baseline - 2, height + 2))
    cv2.putText(image, text, (x, y), FONT, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, (x, y), FONT, scale, colour, 1, cv2.LINE_AA)


def annotate_frame(frame: np.ndarray, seconds: float, boxes: list[tuple[tuple[float, ...], float, bool]]) -> np.ndarray:
    """The RGB ``frame`` as BGR with each (box, score, is the person) drawn and the time at the top left."""
    image = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    for box, score, match in boxes:
        x1, y1, x2, y2 = (round(v) for v in box)
        colour = MATCH_BGR if match else OTHER_BGR
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, 2)
        draw_label(image, f"{score:.2f}", x1, y1 - 6 if y1 >= 20 else y2 + 16, colour)
    draw_label(image, f"{seconds:.2f} s", 8, 20, (255, 255, 255), scale=0.6)
    return image


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """FFmpeg and OpenCV report a missing encoder on file descriptor 2, from C: an expected fallback would
    print four lines of errors."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_writer(path: Path, fps: float, size: tuple[int, int]) -> tuple[cv2.VideoWriter, str] | None:
    """The first of the suffix's codecs that this OpenCV can write: (writer, fourcc), or None."""
    for fourcc in CODECS[path.suffix.lower()]:
        with _native_stderr_silenced():
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
        if writer.isOpened():
            return writer, fourcc
        writer.release()
    return None


class AnnotatedClip:
    """The examined frames with every face boxed and scored (green: the person), at the source's fps divided
    by ``every`` so that the clip lasts as long as the source. Written under a temporary name and renamed
    when complete: an interrupted search leaves no half-written file under the asked-for name."""

    def __init__(self, path: Path, fps: float) -> None:
        if path.suffix.lower() not in CODECS:
            raise FacecompareError(f"{path}: an annotated clip must be .mp4 or .avi")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.fps = path, fps
        self.partial = path.with_name(f".{path.stem}.partial{path.suffix}")
        self.writer: cv2.VideoWriter | None = None

    def add(self, frame: np.ndarray, seconds: float, boxes: list[tuple[tuple[float, ...], float, bool]]) -> None:
        image = annotate_frame(frame, seconds, boxes)
        if self.writer is None:
            opened = open_writer(self.partial, self.fps, (image.shape[1], image.shape[0]))
            if opened is None:
                raise FacecompareError(f"{self.path}: OpenCV cannot write this video")
            self.writer = opened[0]
        self.writer.write(image)

    def close(self, complete: bool) -> None:
        if self.writer is not None:
            self.writer.release()
        if complete and self.writer is not None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def codec_note(path: Path) -> str:
    """The codec of the clip at ``path``, and why an .mp4 is not H.264 when it is not."""
    capture = cv2.VideoCapture(str(path))
    tag = int(capture.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode("ascii", "replace")
    capture.release()
    name = CODEC_NAMES.get(tag, tag)
    if path.suffix.lower() == ".mp4" and name != "H.264":
        return f"{name}: this OpenCV has no H.264 encoder; some browsers and phones do not play it"
    return name
