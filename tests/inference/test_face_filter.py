"""Which detections a video search scores: sure, large enough and mostly inside the frame, the rest counted."""

import pytest

from facecompare.data.detection.base import Face
from facecompare.errors import FacecompareError
from facecompare.inference.face_filter import FaceFilter


def test_detections_are_kept_or_dropped_with_their_reason():
    kept = Face((100.0, 50.0, 160.0, 120.0), 0.99)
    flag = Face((-46.3, 7.1, 67.4, 138.9), 0.99)  # the sighting of the issue: 59 % inside, over a flag
    unsure = Face((100.0, 50.0, 160.0, 120.0), 0.93)
    tiny = Face((10.0, 10.0, 30.0, 34.0), 1.0)
    below = Face((100.0, 200.0, 160.0, 270.0), 1.0)  # 40 of its 70 px height inside a 240 px frame
    faces = FaceFilter()
    assert faces.keep([kept, flag, unsure, tiny, below], 320, 240) == [kept]
    assert faces.dropped == {"outside_frame": 2, "low_probability": 1, "too_small": 1}
    assert faces.summary() == (
        "dropped 4 detections: 1 below probability 0.95, 2 less than 75% inside the frame, 1 smaller than 40 px"
    )
    assert faces.to_json()["dropped"] == {"low_probability": 1, "too_small": 1, "outside_frame": 2, "low_quality": 0}
    loose = FaceFilter(min_prob=0.9, min_size=16, min_inside=0.5)
    assert loose.keep([kept, flag, unsure, tiny, below], 320, 240) == [kept, flag, unsure, tiny, below]
    assert loose.summary() == ""


def test_a_box_just_inside_the_limits_is_kept():
    faces = FaceFilter(min_prob=0.95, min_size=40, min_inside=0.75)
    edge = Face((-10.0, 0.0, 30.0, 40.0), 0.95)  # 40 px square, exactly 75 % inside
    assert faces.keep([edge], 320, 240) == [edge] and not faces.dropped


@pytest.mark.parametrize("values", [(1.5, 40, 0.75), (0.95, -1, 0.75), (0.95, 40, 2.0)])
def test_impossible_limits_are_refused(values):
    with pytest.raises(FacecompareError, match=r"min-inside and min-quality must be in \[0, 1\] and min-size >= 0"):
        FaceFilter(*values)
