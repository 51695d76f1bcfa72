"""Find a person in a video: sample every Nth frame, detect every face in batches of frames, embed and score
each against the person's reference embeddings, report when the best score reaches the threshold.

Works on files OpenCV can read and on a webcam index (``source="0"``). Thumbnails of the matched faces and
an annotated clip are written only when asked for: frames of a video are as biometric as the photos.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from facecompare.data.detection.base import Detector
from facecompare.errors import FacecompareError
from facecompare.inference.bundle import Bundle
from facecompare.inference.face_filter import FaceFilter
from facecompare.inference.face_quality import NO_MODEL
from facecompare.inference.video_clip import AnnotatedClip


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


def _thumbnail_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FacecompareError(f"{folder}: exists and is not a folder; thumbnails need a folder") from None
    except OSError as err:
        raise FacecompareError(f"{folder}: cannot make the thumbnails folder ({err.strerror})") from None


@dataclass
class ScoredFrame:
    """One examined frame: the faces the filter kept, their crops and their best score against the person."""

    index: int
    seconds: float
    frame: np.ndarray
    faces: list = field(default_factory=list)
    crops: np.ndarray | None = None
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def best(self) -> int | None:
        return int(self.scores.argmax()) if len(self.scores) else None


def score_frames(
    bundle: Bundle,
    detector: Detector,
    references: np.ndarray,
    frames: list[tuple[int, float, np.ndarray]],
    face_filter: FaceFilter,
    quality: Any = None,
) -> list[ScoredFrame]:
    """Detect the faces of a batch of (index, seconds, RGB frame), keep those ``face_filter`` (and, with a
    ``quality`` model, its minimum quality) allows, and score each against ``references``. No side effects
    beyond the filter's counts: what is written or reported is decided from the result."""
    scored = []
    for (index, seconds, frame), found in zip(frames, detector.detect([f for _, _, f in frames]), strict=True):
        faces = face_filter.keep(found, frame.shape[1], frame.shape[0])
        if faces:
            # the detector's own crop, as for photos: aligned on landmarks, or the box (or centre) without them
            crops = np.stack([detector.crop(frame, f, bundle.size, bundle.margin, bundle.alignment) for f in faces])
            embeddings = bundle.embed(crops)
            if quality is not None:  # faces too poor to score are left out, counted like the detector's
                good = face_filter.good_enough(quality.quality(embeddings))
                faces, crops, embeddings = (
                    [f for f, g in zip(faces, good, strict=True) if g],
                    crops[good],
                    embeddings[good],
                )
        if not faces:
            scored.append(ScoredFrame(index, seconds, frame))
            continue
        scores = np.array([bundle.score(e[None], references).max() for e in embeddings])
        scored.append(ScoredFrame(index, seconds, frame, faces, crops, scores))
    return scored


class _Outputs:
    """What a search makes of its scored frames: sightings, thumbnails, the annotated clip, the callback."""

    def __init__(self, limit: float, thumbnails: Path | None, clip: AnnotatedClip | None,
                 on_sighting: Callable[[Sighting], None] | None) -> None:  # fmt: skip
        self.limit, self.thumbnails, self.clip, self.on_sighting = limit, thumbnails, clip, on_sighting
        self.sightings: list[Sighting] = []

    def record(self, scored: ScoredFrame) -> None:
        best = scored.best
        if self.clip is not None:
            marks = [(f.box, float(sc), i == best and sc >= self.limit) for i, (f, sc) in
                     enumerate(zip(scored.faces, scored.scores, strict=True))]  # fmt: skip
            self.clip.add(scored.frame, scored.seconds, marks)
        if best is None or scored.scores[best] < self.limit:
            return
        sighting = Sighting(scored.index, scored.seconds, float(scored.scores[best]), scored.faces[best].box)
        if self.thumbnails is not None:
            path = self.thumbnails / f"frame{scored.index:07d}_{scored.seconds:09.3f}s.jpg"
            cv2.imwrite(str(path), cv2.cvtColor(scored.crops[best], cv2.COLOR_RGB2BGR))
            sighting.thumbnail = str(path)
        self.sightings.append(sighting)
        if self.on_sighting is not None:
            self.on_sighting(sighting)


def search_video(
    bundle: Bundle,
    detector: Detector,
    references: np.ndarray,
    source: str,
    every: int = 5,
    batch: int = 16,
    threshold: float | None = None,
    face_filter: FaceFilter | None = None,
    thumbnails: Path | None = None,
    max_frames: int | None = None,
    on_sighting: Callable[[Sighting], None] | None = None,
    annotate: Path | None = None,
) -> tuple[list[Sighting], int]:
    """Sightings of the person whose embeddings are ``references`` (K, D), in time order, and the number of
    frames examined. A frame counts once, with its best-scoring face of those ``face_filter`` keeps (default:
    FaceFilter(), which counts what it drops). ``on_sighting`` is called as each is
    found (live use); ``max_frames`` stops after that many frames of the source (a webcam never ends);
    ``annotate`` writes the examined frames with their scored faces to a .mp4 or .avi clip."""
    if every < 1 or batch < 1:
        raise FacecompareError(f"every and batch must be at least 1, got {every} and {batch}")
    if max_frames is not None and max_frames < 1:
        raise FacecompareError(f"max_frames must be at least 1, got {max_frames}")
    limit = bundle.threshold if threshold is None else float(threshold)
    face_filter = FaceFilter() if face_filter is None else face_filter
    quality = bundle.quality_model if face_filter.min_quality > 0 else None
    if face_filter.min_quality > 0 and quality is None:
        raise FacecompareError(f"a minimum face quality needs a quality model, and {NO_MODEL}")
    capture = open_video(source)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0  # webcams may not say; 30 is the common rate
    try:
        if thumbnails is not None:  # now, not at the first match: a bad folder would end a long search there
            _thumbnail_folder(Path(thumbnails))
        clip = AnnotatedClip(Path(annotate), fps / every) if annotate is not None else None
    except FacecompareError:
        capture.release()
        raise
    outputs = _Outputs(limit, None if thumbnails is None else Path(thumbnails), clip, on_sighting)
    examined, pending = 0, []

    def flush() -> None:
        for scored in score_frames(bundle, detector, references, pending, face_filter, quality):
            outputs.record(scored)
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
    return outputs.sightings, examined
