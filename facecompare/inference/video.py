"""Find a person in a video: sample every Nth frame, detect every face in batches of frames, embed and score
each against the person's reference embeddings, report when the best score reaches the threshold.

Works on files OpenCV can read and on a webcam index (``source="0"``). Thumbnails of the matched faces and
an annotated clip are written only when asked for: frames of a video are as biometric as the photos.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from facecompare.data.detection.base import Detector
from facecompare.errors import FacecompareError
from facecompare.inference.bundle import Bundle


@dataclass
class Sighting:
    frame: int
    seconds: float
    score: float
    box: tuple[float, float, float, float]
    thumbnail: str | None = None

    def to_json(self) -> dict[str, Any]:
        box = [round(v, 1) for v in self.box]
        return {"frame": self.frame, "time": round(self.seconds, 3), "score": round(self.score, 6), "box": box}


def open_video(source: str) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        what = f"webcam {source}" if source.isdigit() else source
        raise FacecompareError(f"{what}: cannot be opened as a video (missing file, unknown codec or no camera)")
    return capture


def sampled_frames(
    capture: cv2.VideoCapture, every: int, limit: int | None = None
) -> Iterator[tuple[int, float, np.ndarray]]:
    """(frame index, seconds, RGB frame) of every ``every``-th frame."""
    fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    index = 0
    while limit is None or index < limit:
        ok = capture.grab()  # grab without decoding the frames that are skipped
        if not ok:
            return
        if index % every == 0:
            ok, frame = capture.retrieve()
            if ok:
                seconds = index / fps if fps > 0 else capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                yield index, seconds, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        index += 1


CODECS = {".mp4": "mp4v", ".avi": "MJPG"}
MATCH_BGR, OTHER_BGR = (60, 200, 60), (60, 60, 230)


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
        image = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        for box, score, match in boxes:
            x1, y1, x2, y2 = (round(v) for v in box)
            colour = MATCH_BGR if match else OTHER_BGR
            cv2.rectangle(image, (x1, y1), (x2, y2), colour, 2)
            cv2.putText(image, f"{score:.2f}", (x1, max(y1 - 6, 12)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1)
        cv2.putText(image, f"{seconds:.2f} s", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        if self.writer is None:
            fourcc = cv2.VideoWriter_fourcc(*CODECS[self.path.suffix.lower()])
            self.writer = cv2.VideoWriter(str(self.partial), fourcc, self.fps, (image.shape[1], image.shape[0]))
            if not self.writer.isOpened():
                raise FacecompareError(f"{self.path}: OpenCV cannot write this video")
        self.writer.write(image)

    def close(self, complete: bool) -> None:
        if self.writer is not None:
            self.writer.release()
        if complete and self.writer is not None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def _thumbnail_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FacecompareError(f"{folder}: exists and is not a folder; thumbnails need a folder") from None
    except OSError as err:
        raise FacecompareError(f"{folder}: cannot make the thumbnails folder ({err.strerror})") from None


def search_video(
    bundle: Bundle,
    detector: Detector,
    references: np.ndarray,
    source: str,
    every: int = 5,
    batch: int = 16,
    threshold: float | None = None,
    min_prob: float = 0.9,
    thumbnails: Path | None = None,
    max_frames: int | None = None,
    on_sighting: Callable[[Sighting], None] | None = None,
    annotate: Path | None = None,
) -> tuple[list[Sighting], int]:
    """Sightings of the person whose embeddings are ``references`` (K, D), in time order, and the number of
    frames examined. A frame counts once, with its best-scoring face. ``on_sighting`` is called as each is
    found (live use); ``max_frames`` stops after that many frames of the source (a webcam never ends);
    ``annotate`` writes the examined frames with their scored faces to a .mp4 or .avi clip."""
    if every < 1 or batch < 1:
        raise FacecompareError(f"every and batch must be at least 1, got {every} and {batch}")
    if max_frames is not None and max_frames < 1:
        raise FacecompareError(f"max_frames must be at least 1, got {max_frames}")
    limit = bundle.threshold if threshold is None else float(threshold)
    capture = open_video(source)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0  # webcams may not say; 30 is the common rate
    try:
        if thumbnails is not None:  # now, not at the first match: a bad folder would end a long search there
            _thumbnail_folder(Path(thumbnails))
        clip = AnnotatedClip(Path(annotate), fps / every) if annotate is not None else None
    except FacecompareError:
        capture.release()
        raise
    sightings: list[Sighting] = []
    examined = 0
    pending: list[tuple[int, float, np.ndarray]] = []

    def flush() -> None:
        faces_per_frame = detector.detect([frame for _, _, frame in pending])
        for (index, seconds, frame), faces in zip(pending, faces_per_frame, strict=True):
            faces = [f for f in faces if f.prob >= min_prob]
            if not faces:
                if clip is not None:
                    clip.add(frame, seconds, [])
                continue
            # the detector's own crop, as for photos: aligned on landmarks, or the box (or centre) without them
            crops = np.stack([detector.crop(frame, f, bundle.size, bundle.margin) for f in faces])
            embeddings = bundle.embed(crops)
            scores = np.array([bundle.score(e[None], references).max() for e in embeddings])
            best = int(scores.argmax())
            if clip is not None:
                clip.add(frame, seconds, [(f.box, float(sc), i == best and sc >= limit) for i, (f, sc) in
                                          enumerate(zip(faces, scores, strict=True))])  # fmt: skip
            if scores[best] >= limit:
                sighting = Sighting(index, seconds, float(scores[best]), faces[best].box)
                if thumbnails is not None:
                    path = Path(thumbnails) / f"frame{index:07d}_{seconds:09.3f}s.jpg"
                    cv2.imwrite(str(path), cv2.cvtColor(crops[best], cv2.COLOR_RGB2BGR))
                    sighting.thumbnail = str(path)
                sightings.append(sighting)
                if on_sighting is not None:
                    on_sighting(sighting)
        pending.clear()

    complete = interrupted = False
    try:
        try:
            for item in sampled_frames(capture, every, max_frames):
                pending.append(item)
                examined += 1
                if len(pending) == batch:
                    flush()
        except KeyboardInterrupt:  # how a live (webcam) search is stopped: keep what was seen so far
            interrupted = True
        if pending:
            flush()
        complete = True
    finally:
        capture.release()
        if clip is not None:
            clip.close(complete)
    if not examined and not interrupted:
        # OpenCV opens almost any file (a text file, a photo of an unknown format) and then reads no frame;
        # "0 of 0 frames show the person" would read as a search that found nobody
        what = f"webcam {source}" if source.isdigit() else source
        raise FacecompareError(f"{what}: no frames could be decoded (not a video, or a format OpenCV cannot read)")
    return sightings, examined
