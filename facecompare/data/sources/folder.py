"""One sub-folder per person, the layout people build with a phone camera."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.data.aligned_copy import check_aligned_copy
from facecompare.data.detection.base import NoDetector
from facecompare.data.faceset import (
    EVALUATION_SPLITS,
    FaceSet,
    SplitFaces,
    check_evaluation_split,
    check_split_ratios,
    split_identities,
    split_sizes,
)
from facecompare.data.images import is_ignored
from facecompare.data.manifest import Record, summary, write_manifest
from facecompare.data.preprocess import Preprocessor
from facecompare.data.shared_content import leave_out_shared_content
from facecompare.data.sources.base import FaceSource
from facecompare.data.sources.folder_links import file_link_skipped, folder_link_skipped, person_link_skipped
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)


# What operating systems, NAS boxes and tools put beside photos. A name starting with "." is hidden (.git,
# .ipynb_checkpoints, .Trash-1000, a hidden copy of a photo); the others are system folders: Synology's @eaDir
# thumbnails, #recycle and QNAP's @Recycle bins, the __MACOSX of a zip made on a Mac, Windows' bins.
SYSTEM_FOLDERS = frozenset({"@eadir", "#recycle", "@recycle", "__macosx", "$recycle.bin", "system volume information"})


def is_hidden_or_system(name: str) -> bool:
    """Whether a file or folder of this name is not a person's photo (or a person), whatever it holds."""
    return name.startswith(".") or name.lower() in SYSTEM_FOLDERS


def _person_files(folder: Path, home: str, dataset: list[str]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every file under a person's folder (``home``: its real path; ``dataset``: the real paths of the dataset
    folder and of every person folder), sub-folders included, and what is passed over with why: hidden or
    system files and folders (not entered) and the symlinks folder_links passes over. Clear non-images are
    neither; a broken symlink is a file (scan_people reports it)."""
    found: list[Path] = []
    passed_over: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(folder):  # folder links are listed in dirnames, not walked
        walk = []
        for name in sorted(dirnames):
            path = Path(dirpath, name)
            if is_hidden_or_system(name):
                passed_over.append((path, "hidden or system folder"))
            elif path.is_symlink():
                passed_over.append((path, folder_link_skipped(path, home, folder.name)))
            else:
                walk.append(name)
        dirnames[:] = walk
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if is_ignored(path):
                continue
            why = "hidden or system file" if is_hidden_or_system(name) else None
            if why is None and path.is_symlink():
                why = file_link_skipped(path, home, folder.name, dataset)
            if why is None:
                found.append(path)
            else:
                passed_over.append((path, why))
    return found, passed_over


def scan_people(root: Path) -> tuple[list[tuple[Path, str]], list[Record]]:
    """``(path, person)`` for every candidate image, and Records for what cannot be used before decoding:
    empty person folders, loose files in ``root``, broken symlinks, hidden or system files and folders (a
    ``.git`` or Synology ``@eaDir`` is no person, a hidden file in a person's folder no photo of them), and
    the symlinks folder_links passes over. Clear non-images are passed over."""
    items: list[tuple[Path, str]] = []
    notes: list[Record] = []
    entries = sorted(root.iterdir())
    real_root = os.path.realpath(root)
    homes = {  # each person folder's real path
        e.name: os.path.realpath(e) if e.is_symlink() else os.path.join(real_root, e.name)
        for e in entries
        if e.is_dir() and not is_hidden_or_system(e.name)
    }
    for entry in entries:
        if entry.is_dir() and is_hidden_or_system(entry.name):
            notes.append(Record(entry, "", "skipped", detail="hidden or system folder, not a person"))
        elif entry.is_dir() and (why := person_link_skipped(entry, real_root, homes)):
            notes.append(Record(entry, entry.name, "skipped", detail=why))
        elif entry.is_dir():
            files, passed_over = _person_files(entry, homes[entry.name], [real_root, *homes.values()])
            notes += [Record(p, entry.name, "skipped", detail=why) for p, why in passed_over]
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
    ``manifest_file``. Symlinks out of a person's folder are not followed (folder_links), and files with the
    same content under two people are left out (shared_content). Splits are identity-disjoint by ``split``
    ratios and ``seed``. ``file_list`` restricts the data to the files it names (e.g. the clean list of
    scripts/audit.py).
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
        self.split = check_split_ratios(split or {"train": 0.8, "val": 0.2})
        self.seed = seed
        self.preprocess = preprocess or Preprocessor(NoDetector(), progress=False)
        self.manifest_file = Path(manifest_file) if manifest_file else None
        self.file_list = Path(file_list).expanduser() if file_list else None
        self.records: list[Record] = []
        # check_split's scan, handed to the build that follows it rather than walking the folder again
        self._scanned: tuple[list[tuple[Path, str]], list[Record]] | None = None

    def _candidates(self) -> tuple[list[tuple[Path, str]], list[Record]]:
        if self._scanned is not None:
            scanned, self._scanned = self._scanned, None
            return scanned
        items, notes = scan_people(self.root)
        if self.file_list is not None:
            items, excluded = restrict_to_list(items, self.root, self.file_list)
            notes += excluded
        return items, notes

    def check_split(self) -> None:
        # Detection can only take people away, and split sizes grow with the number of people, so a split
        # too small with every person that has files is too small after detection too.
        self._scanned = self._candidates()
        people = len({person for _, person in self._scanned[0]})
        if people < 2:  # build() says so, with what it found usable
            return
        for stage, size in split_sizes(people, self.split).items():
            if stage in EVALUATION_SPLITS and self.split[stage] > 0:
                check_evaluation_split(stage, size, people)

    def split_settings(self) -> dict[str, Any]:
        return {"ratios": self.split, "seed": self.seed}

    def build(self, image_size: int, channels: int) -> SplitFaces:
        check_aligned_copy(self.root, self.preprocess, image_size)
        items, notes = self._candidates()
        records = self.preprocess.run(items, image_size)
        leave_out_shared_content(records, self.root)
        self.records = records + notes
        line = summary(self.records)
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
