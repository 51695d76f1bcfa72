"""A copy of a dataset holding its aligned face crops instead of its photos, in the same layout.

Detection runs once, where the photos are; the copy is a fraction of their size and trains anywhere with
``detector=none`` (its images are already the crops). The way to move a dataset to a GPU machine, or to
share the exact crops a model was trained on.
"""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from facecompare.atomic import atomic_write_bytes, is_temporary
from facecompare.data.manifest import write_manifest
from facecompare.errors import ConfigError

if TYPE_CHECKING:  # the sources call check_aligned_copy, so this module must not import them at run time
    from facecompare.data.preprocess import Preprocessor
    from facecompare.data.sources.base import FaceSource

log = logging.getLogger(__name__)

# the file name says the format, as the source had it; anything else is written as PNG under name + ".png"
_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
# protocol, pairs and people files sit beside the image tree or one level down (LFW keeps them in either)
_TEXT_SUFFIXES = (".txt", ".csv")
SETTINGS_FILE, MANIFEST_FILE = "aligned.json", "aligned_manifest.csv"


def encode(crop: np.ndarray, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(crop)
    if fmt == "JPEG":
        # 4:4:4 keeps the colour at full resolution: at 64 px the default 4:2:0 halves it around the eyes
        image.save(buffer, "JPEG", quality=quality, subsampling=0)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _target(out: Path, rel: Path) -> tuple[Path, str]:
    fmt = _FORMATS.get(rel.suffix.lower())
    if fmt is None:
        return out / rel.with_name(rel.name + ".png"), "PNG"
    return out / rel, fmt


def _relative(path: Path, roots: tuple[Path, ...]) -> Path:
    # folder sources list files under the root as given (a symlinked photo keeps its own name), LFW under the
    # resolved root; resolving the file itself would follow a link out of the tree
    for root in roots:
        if path.is_relative_to(root):
            return path.relative_to(root)
    raise ConfigError(f"{path} is not under the data root {roots[0]}: cannot place it in the copy")


def _text_files(root: Path) -> list[Path]:
    found = [p for p in root.iterdir() if p.is_file() and p.suffix.lower() in _TEXT_SUFFIXES]
    for sub in (p for p in root.iterdir() if p.is_dir()):
        found += [p for p in sub.iterdir() if p.is_file() and p.suffix.lower() in _TEXT_SUFFIXES]
    return found


def check_aligned_copy(root: str | Path, preprocess: Preprocessor, image_size: int) -> None:
    """Refuse to detect faces again in a copy's crops (they would be re-aligned off the template) and say
    when its crops are resized; a root without ``aligned.json`` is not a copy and passes."""
    path = Path(root).expanduser() / SETTINGS_FILE
    try:
        meta = json.loads(path.read_text())
        made_at = int(meta["image_size"])
    except (OSError, ValueError, TypeError, KeyError):  # no copy here, or a file of the same name of another tool
        return
    if meta.get("complete") is False:
        raise ConfigError(f"{path.parent} is an aligned copy that was not finished: run scripts/align.py again")
    settings = preprocess.detector.settings()
    if settings != {"detector": "none"}:
        if settings.get("detector") == "none":  # detector=none, but cropping a centred part of each image
            fix = (
                f"with detector=none, detector.center must be 1 (the whole image), got {settings.get('center')}: "
                "its images are the aligned crops already, a centre crop of them would cut the face"
            )
        else:
            fix = (
                "add detector=none to train or evaluate on it as it is; the configured detector would look for "
                "faces in the crops again"
            )
        raise ConfigError(
            f"{path.parent} is an aligned copy ({path.name}: {made_at} px crops from scripts/align.py): {fix} "
            f"(delete {path.name} to do that on purpose)"
        )
    if made_at != image_size:
        log.warning("%s holds %d px aligned crops; data.image_size=%d resizes them", path.parent, made_at, image_size)


def _check_target(source: FaceSource, out_dir: str | Path, quality: int) -> tuple[Path, Path, Path]:
    """(the root as given, resolved, the output folder), once the settings and folders are known to be usable."""
    if not 1 <= quality <= 100:
        raise ConfigError(f"quality must be 1..100 (JPEG quality), got {quality}")
    if getattr(source, "root", None) is None or not hasattr(source, "records"):
        raise ConfigError(f"{source.describe()} is not read from image files: there is nothing to align")
    given = Path(source.root).expanduser().absolute()
    root = given.resolve()
    out = Path(out_dir).expanduser().resolve()
    if out == root or out.is_relative_to(root) or root.is_relative_to(out):
        raise ConfigError(f"out_dir {out} overlaps the data under {root}: choose a folder outside it")
    if out.is_file():
        raise ConfigError(f"out_dir {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / SETTINGS_FILE).is_file():
        raise ConfigError(f"out_dir {out} holds other files (no {SETTINGS_FILE}): choose a new or empty folder")
    return given, root, out


def _write_crops(
    source: FaceSource, out: Path, roots: tuple[Path, Path], quality: int
) -> tuple[set[Path], int, Counter]:
    """Each used crop at its photo's place under ``out``: (the files written, their bytes, left out by status)."""
    kept: set[Path] = set()
    size, left_out = 0, Counter()
    for record in source.records:
        if not record.used:
            left_out[record.status] += 1
            continue
        target, fmt = _target(out, _relative(Path(record.path).absolute(), roots))
        data = encode(record.crop, fmt, quality)
        atomic_write_bytes(target, data)
        kept.add(target)
        size += len(data)
    return kept, size, left_out


def _remove_stale(out: Path, kept: set[Path]) -> tuple[int, int]:
    """Remove what an earlier run left that this copy does not hold: (stale crops, temporary files) removed."""
    leftover, stale = [], []
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        if is_temporary(path):  # the unfinished write of a killed run
            leftover.append(path)
        elif path.suffix.lower() in _FORMATS and path not in kept:  # an earlier copy's crop of a photo now gone
            stale.append(path)
    for path in leftover + stale:
        path.unlink()
    return len(stale), len(leftover)


def write_aligned_copy(source: FaceSource, out_dir: str | Path, image_size: int, quality: int = 95) -> dict[str, Any]:
    """Build ``source`` at ``image_size`` and write every used crop under ``out_dir`` at the path its photo
    has under the source's root, with the text files of the root (and of its sub-folders) beside them.

    Images that gave no crop are left out, counted by status and listed in ``aligned_manifest.csv``.
    ``out_dir`` must be new, empty or an earlier copy; crops an earlier copy holds that this one does not
    (photos deleted since) are removed, and so are the temporary files of a killed run. Every file is written
    whole or not at all, and ``aligned.json`` says ``complete: false`` until the end, so a killed run is
    simply run again. Returns the summary that is also written to ``aligned.json``.
    """
    given, root, out = _check_target(source, out_dir, quality)
    source.build(image_size, 3)
    summary: dict[str, Any] = {"complete": False, "source": source.describe(), "image_size": image_size}
    atomic_write_bytes(out / SETTINGS_FILE, json.dumps(summary, indent=2).encode())
    kept, size, left_out = _write_crops(source, out, (given, root), quality)
    for text in _text_files(root):
        atomic_write_bytes(out / text.relative_to(root), text.read_bytes())
    paths = [Path(r.path).absolute() for r in source.records]
    write_manifest(source.records, out / MANIFEST_FILE, given if all(p.is_relative_to(given) for p in paths) else root)
    stale, leftover = _remove_stale(out, kept)
    summary |= {
        "complete": True,
        "format": {"jpeg_quality": quality, "chroma_subsampling": "4:4:4"},
        "preprocessing": source.preprocess.settings(image_size),
        "written": len(kept),
        "bytes": size,
        "left_out": dict(sorted(left_out.items())),
        "removed_stale": stale,
        "removed_temporary": leftover,
        "train_with": "detector=none (the images are the aligned crops)",
    }
    atomic_write_bytes(out / SETTINGS_FILE, json.dumps(summary, indent=2).encode())
    log.info("wrote %d aligned crops (%.1f MB) to %s; left out: %s", len(kept), size / 1e6, out, dict(left_out) or 0)
    return summary
