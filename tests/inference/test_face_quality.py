from pathlib import Path

import numpy as np
import pytest

from facecompare.inference.bundle import Bundle
from facecompare.inference.face_quality import NO_MODEL, LowQualityError, assess, require_quality
from facecompare.inference.faces import FoundFace
from facecompare.inference.quality import EmbeddingQuality

QUALITY = EmbeddingQuality(np.array([1.0, 0.0]), 0.0, 1.0, np.array([0.0, 1.0]), 0.5, 0.3)


def face(box: tuple | None) -> FoundFace:
    return FoundFace(Path("a.jpg"), np.zeros((8, 8, 3), np.uint8), box, 0.99, 1)


def bundle(quality: EmbeddingQuality | None) -> Bundle:
    meta = {"distance": "cosine", "threshold": {"value": 0.5}} | ({"quality": quality.to_json()} if quality else {})
    return Bundle(Path("b"), meta, session=None)


def test_each_face_gets_its_quality_a_tiny_face_zero_and_a_bundle_without_a_model_says_so():
    faces = [face((0, 0, 100, 120)), face((10, 10, 22, 24)), face(None)]
    assess(bundle(QUALITY), faces, np.array([[-1.0, 0.0], [-1.0, 0.0], [0.6, -0.8]]))
    assert [f.quality for f in faces] == pytest.approx([1.0, 0.0, 0.4])
    assert faces[1].quality_note == "face 12 px across, too small to score (< 20)" and faces[0].quality_note is None
    plain = [face(None)]
    assess(bundle(None), plain, np.array([[1.0, 0.0]]))
    assert plain[0].quality is None and plain[0].quality_note == NO_MODEL
    assert plain[0].to_json()["quality"] is None and faces[2].to_json()["quality"] == 0.4


def test_require_quality_names_the_photo_and_the_reason():
    good, small = face(None), face((0, 0, 5, 5))
    good.quality, small.quality, small.quality_note = 0.8, 0.0, "face 5 px across, too small to score (< 20)"
    require_quality([good], 0.5)
    with pytest.raises(LowQualityError, match=r"a\.jpg: face quality 0\.00 is below --min-quality 0\.50 \(face 5 px"):
        require_quality([good, small], 0.5)
    none = face(None)
    none.quality_note = NO_MODEL
    with pytest.raises(LowQualityError, match="no quality to check against --min-quality: the bundle carries no"):
        require_quality([none], 0.5)


def test_a_malformed_quality_record_is_named():
    from facecompare.inference.bundle import BundleError

    broken = Bundle(Path("b"), {"quality": {"method": "embedding", "low": 0}}, session=None)
    with pytest.raises(BundleError, match="quality is malformed"):
        _ = broken.quality_model
