"""The quality branch: one number per embedding, blind to the embedding's length."""

import pytest
import torch

from facecompare.models.quality_branch import QualityBranch


def test_one_prediction_per_embedding_whatever_its_length():
    torch.manual_seed(0)
    branch = QualityBranch(embedding_dim=8, hidden=4)
    embeddings = torch.randn(5, 8)
    out = branch(embeddings)
    assert out.shape == (5,)
    # the tools see unit embeddings: a longer vector in the same direction is the same face to the branch
    assert torch.allclose(branch(embeddings * 7.5), out, atol=1e-6)


def test_matches_its_two_layers_by_hand():
    branch = QualityBranch(embedding_dim=2, hidden=2)
    with torch.no_grad():
        first, second = branch.layers[0], branch.layers[2]
        first.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
        first.bias.copy_(torch.tensor([0.0, 0.5]))
        second.weight.copy_(torch.tensor([[2.0, 3.0]]))
        second.bias.copy_(torch.tensor([0.25]))
    # (0.6, 0.8): hidden relu(0.6, -0.8 + 0.5) = (0.6, 0) -> 2 * 0.6 + 0.25 = 1.45
    # (3, -4) is (0.6, -0.8) unit: hidden (0.6, 1.3) -> 1.2 + 3.9 + 0.25 = 5.35
    out = branch(torch.tensor([[0.6, 0.8], [3.0, -4.0]]))
    assert torch.allclose(out, torch.tensor([1.45, 5.35]))


def test_sizes_must_be_positive():
    with pytest.raises(ValueError, match="embedding_dim and hidden"):
        QualityBranch(embedding_dim=0)
