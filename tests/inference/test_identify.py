"""Enrol and identify through a bundle: the enrolled person comes first, UNKNOWN below the threshold."""

import pytest

from facecompare.inference import load_bundle
from facecompare.inference.faces import FaceFinder, NoFaceError, make_detector
from facecompare.inference.identify import enroll, identify, open_gallery


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
        assert found.threshold_rule == "1:1" and "not fitted to this gallery" in found.warning
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
