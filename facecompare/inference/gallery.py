"""Enrolled people for identification: one SQLite file of embeddings, tied to the model that made them.

SQLite gives atomic updates (each enroll or remove is one transaction) and safe concurrent writers (two
processes enrolling at once wait for each other's lock instead of corrupting the file). Embeddings of
another model are not comparable, so a gallery records the model's checkpoint hash and refuses any other.
The file holds no images, but embeddings are biometric templates too: keep it as private as the photos.
Every row is checked when read (gallery_rows.py): a damaged one is an error naming the person, never a
wrong answer.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from facecompare.errors import FacecompareError, disk_full_error
from facecompare.inference.gallery_rows import (
    add_checksums,
    columns,
    damaged_people,
    row_checksum,
    row_problems,
    vector_problems,
)

TIMEOUT_S = 30.0  # how long a writer waits for another process's transaction
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person TEXT NOT NULL,
    source TEXT NOT NULL,
    added TEXT NOT NULL,
    vector BLOB NOT NULL,
    checksum INTEGER
);
CREATE INDEX IF NOT EXISTS embeddings_person ON embeddings (person);
"""


class GalleryError(FacecompareError):
    """The gallery file is unusable, made by another model, or asked about someone not in it."""


def person_name(name: str) -> str:
    """A person's name as the gallery stores it: every lookup goes through here too, so that ``" Ada "``
    removes or finds the ``"Ada"`` that enrolment stored."""
    return name.strip()


def require_gallery(path: str | Path) -> Path:
    """``path``, if a gallery exists there. Only enrolment creates one: anything else that opened a mistyped
    path would make an empty gallery and answer as if nobody were enrolled."""
    path = Path(path)
    if not path.exists():
        raise GalleryError(
            f"{path}: no such gallery (enroll people first: facecompare enroll NAME photos... --gallery {path})"
        )
    return path


@dataclass
class Match:
    person: str
    score: float


