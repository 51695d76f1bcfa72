"""``facecompare identify`` and ``gallery`` on a damaged or older gallery file: one line naming the person,
a way out through ``gallery remove``, and a note when an older gallery is given checksums."""

import sqlite3
import warnings

import numpy as np

from facecompare.cli import EXIT_BAD_INPUT, EXIT_MATCH, main


def damage(db, person, change) -> None:
    with sqlite3.connect(db) as conn:
        for row_id, blob in conn.execute("SELECT id, vector FROM embeddings WHERE person = ?", (person,)).fetchall():
            conn.execute("UPDATE embeddings SET vector = ? WHERE id = ?", (change(bytearray(blob)), row_id))


def nan(blob: bytearray) -> bytes:
    return np.full(len(blob) // 4, np.nan, np.float32).tobytes()


def flip_exponents(blob: bytearray) -> bytes:
    blob[3::4] = bytes(b ^ 0x40 for b in blob[3::4])
    return bytes(blob)


def test_a_damaged_gallery_names_the_person_instead_of_answering_someone_else(tiny_bundle, photos, tmp_path, capsys):
    db = tmp_path / "g.db"
    common = ["--model", str(tiny_bundle), "--gallery", str(db)]
    enroll = {name: ["enroll", name, str(photos / photo), *common] for name, photo in
              (("Eileen Collins", "astronaut.jpg"), ("Mirror", "mirrored.jpg"))}  # fmt: skip
    assert [main(args) for args in enroll.values()] == [EXIT_MATCH] * 2
    identify = ["identify", str(photos / "astronaut.jpg"), "--threshold", "0.5", *common]
    damage(db, "Eileen Collins", nan)
    capsys.readouterr()
    assert main(identify) == EXIT_BAD_INPUT  # searched without her, the astronaut was 'Mirror' (score 0.90), exit 0
    err = capsys.readouterr().err
    assert err.startswith(f"error: {db}: damaged embeddings of 'Eileen Collins' (row 1: not finite (NaN or infinity))")
    assert "facecompare gallery remove NAME" in err and len(err.splitlines()) == 1
    assert main(["gallery", "remove", "Eileen Collins", *common]) == EXIT_MATCH  # the way out
    assert main(enroll["Eileen Collins"]) == EXIT_MATCH and main(identify) == EXIT_MATCH
    damage(db, "Mirror", flip_exponents)
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(identify) == EXIT_BAD_INPUT
    assert "damaged embeddings of 'Mirror' (row 2: norm " in capsys.readouterr().err
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []  # no numpy overflow


def test_an_older_gallery_is_given_checksums_with_a_note(tiny_bundle, photos, tmp_path, capsys):
    db = tmp_path / "g.db"
    common = ["--model", str(tiny_bundle), "--gallery", str(db)]
    assert main(["enroll", "Eileen Collins", str(photos / "astronaut.jpg"), *common]) == EXIT_MATCH
    with sqlite3.connect(db) as conn:  # as a gallery written before rows had checksums
        conn.execute("ALTER TABLE embeddings DROP COLUMN checksum")
    capsys.readouterr()
    assert main(["gallery", "list", *common]) == EXIT_MATCH
    out = capsys.readouterr()
    assert out.out == "Eileen Collins\t1\n"
    assert f"note: {db}: written before rows had checksums: checked its 1 embeddings and gave 1 a checksum" in out.err
    assert main(["identify", str(photos / "astronaut.jpg"), "--threshold", "0.5", *common]) == EXIT_MATCH
    assert "note:" not in capsys.readouterr().err  # once
