"""Parsing the LFW protocol files: both views, whitespace tolerance, and a located error for every bad line."""

import hashlib
from pathlib import Path

import pytest
from lfw_fakes import DEV_TRAIN_PAIRS, FOLD_PEOPLE, write_view1, write_view2

from facecompare.data.sources.lfw_download import SHA256
from facecompare.data.sources.lfw_layout import VIEW_FILES, find_layout
from facecompare.data.sources.lfw_protocol import LFWFormatError, Pair, Person, image_path, read_pairs, read_people
from facecompare.errors import ConfigError

REAL_LFW = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "lfw"


def test_view1_files(tmp_path):
    write_view1(tmp_path)
    pairs = read_pairs(tmp_path / "pairsDevTrain.txt")
    assert [p.same for p in pairs] == [True] * 4 + [False] * 4
    assert pairs[2] == Pair("Dee_Dunn", 1, "Dee_Dunn", 3, True, 0)
    assert pairs[4] == Pair("Amy_Adams", 1, "Fay_Fu", 1, False, 0)
    assert [(p.name_a, p.num_a) for p in pairs[4:]] == [(p[0], p[1]) for p in DEV_TRAIN_PAIRS[4:]]
    people = read_people(tmp_path / "peopleDevTrain.txt")
    assert people[0] == Person("Amy_Adams", 1, 0) and people[-1] == Person("Big_Boss", 10, 0) and len(people) == 9


def test_view2_files(tmp_path):
    write_view2(tmp_path)
    pairs = read_pairs(tmp_path / "pairs.txt")
    assert [p.fold for p in pairs] == [0] * 4 + [1] * 4 + [2] * 4
    assert [p.same for p in pairs[4:8]] == [True, True, False, False]
    assert pairs[6] == Pair("Quin_Ames", 1, "Qu_Cy", 1, False, 1)
    people = read_people(tmp_path / "people.txt")
    assert [(p.name, p.num_images, p.fold) for p in people] == [
        (name, n, fold) for fold, group in enumerate(FOLD_PEOPLE) for name, n in group.items()
    ]


def test_any_whitespace_crlf_bom_and_trailing_blank_lines(tmp_path):
    tabs = tmp_path / "tabs.txt"
    tabs.write_text("2 1\nA_B\t1\t2\nA_B\t1\tC_D\t1\nE_F\t1\t3\nE_F\t2\tC_D\t1\n")
    messy = tmp_path / "messy.txt"
    messy.write_bytes(b"\xef\xbb\xbf 2   1\r\nA_B 1 2  \r\n A_B\t 1 C_D 1\r\nE_F  1\t\t3\r\nE_F 2 C_D 1\r\n\r\n\n")
    assert read_pairs(messy) == read_pairs(tabs)
    assert read_pairs(tabs)[3] == Pair("E_F", 2, "C_D", 1, False, 1)


def test_image_path_is_one_based_and_zero_padded():
    assert image_path("/lfw", "George_W_Bush", 10) == Path("/lfw/George_W_Bush/George_W_Bush_0010.jpg")
    assert Pair("A_B", 1, "C_D", 123, False).paths(Path("r")) == (
        Path("r/A_B/A_B_0001.jpg"),
        Path("r/C_D/C_D_0123.jpg"),
    )


MATCH, MISMATCH = "A_B\t1\t2\n", "A_B\t1\tC_D\t1\n"
BAD_PAIRS = [
    ("", 1, "file ends early"),
    ("1 2 3\n", 1, "expected 1 or 2 fields"),
    ("ten\n", 1, "pairs per class must be a positive integer, got 'ten'"),
    ("0\n", 1, "must be a positive integer, got '0'"),
    ("2\n" + MATCH + "A_B\t1\n", 3, "expected 3 fields (matched pair"),
    ("1\nA_B\tx\t2\n" + MISMATCH, 2, "n1 must be a positive integer, got 'x'"),
    ("1\nA_B\t1\t+2\n" + MISMATCH, 2, "n2 must be a positive integer"),
    ("1\nA_B\t0\t2\n" + MISMATCH, 2, "got '0'"),
    ("1\nA_B\t2\t2\n" + MISMATCH, 2, "compares image 2 of A_B with itself"),
    ("1\n" + MATCH + MATCH, 3, "expected 4 fields (mismatched pair"),
    ("1\n" + MATCH + "\n" + MISMATCH, 3, "got 0; line 1 promises 1 fold(s) of 1 matched then 1 mismatched"),
    ("1\n" + MATCH + "A_B\t1\tA_B\t3\n", 3, "mismatched pair names A_B twice"),
    ("1\n../x\t1\t2\n" + MISMATCH, 2, "invalid person name '../x'"),
    ("2\n" + MATCH + MATCH + MISMATCH, 5, "file ends early"),
    ("1\n" + MATCH + MISMATCH + MATCH, 4, "extra line after the 3 lines"),
    ("2 1\n" + MATCH + MISMATCH, 4, "file ends early: expected matched pair"),
]
BAD_PEOPLE = [
    ("3\nA_B\t1\nC_D\t2\n", 4, "file ends early: expected person: name num_images; line 1 promises 3 people"),
    ("2\nA_B\t1\nC_D\tmany\n", 3, "num_images must be a positive integer, got 'many'"),
    ("1\nA_B\t1\tx\n", 2, "expected 2 fields"),
    ("1\nA_B\t1\nC_D\t1\n", 3, "extra line"),
    ("2\n1\nA_B\t1\n2\nC_D\t1\n", 6, "file ends early"),
    ("2\n2\nA_B\t1\n1\nC_D\t1\n", 4, "expected 2 fields (person: name num_images), got 1; line 2 promises 2 people"),
    ("1\n1\nA_B\t1\n1\nC_D\t1\n", 4, "extra line"),
    ("2\nx\nA_B\t1\n", 2, "number of people in fold 1 must be a positive integer"),
]


@pytest.mark.parametrize(
    ("reader", "text", "line", "problem"),
    [(read_pairs, *case) for case in BAD_PAIRS] + [(read_people, *case) for case in BAD_PEOPLE],
)
def test_malformed_line_is_named(tmp_path, reader, text, line, problem):
    path = tmp_path / "protocol.txt"
    path.write_text(text)
    with pytest.raises(LFWFormatError) as info:
        reader(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert problem in str(info.value)
    assert isinstance(info.value, ConfigError)


def test_unreadable_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read LFW protocol file .*nope\.txt"):
        read_pairs(tmp_path / "nope.txt")


@pytest.mark.skipif(not REAL_LFW.is_dir(), reason="real LFW is not at ../shared/data/lfw")
def test_real_view1_files():
    layout = find_layout(REAL_LFW, "view1")
    assert layout is not None and layout.protocol == REAL_LFW.resolve()
    for name, (matched, mismatched) in {"pairsDevTrain.txt": (1100, 1100), "pairsDevTest.txt": (500, 500)}.items():
        pairs = read_pairs(layout.file(name))
        assert (sum(p.same for p in pairs), sum(not p.same for p in pairs)) == (matched, mismatched)
    train, test = read_people(layout.file("peopleDevTrain.txt")), read_people(layout.file("peopleDevTest.txt"))
    assert (len(train), len(test)) == (4038, 1711)
    assert sum(p.num_images for p in train + test) == 13233  # every LFW image, per the README
    for name in VIEW_FILES["view1"]:  # the shipped checksums are those of the official files (../shared: View 1)
        digest = SHA256[name]
        assert hashlib.sha256(layout.file(name).read_bytes()).hexdigest() == digest
