"""The SQLite gallery: persistence, removal, model binding, damaged files and two writers at once."""

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from facecompare.errors import DiskFullError
from facecompare.inference.gallery import Gallery, GalleryError

SRC = str(Path(__file__).resolve().parents[2])


def vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 8)).astype(np.float32)


def test_enrolments_persist_across_opens_and_removal_is_complete(tmp_path):
    path = tmp_path / "g.db"
    with Gallery(path, "model-a", 8) as g:
        assert g.enroll("Ada", vectors(2), ["a1.jpg", "a2.jpg"]) == 2
        assert g.enroll("Ada", vectors(1, 1), ["a3.jpg"]) == 3
        g.enroll("Grace Hopper", vectors(1, 2), ["g.jpg"])
    with Gallery(path, "model-a", 8) as g:
        assert g.people() == [("Ada", 3), ("Grace Hopper", 1)]
        matrix, people = g.matrix()
        np.testing.assert_array_equal(matrix, np.concatenate([vectors(2), vectors(1, 1), vectors(1, 2)]))
        assert people == ["Ada", "Ada", "Ada", "Grace Hopper"] and g.size() == 4
        assert g.remove("Ada") == 3 and g.people() == [("Grace Hopper", 1)] and g.size() == 1
        with pytest.raises(GalleryError, match="no person named 'Ada'"):
            g.remove("Ada")


def test_another_models_gallery_is_refused(tmp_path):
    Gallery(tmp_path / "g.db", "model-a", 8).close()
    with pytest.raises(GalleryError, match="enrolled with another model"):
        Gallery(tmp_path / "g.db", "model-b", 8)


def test_bad_enrolments_and_files(tmp_path):
    with Gallery(tmp_path / "g.db", "m", 8) as g:
        with pytest.raises(GalleryError, match="non-empty name"):
            g.enroll("  ", vectors(1), ["x.jpg"])
        with pytest.raises(GalleryError, match="size 4, this gallery holds size 8"):
            g.enroll("Ada", np.zeros((1, 4)), ["x.jpg"])
        assert g.people() == []
    junk = tmp_path / "junk.db"
    junk.write_text("this is not a database " * 100)
    with pytest.raises(GalleryError, match=r"junk\.db: not a usable gallery file"):
        Gallery(junk, "m", 8)


WRITER = """
import sys
sys.path.insert(0, {src!r})
import time
import numpy as np
from facecompare.inference.gallery import Gallery
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # all open the new file at the same moment
g = Gallery({path!r}, "model", 8)
for i in range(40):
    g.enroll(f"{{sys.argv[1]}}-{{i}}", np.full((2, 8), i, np.float32), ["x.jpg", "y.jpg"])
g.close()
"""


@pytest.mark.slow
def test_processes_creating_and_enrolling_at_once_lose_nothing(tmp_path):
    # all start on a gallery that does not exist yet: creating it races too (CI once saw "database is locked")
    path = tmp_path / "g.db"
    code = WRITER.format(src=SRC, path=str(path))
    names = ("left", "right", "third", "fourth")
    start = str(time.time() + 2.0)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, name, start], stderr=subprocess.PIPE, text=True) for name in names
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0] * len(names), [err[-500:] for _, err in results]
    with Gallery(path, "model", 8) as g:
        people = dict(g.people())
        assert len(people) == 40 * len(names) and set(people.values()) == {2}
        assert g.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_new_gallery_and_its_side_files_are_private(tmp_path):
    import os
    import stat

    def mode(path):
        return stat.S_IMODE(path.stat().st_mode)

    old = os.umask(0o022)  # the common umask, under which sqlite3 alone would create a 0644 file
    try:
        path = tmp_path / "g.db"
        with Gallery(path, "m", 8) as g:
            g.enroll("Ada", vectors(1), ["a.jpg"])
            side = [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
            assert side and {mode(p) for p in side} == {0o600}
        assert mode(path) == 0o600
        loose = tmp_path / "loose.db"
        Gallery(loose, "m", 8).close()
        loose.chmod(0o644)  # an existing file keeps the permissions its owner chose
        Gallery(loose, "m", 8).close()
        assert mode(loose) == 0o644
    finally:
        os.umask(old)
    with pytest.raises(GalleryError, match=r"no-such-dir/g\.db: cannot create a gallery here"):
        Gallery(tmp_path / "no-such-dir" / "g.db", "m", 8)


def test_names_are_looked_up_as_enrolment_stored_them(tmp_path):
    with Gallery(tmp_path / "g.db", "m", 8) as g:
        g.enroll(" Padded Name\t", vectors(2), ["a.jpg", "b.jpg"])
        assert g.people() == [("Padded Name", 2)] and g.count(" Padded Name ") == 2
        assert g.matrix("  Padded Name")[1] == ["Padded Name"] * 2
        assert g.remove(" Padded Name ") == 2 and g.people() == []


def test_only_enrolment_creates_a_gallery(tmp_path):
    from facecompare.inference.gallery import require_gallery

    with pytest.raises(GalleryError, match=r"^\S*typo\.db: no such gallery \(enroll people first: facecompare enroll"):
        require_gallery(tmp_path / "typo.db")
    assert not (tmp_path / "typo.db").exists()
    Gallery(tmp_path / "g.db", "m", 8).close()
    assert require_gallery(str(tmp_path / "g.db")) == tmp_path / "g.db"


def test_a_full_disk_is_one_line_and_the_gallery_stays_as_it_was(tmp_path):
    # SQLite's own limit on the file's pages gives the error a full disk gives (SQLITE_FULL), without a mount
    path = tmp_path / "g.db"
    with Gallery(path, "m", 8) as g:
        g.enroll("Ada", vectors(2), ["a1.jpg", "a2.jpg"])
        pages = g.db.execute("PRAGMA page_count").fetchone()[0]
        g.db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(DiskFullError, match=rf"^{re.escape(str(path))}: No space left on device"):
            g.enroll("Grace", vectors(400, 1), [f"g{i}.jpg" for i in range(400)])
        assert g.people() == [("Ada", 2)]
    with Gallery(path, "m", 8) as g:
        assert g.people() == [("Ada", 2)]
