"""Per-group accuracy, FAR and FRR against values counted by hand; the groups file's errors."""

import csv

import numpy as np
import pytest

from facecompare.errors import ConfigError
from facecompare.evaluation.groups import CROSS, UNMAPPED, group_breakdown, read_groups, write_group_csv

NAMES = ["a1", "a1", "a2", "b1", "b1", "b2", "x"]  # image i belongs to person NAMES[i]
GROUPS = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}  # x is not mapped
PAIRS = np.array([
    [0, 1, 1],  # A genuine, score 0.9: accepted
    [0, 2, 0],  # A impostor, 0.7: false accept
    [1, 2, 0],  # A impostor, 0.2: rejected
    [3, 4, 1],  # B genuine, 0.4: false reject
    [3, 5, 0],  # B impostor, 0.1
    [0, 3, 0],  # across A/B, 0.6: false accept
    [6, 0, 0],  # x unmapped, 0.3
])  # fmt: skip
SCORES = np.array([0.9, 0.7, 0.2, 0.4, 0.1, 0.6, 0.3])


def test_rates_per_group_by_hand():
    rows = {r["group"]: r for r in group_breakdown(NAMES, PAIRS, SCORES, 0.5, GROUPS)}
    assert list(rows) == ["all", "A", "B", CROSS, UNMAPPED]
    a, b, cross = rows["A"], rows["B"], rows[CROSS]
    assert (a["pairs"], a["genuine_pairs"], a["impostor_pairs"], a["people"]) == (3, 1, 2, 2)
    assert a["accuracy"] == pytest.approx(2 / 3) and a["far"] == 0.5 and a["frr"] == 0.0
    assert b["accuracy"] == 0.5 and b["far"] == 0.0 and b["frr"] == 1.0
    assert cross["far"] == 1.0 and cross["frr"] is None  # no genuine pairs: no FRR, not a perfect one
    assert rows[UNMAPPED]["pairs"] == 1 and rows[UNMAPPED]["people"] == 2
    everything = rows["all"]
    assert everything["pairs"] == 7 and everything["accuracy"] == pytest.approx(4 / 7)
    assert everything["far"] == pytest.approx(2 / 5) and everything["frr"] == 0.5 and everything["people"] == 5


def test_csv_round_trip(tmp_path):
    (tmp_path / "g.csv").write_text("Person,Group\na1,A\n a2 ,A\nb1,B\nb2,B\n", encoding="utf-8")
    assert read_groups(tmp_path / "g.csv") == GROUPS
    rows = group_breakdown(NAMES, PAIRS, SCORES, 0.5, GROUPS)
    write_group_csv(tmp_path / "out.csv", rows, 0.5)
    with open(tmp_path / "out.csv", newline="") as f:
        written = list(csv.DictReader(f))
    assert [r["group"] for r in written] == ["all", "A", "B", CROSS, UNMAPPED]
    assert written[3]["frr"] == "" and float(written[1]["far"]) == 0.5 and written[0]["threshold"] == "0.5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,region\na,A\n", r"needs a header with 'person' and 'group'"),
        ("person,group\na,A\na,B\n", r"line 3: 'a' is in both 'A' and 'B'"),
        ("person,group\na,\n", r"line 2: empty person or group"),
        ("person,group\n", r"lists no people"),
    ],
)
def test_bad_groups_files(tmp_path, text, message):
    (tmp_path / "g.csv").write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_groups(tmp_path / "g.csv")
    with pytest.raises(ConfigError, match="does not exist"):
        read_groups(tmp_path / "missing.csv")
