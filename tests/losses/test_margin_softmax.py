"""CosFace / ArcFace against values computed by hand, label mapping, and checkpoint round trips."""

import math

import numpy as np
import pytest
import torch

from facecompare.errors import ConfigError
from facecompare.losses import MarginSoftmaxLoss


def _two_class_loss(kind: str, margin: float, scale: float) -> MarginSoftmaxLoss:
    loss = MarginSoftmaxLoss(kind, margin=margin, scale=scale, embedding_dim=2)
    loss.fit_classes(np.array([7, 3, 7]))  # global labels 3 and 7 -> classes 0 and 1
    with torch.no_grad():
        loss.loss_fn.W.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))  # class 0 along x, class 1 along y
    return loss


def _cross_entropy(logits: list[float], target: int) -> float:
    return -logits[target] + math.log(sum(math.exp(v) for v in logits))


def test_cosface_by_hand():
    s, m = 4.0, 0.35
    loss = _two_class_loss("cosface", m, s)
    angle = math.radians(30)
    embeddings = torch.tensor([[math.cos(angle), math.sin(angle)], [0.0, 2.0]])  # unnormalised: cosine ignores length
    labels = torch.tensor([3, 7])
    # sample 0: cos to class 0 (its own) = cos 30, to class 1 = sin 30; sample 1: exactly on class 1
    first = _cross_entropy([s * (math.cos(angle) - m), s * math.sin(angle)], 0)
    second = _cross_entropy([0.0, s * (1.0 - m)], 1)
    assert loss(embeddings, labels).item() == pytest.approx((first + second) / 2, rel=1e-5)


def test_arcface_by_hand():
    s, m = 4.0, 0.5
    loss = _two_class_loss("arcface", m, s)
    angle = math.radians(30)
    embeddings = torch.tensor([[math.cos(angle), math.sin(angle)]])
    expected = _cross_entropy([s * math.cos(angle + m), s * math.sin(angle)], 0)
    assert loss(embeddings, torch.tensor([3])).item() == pytest.approx(expected, rel=1e-5)


def test_score_is_cosine_on_zero_one():
    loss = _two_class_loss("cosface", 0.35, 30.0)
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[2.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    assert loss.score(a, b).tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_unfitted_unknown_labels_and_bad_settings_are_refused():
    loss = MarginSoftmaxLoss(embedding_dim=2)
    with pytest.raises(RuntimeError, match="fit_classes"):
        loss(torch.ones(2, 2), torch.tensor([0, 1]))
    loss.fit_classes(np.array([0, 2]))
    with pytest.raises(ValueError, match="outside the identities"):
        loss(torch.ones(2, 2), torch.tensor([0, 1]))
    with pytest.raises(ConfigError, match="embedding_dim=2"):
        loss(torch.ones(2, 3), torch.tensor([0, 2]))
    with pytest.raises(ConfigError, match="at least 2 training identities"):
        loss.fit_classes(np.array([5, 5]))
    with pytest.raises(ConfigError, match=r"loss\.kind"):
        MarginSoftmaxLoss("sphereface")
    with pytest.raises(ConfigError, match=r"loss\.margin"):
        MarginSoftmaxLoss(margin=0)


def test_a_fresh_loss_loads_a_trained_ones_classes():
    trained = _two_class_loss("cosface", 0.35, 30.0)
    fresh = MarginSoftmaxLoss("cosface", embedding_dim=2)
    fresh.load_state_dict(trained.state_dict())
    assert fresh.num_classes == 2 and torch.equal(fresh.class_index, trained.class_index)
    embeddings, labels = torch.randn(4, 2), torch.tensor([3, 7, 7, 3])
    assert fresh(embeddings, labels).item() == pytest.approx(trained(embeddings, labels).item())
