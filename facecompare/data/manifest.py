"""The preprocessing manifest: one row per source file with its outcome, and a one-line summary."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facecompare.atomic import atomic_write_text

# What happened to a source file. `used` says separately whether its crop went into the dataset (a
# no-face image can still be used through the centre-crop fallback, several faces through a pick).
STATUSES = (
    "ok", "no_face", "several_faces", "unreadable", "too_small", "skipped", "empty_folder", "excluded", "duplicate",
)  # fmt: skip
COLUMNS = ("path", "person", "status", "used", "detail", "prob")
# How this run made a file's outcome, for the summary: each file is in exactly one of these ("": no face search
# ran on it: unreadable, skipped, excluded).
ORIGINS = {
    "detected": "processed now",
    "recropped": "cropped from cached detections",
    "cached": "from the cache",
    "": "not processed",
}


@dataclass
class Record:
    path: Path
    person: str
    status: str
    used: bool = False
    detail: str = ""
    prob: float | None = None
    crop: np.ndarray | None = field(default=None, repr=False)
    origin: str = ""  # a key of ORIGINS
    digest: str = ""  # SHA-256 of the file's bytes, once preprocessing has read it

    def row(self, root: Path | None) -> dict[str, str]:
        path = self.path
        if root is not None and path.is_relative_to(root):
            path = path.relative_to(root)
        prob = "" if self.prob is None else f"{self.prob:.4f}"
        return {
            "path": str(path),
            "person": self.person,
            "status": self.status,
            "used": "yes" if self.used else "no",
            "detail": self.detail,
            "prob": prob,
        }


def write_manifest(records: Iterable[Record], path: Path, root: Path | None = None) -> None:
    """CSV with COLUMNS; paths relative to ``root`` when under it. Written atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    for record in records:
        writer.writerow(record.row(root))
    atomic_write_text(path, buf.getvalue())


def read_manifest(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def summary(records: list[Record]) -> str:
    """E.g. ``1000 files: 951 used; 940 ok, 30 no face (20 used), ...; 12 processed now, 985 from the cache,
    3 not processed``: the outcomes, then how this run made them (ORIGINS; the buckets with files).

    "Processed" rather than "detected": with ``detector=none`` nothing is detected, files are only decoded
    and cropped."""
    statuses = Counter(r.status for r in records)
    used = Counter(r.status for r in records if r.used)
    parts = []
    for status in STATUSES:
        if statuses[status]:
            label = status.replace("_", " ")
            extra = f" ({used[status]} used)" if status not in ("ok",) and used[status] else ""
            parts.append(f"{statuses[status]} {label}{extra}")
    origins = Counter(r.origin for r in records)
    made = [f"{origins[key]} {label}" for key, label in ORIGINS.items() if origins[key]] or ["0 processed now"]
    total_used = sum(used.values())
    return f"{len(records)} files: {total_used} used; {', '.join(parts) or 'nothing'}; {', '.join(made)}"
