"""The learned quality as the bundle runs it: the trained branch's forward in NumPy, on the quality scale."""

import numpy as np
import pytest
import torch

from facecompare.inference.branch_quality import BranchQuality, branch_layers
from facecompare.models.quality_branch import QualityBranch


def test_numpy_forward_is_the_branchs():
    torch.manual_seed(0)
    branch = QualityBranch(embedding_dim=6, hidden=5)
    embeddings = torch.randn(10, 6)
    with torch.no_grad():
        expected = branch(embeddings).double().numpy()
    assert np.allclose(BranchQuality(branch_layers(branch)).predict(embeddings.numpy()), expected, atol=1e-6)


def _first_component() -> tuple:
    # a branch that outputs the embedding's first component (plus one, to pass the ReLU)
    return ((np.array([[1.0, 0.0]]), np.array([1.0])), (np.array([[1.0]]), np.array([0.0])))


PATTERN = (np.indices((16, 16)).sum(0) % 2 * 2 - 1).astype(float)[..., None]  # a checkerboard of -1 and 1


def _like_the_pattern(crops: np.ndarray) -> np.ndarray:
    """A fake embedder whose first component is how much a crop still shows the pattern (its correlation)."""
    x = crops.reshape(len(crops), -1).astype(float) - 128
    t = np.broadcast_to(PATTERN, crops.shape[1:]).reshape(-1)
    corr = x @ t / (np.linalg.norm(x, axis=1) * np.linalg.norm(t) + 1e-9)
    return np.stack([corr, np.sqrt(1 - np.clip(corr, -1, 1) ** 2)], 1)


def _light(crops: np.ndarray) -> np.ndarray:
    light = crops.reshape(len(crops), -1).mean(1) / 255
    return np.stack([light, np.sqrt(1 - light**2)], 1)


def test_fit_puts_clean_crops_high_and_degraded_copies_low():
    rng = np.random.default_rng(0)
    crops = np.clip(128 + 100 * PATTERN + rng.normal(0, 5, (40, 16, 16, 3)), 0, 255).astype(np.uint8)
    fitted = BranchQuality.fit(_first_component(), _like_the_pattern, crops)
    assert fitted.quality(_like_the_pattern(crops)).min() > 0.95
    assert 0 < fitted.refuse_below < 0.95  # a bar the clean crops clear
    again = BranchQuality.from_json(fitted.to_json())
    assert again.to_json() == fitted.to_json() and fitted.to_json()["method"] == "learned"


def test_a_branch_blind_to_most_degradations_is_refused():
    crops = np.full((40, 8, 8, 3), 200, np.uint8)
    crops[::2] = 150
    # it sees only light, and three in four degraded kinds keep a crop's mean light
    with pytest.raises(ValueError, match="of the clean crops score below the bar"):
        BranchQuality.fit(_first_component(), _light, crops)


def test_malformed_records_are_refused():
    record = BranchQuality(_first_component(), 0.1, 0.9, 0.2).to_json()
    with pytest.raises(ValueError, match="layers must be two"):
        BranchQuality.from_json({**record, "layers": record["layers"][:1]})
    with pytest.raises(ValueError, match="must be above low"):
        BranchQuality.from_json({**record, "high": 0.0})
    with pytest.raises(KeyError):
        BranchQuality.from_json({k: v for k, v in record.items() if k != "low"})
