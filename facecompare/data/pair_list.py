"""Pairs files that name images by path: what evaluation writes for a folder of people.

``pairs.csv`` has the header ``file_a,file_b,same`` (or ``file_a,file_b,same,fold``) and one row per pair.
Files are relative to the data root, with ``/`` between parts; a file's person is its first part (the person
folder). The LFW format's numbers are positions in each person's sorted file list, so a photo added to a folder
shifts them and an old file quietly names other photos; a path keeps naming the same photo, and one that is
gone is an error.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from facecompare.errors import ConfigError

FIELDS = ("file_a", "file_b", "same")
WITH_FOLD = (*FIELDS, "fold")  # the k-fold calibration's fold of each pair: its two people's
_TRUE, _FALSE = {"1", "true", "same"}, {"0", "false", "different"}


@dataclass(frozen=True)
class PathPair:
    """Two images by their paths relative to the data root, and whether they show the same person."""

    file_a: str
    file_b: str
    same: bool
    fold: int | None = None

    @property
    def people(self) -> tuple[str, str]:
        return PurePosixPath(self.file_a).parts[0], PurePosixPath(self.file_b).parts[0]


def relative(path: Path, root: Path) -> str:
    """``path`` as a pairs-file entry: relative to ``root``, ``/`` between parts on every system."""
    return path.relative_to(root).as_posix()


def write_pair_list(path: Path, pairs: list[PathPair]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        folds = any(p.fold is not None for p in pairs)
        out.writerow(WITH_FOLD if folds else FIELDS)
        out.writerows((p.file_a, p.file_b, int(p.same), *([p.fold] if folds else [])) for p in pairs)
    tmp.replace(path)  # a killed run leaves the old file or the new one, never half of one


def _entry(path: Path, line: int, text: str) -> str:
    parts = PurePosixPath(text).parts
    if not text or text.startswith(("/", "\\")) or ".." in parts or (len(text) > 1 and text[1] == ":"):
        raise ConfigError(f"{path}:{line}: {text!r} must be a path relative to the data root, inside it")
    if len(parts) < 2:
        raise ConfigError(f"{path}:{line}: {text!r} is not inside a person folder (expected person/image)")
    return text


def read_pair_list(path: Path) -> list[PathPair]:
    """Every row of a ``pairs.csv``; each problem is a ConfigError naming the file and the 1-based line."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"cannot read pairs file {path}: {e}") from None
    header = tuple(c.strip() for c in rows[0]) if rows else ()
    if header not in (FIELDS, WITH_FOLD):
        raise ConfigError(f"{path}:1: expected the header {','.join(FIELDS)} (or {','.join(WITH_FOLD)})")
    pairs: list[PathPair] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue  # blank lines, e.g. at the end, carry nothing
        if len(row) != len(header):
            raise ConfigError(f"{path}:{line}: expected {len(header)} fields ({','.join(header)}), got {len(row)}")
        a, b = _entry(path, line, row[0].strip()), _entry(path, line, row[1].strip())
        flag = row[2].strip().lower()
        if flag not in _TRUE | _FALSE:
            raise ConfigError(f"{path}:{line}: same must be 1 or 0 (true/false), got {row[2]!r}")
        if a == b:
            raise ConfigError(f"{path}:{line}: the pair compares {a} with itself")
        fold = _fold(path, line, row[3]) if len(header) == len(WITH_FOLD) else None
        pair = PathPair(a, b, flag in _TRUE, fold)
        person_a, person_b = pair.people
        if pair.same != (person_a == person_b):
            said = "same" if pair.same else "different"
            folders = f"{person_a!r} and {person_b!r}"
            raise ConfigError(f"{path}:{line}: marked {said}, but the files are in the person folders {folders}")
        pairs.append(pair)
    if not pairs:
        raise ConfigError(f"{path}: no pairs after the header")
    return pairs


def _fold(path: Path, line: int, text: str) -> int:
    try:
        fold = int(text.strip())
    except ValueError:
        fold = -1
    if fold < 0:
        raise ConfigError(f"{path}:{line}: fold must be a whole number >= 0, got {text!r}")
    return fold
