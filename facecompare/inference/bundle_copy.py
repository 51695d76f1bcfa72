"""A copy of a bundle with another threshold record: what ``facecompare calibrate`` writes.

The model files are copied unchanged, so the SHA-256 sums in ``model.json`` still hold; only the threshold
record (and where it came from) differs. The copy appears whole or not at all: it is written beside its
destination and renamed into place, so a killed calibration leaves no half bundle that the tools would load.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from facecompare.errors import FacecompareError
from facecompare.inference.bundle import Bundle, read_meta


def copy_with_threshold(
    bundle: Bundle,
    threshold: dict[str, Any],
    out: Path,
    quality: dict[str, Any] | None = None,
    learned: dict[str, Any] | None = None,
) -> Path:
    """Write ``bundle`` to ``out`` (which must not exist) with ``threshold`` as its threshold record (and
    ``quality`` and ``learned`` as its face quality models, where given)."""
    out = Path(out)
    if out.resolve() == bundle.path.resolve():
        raise FacecompareError(f"{out}: is the bundle itself; the calibrated bundle is written as a copy")
    if out.exists():
        raise FacecompareError(f"{out}: already exists; give another --out, or remove it first")
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)  # left by a killed run of this process id: never a finished bundle
    try:
        tmp.mkdir(parents=True)
        meta = read_meta(bundle.path)
        for entry in meta["files"].values():
            shutil.copy2(bundle.path / entry["file"], tmp / entry["file"])
        meta["threshold"] = threshold
        if quality is not None:
            meta["quality"] = quality
        if learned is not None:
            meta["quality_learned"] = learned
        (tmp / "model.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        read_meta(tmp)  # what the tools will check, checked before the copy is published
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
