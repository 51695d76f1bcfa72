import pytest

from facecompare.data.detection import Face
from facecompare.data.policy import FacePolicy
from facecompare.errors import ConfigError

SMALL_CORNER = Face((0, 0, 10, 10), 0.99)
BIG_EDGE = Face((60, 0, 100, 40), 0.95)
CENTRE = Face((45, 45, 55, 55), 0.97)
WEAK = Face((40, 40, 60, 60), 0.5)


def test_one_face_is_ok_and_weak_faces_do_not_count():
    outcome, face = FacePolicy(min_prob=0.9).choose([CENTRE, WEAK], (100, 100))
    assert outcome["status"] == "ok" and outcome["used"] and face is CENTRE


def test_no_face_skip_or_centre_crop():
    outcome, face = FacePolicy(min_prob=0.9).choose([WEAK], (100, 100))
    assert outcome == {
        "status": "no_face",
        "used": False,
        "detail": "no face with prob >= 0.9 (best 0.500)",
        "prob": 0.5,
    }
    outcome, face = FacePolicy(no_face="center_crop").choose([], (100, 100))
    assert outcome["status"] == "no_face" and outcome["used"] and face is None and "centre crop" in outcome["detail"]


@pytest.mark.parametrize("rule, expected", [("largest", BIG_EDGE), ("central", CENTRE), ("skip", None)])
def test_several_faces(rule, expected):
    outcome, face = FacePolicy(several_faces=rule).choose([SMALL_CORNER, BIG_EDGE, CENTRE], (100, 100))
    assert outcome["status"] == "several_faces" and face is expected and outcome["used"] == (expected is not None)


@pytest.mark.parametrize("kwargs", [{"min_prob": 1.5}, {"no_face": "guess"}, {"several_faces": "all"}])
def test_bad_policy_values(kwargs):
    with pytest.raises(ConfigError, match=r"data\.source\.preprocess"):
        FacePolicy(**kwargs)
