"""The preprocessing manifest's one-line summary and its CSV."""

from pathlib import Path

from facecompare.data.manifest import Record, read_manifest, summary, write_manifest


def records() -> list[Record]:
    return [
        Record(Path("/d/Ann/1.jpg"), "Ann", "ok", used=True, prob=0.99, origin="detected"),
        Record(Path("/d/Ann/2.jpg"), "Ann", "ok", used=True, prob=0.98, origin="cached"),
        Record(Path("/d/Bo/1.jpg"), "Bo", "no_face", used=True, detail="centre crop", origin="recropped"),
        Record(Path("/d/Bo/2.jpg"), "Bo", "no_face", origin="detected"),
        Record(Path("/d/Bo/x.jpg"), "Bo", "unreadable", detail="empty file (0 bytes)"),
    ]


def test_summary_counts_every_status_how_many_were_used_and_how_each_was_made():
    line = summary(records())
    assert line == (
        "5 files: 3 used; 2 ok, 2 no face (1 used), 1 unreadable; "
        "2 processed now, 1 cropped from cached detections, 1 from the cache, 1 not processed"
    )
    made = line.split("; ")[-1].split(", ")
    assert sum(int(part.split()[0]) for part in made) == 5  # every file in exactly one of them
    assert summary(records()[:2]) == "2 files: 2 used; 2 ok; 1 processed now, 1 from the cache"
    assert summary([]) == "0 files: 0 used; nothing; 0 processed now"


def test_manifest_rows_are_relative_to_the_root(tmp_path):
    write_manifest(records(), tmp_path / "m.csv", Path("/d"))
    rows = read_manifest(tmp_path / "m.csv")
    assert [r["path"] for r in rows] == ["Ann/1.jpg", "Ann/2.jpg", "Bo/1.jpg", "Bo/2.jpg", "Bo/x.jpg"]
    assert rows[0]["prob"] == "0.9900" and rows[2]["used"] == "yes"
    assert rows[3]["used"] == "no" and rows[4]["detail"] == "empty file (0 bytes)"


def test_the_manifest_can_be_read_by_other_users(tmp_path, set_umask):
    set_umask(0o022)
    write_manifest(records(), tmp_path / "run" / "manifest.csv", Path("/d"))
    assert (tmp_path / "run" / "manifest.csv").stat().st_mode & 0o777 == 0o644
