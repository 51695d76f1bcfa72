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


def test_the_learned_method_is_used_where_chosen_and_refused_where_the_model_lacks_it():
    from facecompare.inference.branch_quality import BranchQuality
    from facecompare.inference.bundle import BundleError

    # learned: quality = the embedding's first component (0 at -1, 1 at 1)
    layers = ((np.array([[1.0, 0.0]]), np.array([1.0])), (np.array([[1.0]]), np.array([0.0])))
    learned = BranchQuality(layers, low=0.0, high=2.0, refuse_below=0.1)
    both = bundle(QUALITY)
    both.meta["quality_learned"] = learned.to_json()
    assert both.quality_methods == ["embedding", "learned"] and both.active_quality == "embedding"
    faces = [face(None)]
    both.use_quality("learned")
    assess(both, faces, np.array([[0.6, 0.8]]))
    assert faces[0].quality == pytest.approx(0.8) and faces[0].to_json()["quality_method"] == "learned"
    only_embedding = bundle(QUALITY)
    with pytest.raises(BundleError, match=r"cannot give the 'learned' face quality; it gives: embedding \(the learned"):
        only_embedding.use_quality("learned")
    with pytest.raises(BundleError, match=r"it gives: none \(calibrate it: facecompare calibrate"):
        bundle(None).use_quality("embedding")
    learned_only = Bundle(Path("b"), {"quality_learned": learned.to_json()}, session=None)
    assert learned_only.active_quality == "learned" and learned_only.quality_model.refuse_below == 0.1
