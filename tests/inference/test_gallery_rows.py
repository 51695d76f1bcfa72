"""A damaged gallery row is an error naming its person, never a wrong answer: NaN, a flipped exponent, a
truncated blob, a vector moved to another person; older galleries are given checksums, but not bad rows."""

import sqlite3
import warnings

import numpy as np
import pytest

from facecompare.inference.gallery import Gallery, GalleryError
from facecompare.inference.gallery_rows import row_checksum

OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE embeddings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, person TEXT NOT NULL, source TEXT NOT NULL, added TEXT NOT NULL,
    vector BLOB NOT NULL
);
INSERT INTO meta VALUES ('model_id', 'm'), ('dim', '8');
"""


def unit(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 8))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def open_unit(path) -> Gallery:
    return Gallery(path, "m", 8, unit_norm=True)


@pytest.fixture
def staff(tmp_path):
    path = tmp_path / "staff.db"
    with open_unit(path) as g:
        g.enroll("Tony Blair", unit(2, 0), ["t1.jpg", "t2.jpg"])
        g.enroll("Colin Powell", unit(2, 1), ["c1.jpg", "c2.jpg"])
    return path


def rewrite(path, person, change) -> None:
    """Changes the stored vector bytes of ``person``'s rows behind the gallery's back, as damage would."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, vector FROM embeddings WHERE person = ?", (person,)).fetchall()
        for row_id, blob in rows:
            db.execute("UPDATE embeddings SET vector = ? WHERE id = ?", (change(bytearray(blob)), row_id))


def flip_exponents(blob: bytearray) -> bytes:
    blob[3::4] = bytes(b ^ 0x40 for b in blob[3::4])  # the high exponent bit of each little-endian float32
    return bytes(blob)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda blob: np.full(8, np.nan, np.float32).tobytes(), r"not finite \(NaN or infinity\)"),
        (flip_exponents, r"norm \S+e\+38, expected 1 \(the model's embeddings are L2-normalised\)"),
        (lambda blob: bytes(blob[:20]), r"20 bytes, expected 32 \(a 8-d float32 vector\)"),
        (
            lambda blob: bytes([blob[0] ^ 1]) + bytes(blob[1:]),
            r"its checksum does not match its person and vector",
        ),  # still unit norm
    ],
    ids=["nan", "exponent", "truncated", "one-bit"],
)
def test_a_damaged_row_is_an_error_naming_the_person_and_the_file(staff, change, problem):
    rewrite(staff, "Tony Blair", change)
    with open_unit(staff) as g, warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning either
        with pytest.raises(GalleryError, match=rf"staff\.db: damaged embeddings of 'Tony Blair' \(row 1: {problem}\)"):
            g.matrix()
        with pytest.raises(GalleryError, match="remove and re-enrol each person named: facecompare gallery remove"):
            g.matrix("Tony Blair")
        assert g.matrix("Colin Powell")[1] == ["Colin Powell"] * 2  # the others stay usable
        # the way out: remove works on the damaged rows, and the gallery reads again
        assert g.remove("Tony Blair") == 2 and g.matrix()[1] == ["Colin Powell"] * 2


def test_a_vector_swapped_between_two_people_names_both(staff):
    with sqlite3.connect(staff) as db:
        (a,), (b,) = db.execute("SELECT vector FROM embeddings WHERE id IN (1, 3) ORDER BY id").fetchall()
        db.execute("UPDATE embeddings SET vector = ? WHERE id = 1", (b,))
        db.execute("UPDATE embeddings SET vector = ? WHERE id = 3", (a,))
    with open_unit(staff) as g, pytest.raises(GalleryError) as err:
        g.matrix()
    assert "damaged embeddings of 'Colin Powell' (row 3: its checksum does not match" in str(err.value)
    assert "'Tony Blair' (row 1: its checksum does not match" in str(err.value)


def test_implausible_embeddings_are_not_enrolled(tmp_path):
    with open_unit(tmp_path / "g.db") as g:
        with pytest.raises(GalleryError, match=r"b\.jpg: the model's embedding is implausible \(not finite"):
            g.enroll("Ada", np.stack([unit(1, 0)[0], np.full(8, np.nan, np.float32)]), ["a.jpg", "b.jpg"])
        with pytest.raises(GalleryError, match=r"a\.jpg: the model's embedding is implausible \(norm 2, expected 1"):
            g.enroll("Ada", 2 * unit(1, 0), ["a.jpg"])
        assert g.people() == []
    with Gallery(tmp_path / "loose.db", "m", 8) as g:  # a model without L2 normalisation: a loose bound
        assert g.enroll("Ada", 50 * unit(1, 0), ["a.jpg"]) == 1
        with pytest.raises(GalleryError, match=r"norm 1e\+05, expected at most 10000"):
            g.enroll("Ada", 1e5 * unit(1, 0), ["a.jpg"])


def test_an_older_gallery_is_given_checksums_but_not_its_bad_rows(tmp_path):
    path = tmp_path / "old.db"
    good, bad = unit(2, 0), np.full(8, np.nan, np.float32)
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        rows = [("Ada", good[0]), ("Grace", good[1]), ("Bad Row", bad)]
        db.executemany(
            "INSERT INTO embeddings (person, source, added, vector) VALUES (?, 'x.jpg', 'then', ?)",
            [(p, v.tobytes()) for p, v in rows],
        )
    with open_unit(path) as g:
        assert g.notice == (
            f"{path}: written before rows had checksums: checked its 3 embeddings and gave 2 a checksum; damaged, "
            "left without one: 'Bad Row' (row 3: not finite (NaN or infinity))"
        )
        with pytest.raises(GalleryError, match=r"damaged embeddings of 'Bad Row' \(row 3: not finite"):
            g.matrix()
        g.remove("Bad Row")
        np.testing.assert_array_equal(g.matrix()[0], good)
    with sqlite3.connect(path) as db:
        stored = db.execute("SELECT person, vector, checksum FROM embeddings").fetchall()
    assert [c for _, _, c in stored] == [row_checksum(p, v) for p, v, _ in stored]
    with open_unit(path) as g:
        assert g.notice is None  # once
        with sqlite3.connect(path) as db:  # a row written without a checksum after that (an older facecompare)
            db.execute(
                "INSERT INTO embeddings (person, source, added, vector) VALUES ('Eve', 'e', 'now', ?)",
                (good[0].tobytes(),),
            )
        with pytest.raises(GalleryError, match=r"'Eve' \(row \d: no checksum"):
            g.matrix()
