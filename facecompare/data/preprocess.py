"""Source files in, aligned face crops out: decode, detect (each image alone, several in threads), pick a face,
align, cache."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from facecompare.data.alignment import ALIGNMENTS, template
from facecompare.data.crop_store import CropStore, content_hash, settings_key
from facecompare.data.detection.base import Detector, Face
from facecompare.data.images import DEFAULT_MAX_PIXELS, DEFAULT_MIN_SIDE, ImageError, decode_rgb, read_image_bytes
from facecompare.data.manifest import Record
from facecompare.data.policy import DEFAULT_MIN_PROB, DEFAULT_SEVERAL, FacePolicy
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    index: int
    digest: str
    image: np.ndarray
    faces: list[Face] | None = None  # None until detected; set at once from cached detections
    origin: str = "detected"  # manifest.ORIGINS


class Preprocessor:
    """Turns ``(path, person)`` items into Records holding (size, size, 3) uint8 crops.

    Faces below ``min_prob`` are ignored; ``no_face`` (skip | center_crop) and ``several_faces``
    (largest | central | skip) say what to do with the rest (see FacePolicy). ``margin`` widens the crop.
    ``batch_size`` decoded images go to a detection thread at a time, ``workers`` threads detect at once, and
    each image is detected alone on one thread: its crop depends on the file and the settings only.

    Every outcome is cached in the CropStore under the file's content hash, so a second run decodes and
    detects nothing, and a run killed half-way resumes where it stopped. ``cache_dir=None`` keeps
    everything in memory (nothing written to disk).
    """

    def __init__(
        self,
        detector: Detector,
        cache_dir: str | None = None,
        min_prob: float = DEFAULT_MIN_PROB,
        no_face: str = "skip",
        several_faces: str = DEFAULT_SEVERAL,
        margin: float = 0.0,
        alignment: str = "arcface",
        batch_size: int = 32,
        workers: int | str = "auto",
        max_pixels: int = DEFAULT_MAX_PIXELS,
        min_side: int = DEFAULT_MIN_SIDE,
        progress: bool = True,
    ) -> None:
        if margin < 0:
            raise ConfigError(f"data.source.preprocess.margin must be >= 0, got {margin}")
        if alignment not in ALIGNMENTS:
            raise ConfigError(f"data.alignment must be one of {list(ALIGNMENTS)}, got {alignment!r}")
        if batch_size < 1:
            raise ConfigError(f"data.source.preprocess.batch_size must be >= 1, got {batch_size}")
        if workers == "auto":
            workers = detector.default_workers() if detector.thread_safe else 1
        if not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"data.source.preprocess.workers must be 'auto' or an integer >= 1, got {workers!r}")
        if workers > 1 and not detector.thread_safe:
            raise ConfigError(f"data.source.preprocess.workers={workers}: {type(detector).__name__} runs in one thread")
        self.workers = workers
        self.detector = detector
        self.policy = FacePolicy(min_prob, no_face, several_faces)
        self.store = CropStore(cache_dir) if cache_dir else None
        self.margin, self.alignment, self.batch_size = margin, alignment, batch_size
        self.max_pixels, self.min_side, self.progress = max_pixels, min_side, progress
        self.detected = self.recropped = self.cached = 0  # counts of the last run, for the tests and benchmarks

    def settings(self, size: int) -> dict[str, Any]:
        return {
            **self.detector.settings(),
            **self.policy.settings(),
            "size": size,
            "margin": self.margin,
            # only when not the default, so that the crop store's existing keys stay valid; with the template's
            # points, so that crops made before a template was refined are never taken for today's
            **(
                {"alignment": self.alignment, "template": template(112, 0.0, self.alignment).round(4).tolist()}
                if self.alignment != "arcface"
                else {}
            ),
            "max_pixels": self.max_pixels,
            "min_side": self.min_side,
        }

    def run(self, items: Sequence[tuple[Path, str]], size: int) -> list[Record]:
        detector_key = settings_key(self.detector.settings())
        crop_key = settings_key(self.settings(size))
        records: list[Record] = []
        pending: list[_Pending] = []
        self.detected = self.recropped = self.cached = 0
        bar = tqdm(total=len(items), desc="preprocessing faces", unit="img", disable=not self.progress, leave=False)
        with self._detection_pool() as pool:
            in_flight: deque[tuple[list[_Pending], list[_Pending], Future | None]] = deque()

            def submit(batch: list[_Pending]) -> None:
                todo = [p for p in batch if p.faces is None]
                images = [p.image for p in todo]
                future = (pool.submit(self._detect, images) if pool else _done(self._detect(images))) if todo else None
                in_flight.append((batch, todo, future))
                # one batch waits queued behind the busy workers, so none idles while the oldest is finished
                while len(in_flight) > (self.workers if pool else 0):
                    self._finish_batch(*in_flight.popleft(), records, detector_key, crop_key, size, bar)

            self._read(items, records, pending, submit, detector_key, crop_key, bar)
            if pending:
                submit(pending)
            while in_flight:
                self._finish_batch(*in_flight.popleft(), records, detector_key, crop_key, size, bar)
        bar.close()
        return records

    @contextmanager
    def _detection_pool(self):
        threads = torch.get_num_threads()
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="facecompare-detect") if self.workers > 1 else None
        try:
            yield pool
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            torch.set_num_threads(threads)  # detection ran single-threaded; give the caller its setting back

    def _detect(self, images: list[np.ndarray]) -> list[list[Face]]:
        """Each image alone, on one thread (OpenMP's count is per thread): MTCNN's sums round differently with
        the number of images in a call (its matrix kernels are chosen by size), the padding to a batch's
        largest image and the thread count. In batches, a resumed run, whose batches hold only what the cache
        lacks, made other crops than a fresh one; alone, a photo's detections depend on the photo only, as
        in the tools (inference.faces), which detect one image at a time too."""
        torch.set_num_threads(1)
        return [self.detector.detect([image])[0] for image in images]

    def _read(self, items, records, pending, submit, detector_key, crop_key, bar) -> None:
        """Reads, hashes and decodes each item; cache hits and unreadable files are finished here, the rest
        are handed to ``submit`` in batches."""
        for index, (path, person) in enumerate(items):
            records.append(Record(Path(path), person, "unreadable"))
            try:
                data = read_image_bytes(Path(path))
            except ImageError as err:
                records[-1].detail = err.detail
                bar.update()
                continue
            digest = records[-1].digest = content_hash(data)
            hit = self.store.get_outcome(crop_key, digest) if self.store else None
            if hit is not None:
                self._fill(records[-1], hit[0], hit[1])
                records[-1].origin = "cached"
                self.cached += 1
                bar.update()
                continue
            try:
                image = decode_rgb(data, self.max_pixels, self.min_side)
            except ImageError as err:
                # Not stored: decoding again is cheap, and a decoder installed later (HEIC support, a newer
                # Pillow) then reads the file on the next run instead of a cached "unreadable".
                self._fill(records[-1], {"status": err.status, "detail": err.detail}, None)
                bar.update()
                continue
            stored = self.store.get_detection(detector_key, digest) if self.store is not None else None
            if stored is None:
                pending.append(_Pending(index, digest, image))
            else:
                faces = [Face.from_json(f) for f in stored["faces"]]
                pending.append(_Pending(index, digest, image, faces, origin="recropped"))
            if len(pending) >= self.batch_size:
                submit(pending[:])
                pending.clear()

    def _finish_batch(self, batch, todo, future, records, detector_key, crop_key, size, bar) -> None:
        if future is not None:
            for p, faces in zip(todo, future.result(), strict=True):
                p.faces = faces
                if self.store is not None:
                    self.store.put_detection(detector_key, p.digest, {"faces": [f.to_json() for f in faces]})
            self.detected += len(todo)
        self.recropped += len(batch) - len(todo)
        for p in batch:
            outcome, face = self.policy.choose(p.faces or [], p.image.shape[:2])
            crop = None
            if outcome["used"]:
                crop = self._crop(p.image, face, size)
            self._finish(records[p.index], crop_key, p.digest, outcome, crop)
            records[p.index].origin = p.origin
            bar.update()

    def _crop(self, image: np.ndarray, face: Face | None, size: int) -> np.ndarray:
        return self.detector.crop(image, face, size, self.margin, self.alignment)

    def _finish(self, record: Record, crop_key: str, digest: str, outcome: dict, crop: np.ndarray | None) -> None:
        if self.store is not None:
            self.store.put_outcome(crop_key, digest, outcome, crop)
        self._fill(record, {**outcome, "has_crop": crop is not None}, crop)

    @staticmethod
    def _fill(record: Record, outcome: dict[str, Any], crop: np.ndarray | None) -> None:
        record.status = outcome["status"]
        record.detail = outcome.get("detail", "")
        record.prob = outcome.get("prob")
        record.used = bool(outcome.get("used", False)) and crop is not None
        record.crop = crop


def _done(result: list[list[Face]]) -> Future:
    future: Future = Future()
    future.set_result(result)
    return future
