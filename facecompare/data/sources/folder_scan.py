"""Finding the photos of a folder of people: one sub-folder per person, with what is not a person's photo (hidden
and system files, links out of the dataset, loose files) passed over and reported."""

from __future__ import annotations

import os
from pathlib import Path

from facecompare.data.images import is_ignored
from facecompare.data.manifest import Record
from facecompare.data.sources.folder_links import file_link_skipped, folder_link_skipped, person_link_skipped

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


def person_listing(root: Path) -> dict[str, list[Path]]:
    """Each person's image files under ``root``, sorted."""
    items, _ = scan_people(root)
    listing: dict[str, list[Path]] = {}
    for f, person in items:
        listing.setdefault(person, []).append(f)
    return {p: sorted(fs) for p, fs in listing.items()}
