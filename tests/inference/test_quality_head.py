import numpy as np
import pytest

from facecompare.inference.quality_head import LearnedQuality, centre_similarity


def test_each_crop_is_compared_with_its_other_crops_centre():
    e = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [5.0, 5.0]])
    rows, targets = centre_similarity(e, np.array([0, 0, 0, 1]))  # person 1 has one crop: left out
    assert rows.tolist() == [0, 1, 2]
    # crop 0 (e1) against the others' sum e2 + unit(1, 1) = (0.7071, 1.7071): cos = 0.7071 / 1.8478
    assert targets[0] == pytest.approx(0.7071068 / np.hypot(1.7071068, 0.7071068))
    assert targets[2] == pytest.approx(1.0)  # (1, 1) against unit(e1 + e2)


def test_learned_quality_ranks_crops_near_their_person_above_outliers():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 16))
    labels = np.repeat(np.arange(20), 6)
    spread = np.tile([0.1, 0.1, 0.2, 0.2, 2.0, 2.0], 20)  # each person's last two crops stray far
    # the strays share a direction, as poor crops do in a real model, which the regression can learn
    stray = np.ones(16)
    e = centres[labels] + spread[:, None] * (rng.normal(size=(120, 16)) + stray)
    q = LearnedQuality.fit(e, labels)
    quality = q.quality(e)
    assert quality[spread == 2.0].mean() < quality[spread == 0.1].mean() - 0.3
    assert ((quality >= 0.0) & (quality <= 1.0)).all()
    again = LearnedQuality.from_json(q.to_json())
    assert np.allclose(again.quality(e), quality) and q.to_json()["method"] == "ridge"
    with pytest.raises(ValueError, match="too few to learn a quality from"):
        LearnedQuality.fit(e[:4], labels[:4])
