"""Verification of two images and of a probe against anchors, on skimage's astronaut photo."""

import numpy as np
import pytest

from facecompare.inference import load_bundle
from facecompare.inference.faces import FaceFinder, NoFaceError, UnreadableImageError, make_detector
from facecompare.inference.verify import verify, verify_anchors


@pytest.fixture(scope="module")
def tools(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    return bundle, FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size)


def test_same_photo_matches_with_score_one_and_the_face_box(tools, photos):
    bundle, finder = tools
    verdict = verify(bundle, finder, photos / "astronaut.jpg", photos / "astronaut.jpg")
    assert verdict.score == pytest.approx(1.0) and verdict.match and verdict.threshold == bundle.threshold
    x0, y0, x1, y1 = verdict.probe.box
    assert 170 < x0 < x1 < 280 and 50 < y0 < y1 < 185 and verdict.probe.crop.shape == (32, 32, 3)


def test_threshold_override_decides(tools, photos):
    bundle, finder = tools
    a, b = photos / "astronaut.jpg", photos / "mirrored.jpg"
    score = verify(bundle, finder, a, b).score
    assert verify(bundle, finder, a, b, threshold=score).match
    assert not verify(bundle, finder, a, b, threshold=np.nextafter(score, 2)).match


@pytest.mark.slow
def test_anchor_aggregates(tools, photos):
    bundle, finder = tools
    probe, anchors = (
        photos / "astronaut.jpg",
        [photos / "mirrored.jpg", photos / "cropped.png", photos / "astronaut.jpg"],
    )
    single = [verify(bundle, finder, probe, a).score for a in anchors]
    mean = verify_anchors(bundle, finder, probe, anchors, "mean")
    assert mean.scores == pytest.approx(single) and mean.score == pytest.approx(np.mean(single))
    assert verify_anchors(bundle, finder, probe, anchors, "max").score == pytest.approx(max(single))
    middle = sorted(single)[1]
    vote = verify_anchors(bundle, finder, probe, anchors, "vote", threshold=middle)  # 2 of 3 reach it
    assert vote.score == pytest.approx(2 / 3) and vote.match
    strict = verify_anchors(bundle, finder, probe, anchors, "vote", threshold=np.nextafter(middle, 2))
    assert strict.score == pytest.approx(1 / 3) and not strict.match


def test_no_face_and_unreadable_files_are_named(tools, photos):
    bundle, finder = tools
    with pytest.raises(NoFaceError, match=r"blank\.png: no face found"):
        verify(bundle, finder, photos / "astronaut.jpg", photos / "blank.png")
    with pytest.raises(UnreadableImageError, match=r"notes\.jpg: "):
        verify(bundle, finder, photos / "notes.jpg", photos / "astronaut.jpg")
    with pytest.raises(UnreadableImageError, match=r"gone\.jpg: cannot read file"):
        verify(bundle, finder, photos / "gone.jpg", photos / "astronaut.jpg")


def test_detector_none_uses_the_whole_image(tools, photos):
    bundle, _ = tools
    finder = FaceFinder(make_detector("none", bundle.meta), bundle.size)
    verdict = verify(bundle, finder, photos / "blank.png", photos / "blank.png")
    assert verdict.probe.box is None and verdict.score == pytest.approx(1.0)


def test_detection_overrides_still_find_the_face(tools, photos):
    bundle, _ = tools
    detector = make_detector("mtcnn", bundle.meta, max_side=256, min_face_size=40)
    assert detector.max_side == 256 and detector.min_face_size == 40
    verdict = verify(bundle, FaceFinder(detector, bundle.size), photos / "astronaut.jpg", photos / "astronaut.jpg")
    x0, y0, x1, y1 = verdict.probe.box  # in full-image coordinates whatever the detection scale
    assert 170 < x0 < x1 < 280 and 50 < y0 < y1 < 185
