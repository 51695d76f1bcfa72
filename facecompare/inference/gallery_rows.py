"""Is each row of a gallery still the embedding that enrolment wrote? SQLite keeps no checksums of its own,
and a damaged vector is no error to a search: a NaN row scores nothing, so the face at the door is matched
with the next person instead, and a flipped exponent bit makes a row the nearest to nobody.

Each row therefore carries a CRC-32 of its person and vector bytes, written at enrolment and checked on
every read, and every vector must have the gallery's byte length, be finite, and have a plausible norm. The
CRC detects damage (disk, copying, a stray edit), not tampering: whoever can write the file can write a
matching checksum, which is one more reason to keep the gallery private.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Sequence

import numpy as np

UNIT_NORM_TOLERANCE = 1e-3  # L2-normalised float32 embeddings are within ~1e-6 of 1
MAX_NORM = 1e4  # far above the networks' unnormalised embeddings; a flipped exponent bit goes far beyond it


def row_checksum(person: str, vector: bytes) -> int:
    return zlib.crc32(vector, zlib.crc32(person.encode("utf-8") + b"\0"))


def vector_problems(vectors: np.ndarray, unit_norm: bool) -> list[str | None]:
    """For each row of ``vectors`` (N, dim) float32: what makes it implausible as an embedding, or None."""
    with np.errstate(over="ignore", invalid="ignore"):  # a huge or NaN row gives an infinite or NaN norm here
        norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))  # float32: one pass over the rows
    ok = np.abs(norms - 1.0) <= UNIT_NORM_TOLERANCE if unit_norm else norms <= MAX_NORM  # False for NaN
    problems: list[str | None] = [None] * len(vectors)
    for i in np.flatnonzero(~ok):
        row = vectors[i].astype(np.float64)  # float64 squares of float32 values cannot overflow
        expected = "1 (the model's embeddings are L2-normalised)" if unit_norm else f"at most {MAX_NORM:g}"
        finite = np.isfinite(row).all()
        problems[i] = (
            f"norm {np.linalg.norm(row):.4g}, expected {expected}" if finite else "not finite (NaN or infinity)"
        )
    return problems


def _length_problem(blob: object, dim: int) -> str | None:
    if not isinstance(blob, bytes):
        return f"a {type(blob).__name__} where a vector belongs"
    return None if len(blob) == dim * 4 else f"{len(blob)} bytes, expected {dim * 4} (a {dim}-d float32 vector)"


def row_problems(
    persons: Sequence[str], blobs: Sequence[bytes], sums: Sequence[int | None] | None, dim: int, unit_norm: bool
) -> tuple[np.ndarray, list[str | None]]:
    """The (N, dim) vectors of the rows (``persons``, vector ``blobs``, stored checksums ``sums``, None: not
    checked) and what is wrong with each row, or None. A row of the wrong length reads as zeros in the array."""
    size = dim * 4
    problems: list[str | None] = [None] * len(blobs)
    if not (set(map(type, blobs)) <= {bytes} and set(map(len, blobs)) <= {size}):  # map: no Python loop
        problems = [_length_problem(blob, dim) for blob in blobs]
        blobs = [blob if ok is None else bytes(size) for blob, ok in zip(blobs, problems, strict=True)]
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dim)
    for i, problem in enumerate(vector_problems(vectors, unit_norm)):
        problems[i] = problems[i] or problem
    if sums is not None:
        prefix = {person: row_checksum(str(person), b"") for person in set(persons)}
        computed = np.fromiter(map(zlib.crc32, blobs, map(prefix.__getitem__, persons)), np.int64, len(blobs))
        stored = np.fromiter((-1 if c is None else c for c in sums), np.int64, len(blobs))  # CRCs are >= 0
        for i in np.flatnonzero(computed != stored):
            problems[i] = problems[i] or (
                "no checksum (written without one, or found damaged when the gallery was given them)"
                if sums[i] is None
                else "its checksum does not match its person and vector"
            )
    return vectors, problems


def damaged_people(ids: Sequence[int], persons: Sequence[str], problems: list[str | None], most: int = 5) -> str:
    """The people of damaged rows, each with its first damaged row, in words; empty if none."""
    first: dict[str, str] = {}
    for row_id, person, problem in zip(ids, persons, problems, strict=True):
        if problem is not None:
            first.setdefault(person, f"row {row_id}: {problem}")
    named = [f"{person!r} ({why})" for person, why in sorted(first.items())]
    more = f" and {len(named) - most} more people" if len(named) > most else ""
    return ", ".join(named[:most]) + more


def add_checksums(db: sqlite3.Connection, dim: int, unit_norm: bool) -> tuple[int, int, str] | None:
    """Give the rows of a gallery written before rows had checksums theirs, in one transaction, but only rows
    that pass the checks: one already damaged stays without, and every read names its person until it is
    re-enrolled. Returns (rows, rows given a checksum, the damaged people in words), or None when the
    gallery had checksums already."""

    def has_checksums() -> bool:
        return "checksum" in {row[1] for row in db.execute("PRAGMA table_info(embeddings)")}

    if has_checksums():
        return None
    with db:
        db.execute("BEGIN IMMEDIATE")
        if has_checksums():  # another process did it meanwhile
            return None
        db.execute("ALTER TABLE embeddings ADD COLUMN checksum INTEGER")
        ids, persons, blobs = columns(db.execute("SELECT id, person, vector FROM embeddings").fetchall(), 3)
        _, problems = row_problems(persons, blobs, None, dim, unit_norm)
        rows = zip(ids, persons, blobs, problems, strict=True)
        sums = [(row_checksum(str(p), v), i) for i, p, v, bad in rows if bad is None]
        db.executemany("UPDATE embeddings SET checksum = ? WHERE id = ?", sums)
    return len(ids), len(sums), damaged_people(ids, persons, problems)


def columns(rows: list[tuple], width: int) -> list[tuple]:
    """The columns of query ``rows``, ``width`` of them even when there are no rows."""
    return list(zip(*rows, strict=True)) if rows else [()] * width
