import numpy as np
import pytest

from facecompare.inference.quality import EmbeddingQuality, degrade


def test_quality_by_hand():
    q = EmbeddingQuality(np.array([1.0, 0.0]), 0.0, 1.0, np.array([0.0, 1.0]), 0.5)
    e = np.array([[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0], [0.6, -0.8], [3.0, -4.0]])
    # the average face, the unrecognisable centre, far from both, partly legible (scale does not matter)
    assert q.quality(e) == pytest.approx([0.0, 0.0, 1.0, 0.4, 0.4])
    assert EmbeddingQuality.from_json(q.to_json()).quality(e) == pytest.approx(q.quality(e))


def test_degraded_copies_keep_shape_and_lose_detail():
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    bad = degrade(crops)
    assert bad.shape == crops.shape and bad.dtype == np.uint8
    detail = lambda c: np.abs(np.diff(c.astype(float), axis=2)).mean()  # noqa: E731
    assert detail(bad[0]) < detail(crops[0]) / 4  # blurred
    assert bad[1].mean() < crops[1].mean() * 0.1  # darkened
    assert detail(bad[3]) < detail(crops[3]) / 4  # shrunk to 6 px and back


def test_fit_scales_clean_crops_above_their_degraded_copies_and_refuses_a_model_that_cannot_tell(monkeypatch):
    import facecompare.inference.quality as quality_module

    rng = np.random.default_rng(1)
    crops = rng.integers(0, 256, (16, 8, 8, 3), dtype=np.uint8)

    def embed(c: np.ndarray) -> np.ndarray:  # brightness (plus a floor) and two colour contrasts
        m = c.astype(float).mean((1, 2)) / 255
        return np.stack([m.mean(1) + 0.05, m[:, 0] - m[:, 1], m[:, 2] - m[:, 1]], 1)

    monkeypatch.setattr(quality_module, "degrade", lambda c: np.zeros_like(c))  # black: [0.05, 0, 0]
    q = EmbeddingQuality.fit(embed, crops)
    assert q.low == pytest.approx(0.0) and q.refuse_below == pytest.approx(0.0)
    assert np.allclose(q.unrecognisable, [1.0, 0.0, 0.0]) and (q.quality(embed(crops)) > 0).all()
    assert q.quality(embed(np.zeros_like(crops))).max() == 0.0
    # half the degraded copies embed like clean crops: the bar sits among the clean crops' scores
    monkeypatch.setattr(quality_module, "degrade", lambda c: np.concatenate([np.zeros_like(c[:10]), c[10:]]))
    with pytest.raises(ValueError, match=r"% of the clean crops score below the bar .* too weakly"):
        EmbeddingQuality.fit(embed, crops)
    with pytest.raises(ValueError, match="no quality scale"):
        EmbeddingQuality.fit(lambda c: np.ones((len(c), 4)), crops)
