"""Pair lists (pairs.csv): written and read back exactly, every malformed row refused with its line."""

from pathlib import Path

import pytest

from facecompare.data.pair_list import PathPair, read_pair_list, relative, write_pair_list
from facecompare.errors import ConfigError


def test_round_trip_keeps_odd_names(tmp_path):
    pairs = [
        PathPair("Ann Lee/1.jpg", "Ann Lee/sub/2.png", True),
        PathPair('Bo, "Jr"/a.jpg', "Zoë/b.jpg", False),
    ]
    out = tmp_path / "run" / "pairs.csv"
    write_pair_list(out, pairs)
    assert out.read_text(encoding="utf-8").splitlines()[:2] == [
        "file_a,file_b,same",
        "Ann Lee/1.jpg,Ann Lee/sub/2.png,1",
    ]
    assert read_pair_list(out) == pairs
    assert not list(out.parent.glob("*.tmp"))
    assert pairs[1].people == ('Bo, "Jr"', "Zoë")


def test_relative_uses_forward_slashes(tmp_path):
    assert relative(tmp_path / "ann" / "x" / "1.jpg", tmp_path) == "ann/x/1.jpg"


def test_flags_blank_lines_and_bom(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("\ufefffile_a,file_b,same\nann/1.jpg,ann/2.jpg,TRUE\n\nann/1.jpg,bob/1.jpg,different\n\n", "utf-8")
    assert read_pair_list(f) == [PathPair("ann/1.jpg", "ann/2.jpg", True), PathPair("ann/1.jpg", "bob/1.jpg", False)]


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("", r"p\.csv:1: expected the header file_a,file_b,same"),
        ("a,b,same\nann/1.jpg,ann/2.jpg,1\n", r"p\.csv:1: expected the header"),
        ("file_a,file_b,same\n", r"p\.csv: no pairs after the header"),
        ("file_a,file_b,same\nann/1.jpg,ann/2.jpg\n", r"p\.csv:2: expected 3 fields .* got 2"),
        ("file_a,file_b,same\nann/1.jpg,ann/2.jpg,yes\n", r"p\.csv:2: same must be 1 or 0 .* 'yes'"),
        ("file_a,file_b,same\nann/1.jpg,ann/2.jpg,1\nann/1.jpg,ann/1.jpg,1\n", r"p\.csv:3: .* ann/1\.jpg with itself"),
        ("file_a,file_b,same\nann/1.jpg,bob/1.jpg,1\n", r"p\.csv:2: marked same, .* 'ann' and 'bob'"),
        ("file_a,file_b,same\nann/1.jpg,ann/2.jpg,0\n", r"p\.csv:2: marked different, .* 'ann' and 'ann'"),
        ("file_a,file_b,same\n../x/1.jpg,ann/2.jpg,0\n", r"p\.csv:2: '\.\./x/1\.jpg' must be a path relative"),
        ("file_a,file_b,same\n/etc/1.jpg,ann/2.jpg,0\n", r"p\.csv:2: '/etc/1\.jpg' must be a path relative"),
        ("file_a,file_b,same\nC:/a/1.jpg,ann/2.jpg,0\n", r"p\.csv:2: 'C:/a/1\.jpg' must be a path relative"),
        ("file_a,file_b,same\n1.jpg,ann/2.jpg,0\n", r"p\.csv:2: '1\.jpg' is not inside a person folder"),
    ],
)
def test_bad_rows_name_the_line(tmp_path, body, match):
    f = tmp_path / "p.csv"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        read_pair_list(f)


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read pairs file .*missing\.csv"):
        read_pair_list(tmp_path / "missing.csv")
    (tmp_path / "latin.csv").write_bytes(b"file_a,file_b,same\nJos\xe9/1.jpg,Jos\xe9/2.jpg,1\n")
    with pytest.raises(ConfigError, match=r"cannot read pairs file .*latin\.csv"):
        read_pair_list(Path(tmp_path / "latin.csv"))
