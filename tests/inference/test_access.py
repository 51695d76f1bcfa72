"""Access decisions: granted only for an identified person on the allow list; allow lists read strictly."""

import numpy as np
import pytest

from facecompare.errors import FacecompareError
from facecompare.inference.access import decide_access, read_allow_list
from facecompare.inference.faces import FoundFace
from facecompare.inference.gallery import Match
from facecompare.inference.gallery_threshold import AccessRefusedError
from facecompare.inference.identify import Identification

FACE = FoundFace("door.jpg", np.zeros((8, 8, 3), np.uint8), (0, 0, 8, 8), 0.99, 1)
ENROLLED = ["Ann", "Bob", "Cy"]


def found(*matches: tuple[str, float], threshold: float = 0.6, rule: str = "fpir 0.001") -> Identification:
    return Identification(FACE, [Match(p, s) for p, s in matches], threshold, len(ENROLLED), threshold_rule=rule)


def test_granted_only_for_the_best_match_on_the_list():
    ok = decide_access(found(("Ann", 0.9), ("Bob", 0.7)), ["Ann"], ENROLLED)
    assert ok.granted and ok.reason == "allowed" and ok.person == "Ann"
    # Bob also clears the threshold, but the face is Ann's: a list of Bob alone does not let her in
    denied = decide_access(found(("Ann", 0.9), ("Bob", 0.7)), ["Bob"], ENROLLED)
    assert not denied.granted and denied.reason == "not_allowed" and denied.person == "Ann"


def test_an_identification_at_the_1_to_1_threshold_decides_nothing():
    # whoever identified the face, a decision at the bundle's pair threshold would let strangers in
    for unvouched in (found(("Ann", 0.9), rule="1:1"), Identification(FACE, [Match("Ann", 0.9)], 0.6, 3)):
        with pytest.raises(AccessRefusedError, match=r"access refused, nobody is granted.*1:1 threshold 0\.6000"):
            decide_access(unvouched, ["Ann"], ENROLLED)
    assert decide_access(found(("Ann", 0.9), rule="given"), ["Ann"], ENROLLED).granted


def test_below_the_threshold_is_unknown_even_for_an_allowed_name():
    out = decide_access(found(("Ann", 0.59)), ["Ann"], ENROLLED)
    assert not out.granted and out.reason == "unknown" and out.person is None
    empty = decide_access(found(), ["Ann"], [])
    assert not empty.granted and empty.reason == "unknown" and empty.not_enrolled == ["Ann"]


def test_names_match_as_enrolled_and_absent_names_are_reported():
    out = decide_access(found(("Ann", 0.9)), ["  Ann ", "Bbo", ""], ENROLLED)
    assert out.granted and out.not_enrolled == ["Bbo"]
    assert out.to_json() == {"granted": True, "reason": "allowed", "not_enrolled": ["Bbo"]}
    assert not decide_access(found(("Ann", 0.9)), ["ann"], ENROLLED).granted  # names are exact, as enrolled
    with pytest.raises(FacecompareError, match="names nobody"):
        decide_access(found(("Ann", 0.9)), ["", "  "], ENROLLED)


def test_allow_list_file(tmp_path):
    f = tmp_path / "floor3.txt"
    f.write_text("\ufeff# floor 3\nAnn\n\n  Eileen Collins  \n   # left in May: Bob\n", encoding="utf-8")
    assert read_allow_list(f) == ["Ann", "Eileen Collins"]
    f.write_text("# nobody yet\n\n", encoding="utf-8")
    with pytest.raises(FacecompareError, match=r"floor3\.txt: the allow list names nobody"):
        read_allow_list(f)
    with pytest.raises(FacecompareError, match=r"missing\.txt: cannot read the allow list"):
        read_allow_list(tmp_path / "missing.txt")
    (tmp_path / "latin.txt").write_bytes(b"Jos\xe9\n")
    with pytest.raises(FacecompareError, match=r"latin\.txt: cannot read the allow list"):
        read_allow_list(tmp_path / "latin.txt")
