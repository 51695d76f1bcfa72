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


def test_fit_orders_clean_above_degraded_and_refuses_a_model_that_cannot_tell():
    rng = np.random.default_rng(1)
    crops = rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)

    def embed(c: np.ndarray) -> np.ndarray:  # brightness and detail as a 3-d "embedding"
        c = c.astype(float) / 255
        return np.stack([c.mean((1, 2, 3)), np.abs(np.diff(c, axis=2)).mean((1, 2, 3)), 0.1 * np.ones(len(c))], 1)

    q = EmbeddingQuality.fit(embed, crops)
    assert q.quality(embed(degrade(crops))).mean() < q.quality(embed(crops)).mean()
    with pytest.raises(ValueError, match="no quality scale"):
        EmbeddingQuality.fit(lambda c: np.ones((len(c), 4)), crops)