class Gallery:
    """``model_id`` (the bundle's checkpoint hash) and ``dim`` are fixed when the file is created;
    ``unit_norm``: the model's embeddings are L2-normalised, so a row of another norm is damaged. ``notice``:
    what opening the file did that its user should hear of (giving an older gallery checksums), or None."""

    def __init__(self, path: str | Path, model_id: str, dim: int, unit_norm: bool = False) -> None:
        self.path = Path(path)
        self.model_id, self.dim, self.unit_norm = model_id, dim, unit_norm
        self.notice: str | None = None
        self._create_private()
        try:
            self.db = sqlite3.connect(self.path, timeout=TIMEOUT_S, isolation_level=None)
            self._setup(model_id, dim)
        except sqlite3.DatabaseError as err:
            full = disk_full_error(self.path, err)
            raise full or GalleryError(f"{self.path}: not a usable gallery file ({err})") from None

    def _create_private(self) -> None:
        # Embeddings are biometric templates: a new file is readable by its owner only (sqlite3 would create it
        # 0666 less the umask, usually 0644). SQLite gives its -wal and -shm side files the main file's permissions.
        try:
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # an existing gallery, or another process created it just now
        except OSError as err:
            raise GalleryError(f"{self.path}: cannot create a gallery here ({err.strerror})") from None

    def _setup(self, model_id: str, dim: int) -> None:
        # Switching to WAL and creating the tables can fail at once with "database is locked" while another
        # process does the same (SQLite does not always wait on its busy timeout there): retry until it is free.
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")  # readers never block the one writer
                self.db.executescript(SCHEMA)
                self._claim(model_id, dim)
                self._add_checksums()
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _claim(self, model_id: str, dim: int) -> None:
        with self.db:  # sqlite3's context manager: COMMIT, or ROLLBACK on error
            self.db.execute("BEGIN IMMEDIATE")
            stored = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
            if not stored:
                self.db.executemany("INSERT INTO meta VALUES (?, ?)", [("model_id", model_id), ("dim", str(dim))])
            elif stored.get("model_id") != model_id:
                raise GalleryError(
                    f"{self.path}: enrolled with another model (checkpoint {stored.get('model_id', '?')[:12]}, this "
                    f"one is {model_id[:12]}); embeddings of different models cannot be compared: use a new gallery"
                )

    def _add_checksums(self) -> None:
        added = add_checksums(self.db, self.dim, self.unit_norm)
        if added is not None:
            rows, summed, damaged = added
            self.notice = f"{self.path}: written before rows had checksums: checked its {rows} embeddings and gave "
            self.notice += f"{summed} a checksum" + (f"; damaged, left without one: {damaged}" if damaged else "")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A transaction (COMMIT, or ROLLBACK on error, so the file stays as it was); a full disk is one line."""
        try:
            with self.db:
                yield
        except sqlite3.OperationalError as err:
            full = disk_full_error(self.path, err)
            if full is None:
                raise
            raise full from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gallery:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def enroll(self, person: str, embeddings: np.ndarray, sources: list[str]) -> int:
        """Add ``embeddings`` (N, dim) of ``person``, in one transaction. Returns the person's new count."""
        person = person_name(person)
        if not person:
            raise GalleryError("a person needs a non-empty name")
        embeddings = np.asarray(embeddings, dtype=np.float32).reshape(len(sources), -1)
        if embeddings.shape[1] != self.dim:
            raise GalleryError(f"embeddings of size {embeddings.shape[1]}, this gallery holds size {self.dim}")
        for src, problem in zip(sources, vector_problems(embeddings, self.unit_norm), strict=True):
            if problem:
                raise GalleryError(f"{src}: the model's embedding is implausible ({problem}); nothing was enrolled")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        rows = [
            (person, src, now, vec.tobytes(), row_checksum(person, vec.tobytes()))
            for src, vec in zip(sources, embeddings, strict=True)
        ]
        with self._writing():
            self.db.execute("BEGIN IMMEDIATE")
            insert = "INSERT INTO embeddings (person, source, added, vector, checksum) VALUES (?, ?, ?, ?, ?)"
            self.db.executemany(insert, rows)
        return self.count(person)

    def remove(self, person: str) -> int:
        """Delete every embedding of ``person``; returns how many there were."""
        person = person_name(person)
        with self._writing():
            self.db.execute("BEGIN IMMEDIATE")
            removed = self.db.execute("DELETE FROM embeddings WHERE person = ?", (person,)).rowcount
        if not removed:
            raise GalleryError(f"{self.path}: no person named {person!r}")
        return removed

    def count(self, person: str) -> int:
        query = "SELECT COUNT(*) FROM embeddings WHERE person = ?"
        return self.db.execute(query, (person_name(person),)).fetchone()[0]

    def size(self) -> int:
        """How many embeddings the gallery holds, of everyone."""
        return self.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]

    def people(self) -> list[tuple[str, int]]:
        """(name, number of embeddings), by name."""
        return self.db.execute("SELECT person, COUNT(*) FROM embeddings GROUP BY person ORDER BY person").fetchall()

    def matrix(self, person: str | None = None) -> tuple[np.ndarray, list[str]]:
        """All embeddings (or ``person``'s) as one (N, dim) array and the person of each row. Any damaged row
        is a GalleryError naming its person: a search without them would answer someone else."""
        query = "SELECT id, person, vector, checksum FROM embeddings"
        if person is None:
            rows = self.db.execute(f"{query} ORDER BY id").fetchall()
        else:
            rows = self.db.execute(f"{query} WHERE person = ? ORDER BY id", (person_name(person),)).fetchall()
        ids, persons, blobs, sums = columns(rows, 4)
        vectors, problems = row_problems(persons, blobs, sums, self.dim, self.unit_norm)
        damaged = damaged_people(ids, persons, problems)
        if damaged:
            raise GalleryError(
                f"{self.path}: damaged embeddings of {damaged}; remove and re-enrol each person named: facecompare "
                f"gallery remove NAME --model ... --gallery {self.path}, then facecompare enroll NAME photos..."
            )
        return vectors, list(persons)
