"""An on-disk cache of detections and aligned crops, keyed by file content and preprocessing settings."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.atomic import atomic_write

# Bump when the meaning of stored entries changes, so old caches are not misread.
STORE_VERSION = 1


def settings_key(settings: dict[str, Any]) -> str:
    """A short stable hash of a settings dict (key order does not matter)."""
    text = json.dumps({"version": STORE_VERSION, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, write: Any) -> None:
    # no fsync: a cut entry reads as absent or unreadable and is recomputed, and syncing each of thousands of
    # small files would slow every first run
    atomic_write(path, write, fsync=False)


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
        self._root_made = False

    def _made_private(self, path: Path) -> Path:
        # Crops are faces (biometric data): a cache this creates is its owner's alone (0700). Its files keep
        # the usual permissions, so an existing folder the user opened up on purpose stays as it is.
        if not self._root_made:
            if not self.root.exists():
                self.root.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileExistsError):  # another process made it first
                    self.root.mkdir(mode=0o700)
            self._root_made = True
        return path

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
        path = self._made_private(self.detection_path(detector_key, digest))
        _write(path, lambda f: f.write(json.dumps(record).encode()))

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
        except (OSError, ValueError, EOFError):  # EOFError: an empty file, as a power cut can leave
            return None

    def put_outcome(self, crop_key: str, digest: str, record: dict[str, Any], crop: np.ndarray | None) -> None:
        path = self._made_private(self.outcome_path(crop_key, digest))
        if crop is not None:
            _write(path.with_suffix(".npy"), lambda f: np.save(f, np.ascontiguousarray(crop, np.uint8)))
        record = {**record, "has_crop": crop is not None}
        _write(path, lambda f: f.write(json.dumps(record).encode()))

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
