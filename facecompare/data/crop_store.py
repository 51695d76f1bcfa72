"""An on-disk cache of detections and aligned crops, keyed by file content and preprocessing settings."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

# Bump when the meaning of stored entries changes, so old caches are not misread.
STORE_VERSION = 1


def settings_key(settings: dict[str, Any]) -> str:
    """A short stable hash of a settings dict (key order does not matter)."""
    text = json.dumps({"version": STORE_VERSION, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder and rename, so readers (and a later run after a
    kill) see either the old state or the complete new file, never a partial one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CropStore:
    """``root/detections/<detector key>/<aa>/<sha256>.json`` holds what a detector found in a file;
    ``root/crops/<crop key>/<aa>/<sha256>.json`` the outcome for a file under all crop settings, with the
    aligned crop beside it as ``.npy`` (uint8 H x W x 3) when one was made.

    Detections are kept apart from crops so that changing only the crop size, margin or policies re-warps
    images without detecting again. The outcome JSON is written after its crop, so its presence marks a
    complete entry; a run killed at any point leaves only complete entries and ignorable ``.tmp-*`` files.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()

    @staticmethod
    def _shard(base: Path, digest: str, suffix: str) -> Path:
        return base / digest[:2] / f"{digest}{suffix}"

    def detection_path(self, detector_key: str, digest: str) -> Path:
        return self._shard(self.root / "detections" / detector_key, digest, ".json")

    def outcome_path(self, crop_key: str, digest: str) -> Path:
        return self._shard(self.root / "crops" / crop_key, digest, ".json")

    def get_detection(self, detector_key: str, digest: str) -> dict[str, Any] | None:
        return self._read_json(self.detection_path(detector_key, digest))

    def put_detection(self, detector_key: str, digest: str, record: dict[str, Any]) -> None:
        _atomic_write(self.detection_path(detector_key, digest), lambda f: f.write(json.dumps(record).encode()))

    def get_outcome(self, crop_key: str, digest: str) -> tuple[dict[str, Any], np.ndarray | None] | None:
        """The stored outcome and crop, or None if absent or unreadable (then it is simply recomputed)."""
        path = self.outcome_path(crop_key, digest)
        record = self._read_json(path)
        if record is None:
            return None
        if not record.get("has_crop"):
            return record, None
        try:
            return record, np.load(path.with_suffix(".npy"), allow_pickle=False)
        except (OSError, ValueError):
            return None

    def put_outcome(self, crop_key: str, digest: str, record: dict[str, Any], crop: np.ndarray | None) -> None:
        path = self.outcome_path(crop_key, digest)
        if crop is not None:
            _atomic_write(path.with_suffix(".npy"), lambda f: np.save(f, np.ascontiguousarray(crop, np.uint8)))
        record = {**record, "has_crop": crop is not None}
        _atomic_write(path, lambda f: f.write(json.dumps(record).encode()))

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
