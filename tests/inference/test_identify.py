"""Enrol and identify through a bundle: the enrolled person comes first, UNKNOWN below the threshold."""

import dataclasses

import pytest

from facecompare.inference import load_bundle
from facecompare.inference.faces import FaceFinder, NoFaceError, make_detector
from facecompare.inference.identify import choose_threshold, enroll, identify, open_gallery
from facecompare.inference.open_set import OpenSetError


@pytest.fixture(scope="module")
def tools(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    return bundle, FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size)


def test_enrol_identify_and_unknown(tools, photos, tmp_path):
    bundle, finder = tools
    with open_gallery(tmp_path / "g.db", bundle) as gallery:
        assert enroll(bundle, finder, gallery, "astronaut", [photos / "astronaut.jpg", photos / "cropped.png"]) == 2
        assert enroll(bundle, finder, gallery, "mirror", [photos / "mirrored.jpg"]) == 1
        found = identify(bundle, finder, gallery, photos / "astronaut.jpg", top=5)
        assert found.best == "astronaut" and found.matches[0].score == pytest.approx(1.0)
        assert [m.person for m in found.matches][1:] == ["mirror"] and found.people == 2
        assert found.embeddings == 3 and found.fpir_bound is None  # a bundle without an open-set curve
        assert found.gallery_size() == "2 people in the gallery"
        nobody = identify(bundle, finder, gallery, photos / "astronaut.jpg", threshold=1.5)
        assert nobody.best is None and nobody.to_json()["identity"] == "UNKNOWN"


def test_an_image_without_a_face_enrols_nothing(tools, photos, tmp_path):
    bundle, finder = tools
    with open_gallery(tmp_path / "g.db", bundle) as gallery:
        with pytest.raises(NoFaceError, match=r"blank\.png"):
            enroll(bundle, finder, gallery, "someone", [photos / "astronaut.jpg", photos / "blank.png"])
        assert gallery.people() == []
        assert identify(bundle, finder, gallery, photos / "astronaut.jpg").best is None  # empty gallery


def test_threshold_choices(tools):
    bundle, _ = tools
    curve = {"far": [1e-4, 1e-3], "threshold": [0.99, 0.9], "impostor_pairs": 10_000, "on": "dev"}
    curved = dataclasses.replace(bundle, meta={**bundle.meta, "threshold": {"value": 0.95, "far_curve": curve}})
    assert choose_threshold(curved, None, None, 10) == (0.95, pytest.approx(1e-2))  # bound of FAR(0.9) x 10
    assert choose_threshold(curved, 0.995, None, 10) == (0.995, pytest.approx(1e-3))
    assert choose_threshold(curved, None, 0.01, 10) == (0.9, pytest.approx(1e-2))
    assert choose_threshold(curved, None, 0.01, 11) == (0.99, pytest.approx(1.1e-3))
    assert choose_threshold(bundle, None, None, 10) == (bundle.threshold, None)
    with pytest.raises(OpenSetError, match="not both"):
        choose_threshold(curved, 0.5, 0.01, 10)
    with pytest.raises(OpenSetError, match="carries no open-set curve"):
        choose_threshold(bundle, None, 0.01, 10)
