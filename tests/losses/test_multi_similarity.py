"""MultiSimilarityLoss against hand-worked values.

Four unit vectors, labels [0, 0, 1, 1]: e0 = (1, 0), e1 = (1/2, sqrt(3)/2), e2 = (0, 1), e3 = (-1, 0).
Cosine similarities: S01 = 1/2, S02 = 0, S03 = -1, S12 = sqrt(3)/2, S13 = -1/2, S23 = 0.
Per anchor i: 1/alpha log(1 + sum_pos exp(-alpha (S - base))) + 1/beta log(1 + sum_neg exp(beta (S - base))),
then the mean over the 4 anchors; alpha = 2, beta = 10, base = 1/2 throughout.
"""

import math

import pytest
import torch

from facecompare.errors import ConfigError
from facecompare.losses import MultiSimilarityLoss

S3 = math.sqrt(3) / 2
LABELS = torch.tensor([0, 0, 1, 1])


def points() -> torch.Tensor:
    return torch.tensor([[1.0, 0.0], [0.5, S3], [0.0, 1.0], [-1.0, 0.0]], requires_grad=True)


def term(weight: float, exponents: list[float]) -> float:
    return math.log(1 + sum(math.exp(x) for x in exponents)) / weight


def test_without_mining_every_pair_counts() -> None:
    expected = (
        term(2, [0.0])
        + term(10, [-5.0, -15.0])  # anchor 0: positive 1, negatives 2, 3
        + term(2, [0.0])
        + term(10, [10 * (S3 - 0.5), -10.0])  # anchor 1: positive 0, negatives 2, 3
        + term(2, [1.0])
        + term(10, [-5.0, 10 * (S3 - 0.5)])  # anchor 2: positive 3, negatives 0, 1
        + term(2, [1.0])
        + term(10, [-15.0, -10.0])  # anchor 3: positive 2, negatives 0, 1
    ) / 4
    loss = MultiSimilarityLoss(alpha=2, beta=10, base=0.5, mining=False)(points(), LABELS)
    assert loss.item() == pytest.approx(expected, abs=1e-5)


def test_mining_keeps_only_pairs_within_epsilon_of_the_other_side() -> None:
    # epsilon 0.1. Anchor 0: no negative above min positive 1/2 - 0.1, no positive below max negative 0 + 0.1
    # -> 0. Anchor 1: negative 2 (0.87 + 0.1 > 0.5) and positive 0 (0.5 - 0.1 < 0.87). Anchor 2: negatives 0
    # and 1 (0 + 0.1 > 0), positive 3. Anchor 3: nothing (its negatives are all below its positive) -> 0.
    expected = (term(2, [0.0]) + term(10, [10 * (S3 - 0.5)]) + term(2, [1.0]) + term(10, [-5.0, 10 * (S3 - 0.5)])) / 4
    x = points()
    loss = MultiSimilarityLoss(alpha=2, beta=10, base=0.5, mining=True, epsilon=0.1)(x, LABELS)
    assert loss.item() == pytest.approx(expected, abs=1e-5)
    loss.backward()
    assert x.grad is not None and x.grad[0].abs().sum() > 0  # anchor 0 is still pulled, as 1's positive


def test_a_batch_of_one_identity_costs_zero_and_backpropagates() -> None:
    x = points()
    loss = MultiSimilarityLoss()(x, torch.zeros(4, dtype=torch.long))
    assert loss.item() == 0.0
    loss.backward()


def test_score_is_the_cosine_on_zero_one() -> None:
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])
    assert MultiSimilarityLoss().score(a, b).tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_bf16_embeddings_are_compared_in_float32() -> None:
    x = points()
    exact = MultiSimilarityLoss(mining=False)(x, LABELS)
    assert MultiSimilarityLoss(mining=False)(x.bfloat16(), LABELS).dtype == torch.float32
    assert MultiSimilarityLoss(mining=False)(x.bfloat16(), LABELS).item() == pytest.approx(exact.item(), rel=0.05)


@pytest.mark.parametrize("name", ["alpha", "beta", "epsilon"])
def test_non_positive_settings_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match=f"loss.{name}"):
        MultiSimilarityLoss(**{name: 0.0})


def test_mis_shaped_batches_are_refused() -> None:
    with pytest.raises(ValueError, match="MultiSimilarityLoss expects embeddings"):
        MultiSimilarityLoss()(torch.zeros(4, 2), torch.zeros(3, dtype=torch.long))
