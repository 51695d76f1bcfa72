"""One sub-folder per person, the layout people build with a phone camera."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from facecompare.data.aligned_copy import check_aligned_copy
from facecompare.data.detection.base import NoDetector
from facecompare.data.faceset import FaceSet, SplitFaces, split_identities
from facecompare.data.images import is_ignored
from facecompare.data.manifest import Record, summary, write_manifest
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.base import FaceSource
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)


def _person_files(folder: Path) -> list[Path]:
    """Every file under a person's folder, sub-folders and symlinks included, each real folder once."""
    found, seen = [], set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:  # a symlink loop, or two links to one folder
            dirnames.clear()
            continue
        seen.add(real)
        dirnames.sort()
        found += [Path(dirpath, name) for name in sorted(filenames)]
    return found


def scan_people(root: Path) -> tuple[list[tuple[Path, str]], list[Record]]:
    """``(path, person)`` for every candidate image, and Records for what cannot be used before decoding:
    empty person folders, loose files in ``root``, broken symlinks. Clear non-images are passed over."""
    items: list[tuple[Path, str]] = []
    notes: list[Record] = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir():
            files = [f for f in _person_files(entry) if not is_ignored(f)]
            if not files:
                notes.append(Record(entry, entry.name, "empty_folder", detail="no image files"))
            for f in files:
                if f.is_file():
                    items.append((f, entry.name))
                else:
                    notes.append(Record(f, entry.name, "unreadable", detail="broken symlink or not a regular file"))
        elif not is_ignored(entry):
            notes.append(Record(entry, "", "skipped", detail="not inside a person folder"))
    return items, notes


def restrict_to_list(
    items: list[tuple[Path, str]], root: Path, file_list: Path
) -> tuple[list[tuple[Path, str]], list[Record]]:
    """Keep the files ``file_list`` names (paths relative to ``root``, one per line, ``#`` comments), e.g. the
    clean list of scripts/audit.py; every other file becomes an ``excluded`` manifest record, never a silent
    drop. A listed file that is not there is an error: the list belongs to another state of the folder."""
    if not file_list.is_file():
        raise ConfigError(f"data.source.file_list: {file_list} does not exist")
    lines = file_list.read_text(encoding="utf-8").splitlines()
    wanted = {ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")}
    present = {str(f.relative_to(root)): (f, person) for f, person in items}
    missing = sorted(wanted - present.keys())
    if missing:
        raise ConfigError(f"{file_list}: {len(missing)} listed file(s) are not under {root}, e.g. {missing[0]!r}")
    kept = [(f, person) for f, person in items if str(f.relative_to(root)) in wanted]
    excluded = [
        Record(f, person, "excluded", detail=f"not in {file_list.name}")
        for rel, (f, person) in sorted(present.items())
        if rel not in wanted
    ]
    return kept, excluded


class FolderSource(FaceSource):
    """``root/<person>/<image>``: any common image format, names with spaces or unicode.

    Faces are found and aligned by ``preprocess`` (cached on disk); every file's outcome goes to
    ``manifest_file``. Splits are identity-disjoint by ``split`` ratios and ``seed``. ``file_list`` restricts
    the data to the files it names (e.g. the clean list of scripts/audit.py).
    """

    def __init__(
        self,
        root: str,
        split: Mapping[str, float] | None = None,
        seed: int = 0,
        preprocess: Preprocessor | None = None,
        manifest_file: str | None = None,
        file_list: str | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise ConfigError(f"data.root: {self.root} is not a folder (expected one sub-folder per person)")
        self.split = dict(split or {"train": 0.8, "val": 0.2})
        self.seed = seed
        self.preprocess = preprocess or Preprocessor(NoDetector(), progress=False)
        self.manifest_file = Path(manifest_file) if manifest_file else None
        self.file_list = Path(file_list).expanduser() if file_list else None
        self.records: list[Record] = []

    def build(self, image_size: int, channels: int) -> SplitFaces:
        check_aligned_copy(self.root, self.preprocess, image_size)
        items, notes = scan_people(self.root)
        if self.file_list is not None:
            items, excluded = restrict_to_list(items, self.root, self.file_list)
            notes += excluded
        records = self.preprocess.run(items, image_size)
        self.records = records + notes
        line = summary(self.records, self.preprocess.detected, self.preprocess.cached)
        if self.manifest_file is not None:
            write_manifest(self.records, self.manifest_file, self.root)
            line += f" (every file listed in {self.manifest_file})"
        log.info("%s: %s", self.root, line)
        for r in self.records:
            if not r.used and r.status != "ok":
                log.debug("not used: %s: %s %s", r.path, r.status, r.detail)
        used = [r for r in records if r.used]
        names = sorted({r.person for r in used})
        if len(names) < 2:
            raise ConfigError(f"data.root: {self.root} has usable faces of {len(names)} people, need 2+ ({line})")
        index = {name: i for i, name in enumerate(names)}
        images = np.stack([r.crop for r in used])
        labels = np.array([index[r.person] for r in used])
        faces = FaceSet.from_hwc(images, labels, names, channels)
        ids = split_identities(faces.labels, self.split, self.seed)
        pick = {k: faces.select_identities(v) for k, v in ids.items() if len(v)}
        return SplitFaces(train=pick["train"], val=pick["val"], test=pick.get("test"))

    def describe(self) -> str:
        return f"image folders under {self.root}"
