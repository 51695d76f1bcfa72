"""ContrastiveLoss and the shared distance/score maths, against values worked out by hand.

Points are picked from 3-4-5 triangles so that distances are exact: |(0,0) - (0.3,0.4)| = 0.5,
|(0,0) - (1.8,2.4)| = 3.0, cos((1,0), (3,4)) = 0.6.
"""

import pytest
import torch

from facecompare.losses import ContrastiveLoss
from facecompare.losses.distances import distance_to_score, pair_distance

ORIGIN = [0.0, 0.0]
NEAR = [0.3, 0.4]  # 0.5 from ORIGIN
FAR = [1.8, 2.4]  # 3.0 from ORIGIN


def pairs(*rows: tuple[list[float], list[float]]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([r[0] for r in rows]), torch.tensor([r[1] for r in rows])


@pytest.mark.parametrize(
    ("b", "same", "expected"),
    [
        # margin = 2 throughout.
        (NEAR, 1, 0.25),  # same, inside margin: d^2 = 0.5^2
        (FAR, 1, 9.0),  # same, beyond margin: d^2 = 3^2, no cap on the pull
        (NEAR, 0, 2.25),  # different, inside margin: (2 - 0.5)^2
        (FAR, 0, 0.0),  # different, beyond margin: relu(2 - 3)^2 = 0 exactly
    ],
)
def test_single_pair_euclidean(b: list[float], same: int, expected: float) -> None:
    a, b = pairs((ORIGIN, b))
    loss = ContrastiveLoss(margin=2.0)(a, b, torch.tensor([same]))
    assert loss.item() == pytest.approx(expected)
    if expected == 0.0:
        assert loss.item() == 0.0


@pytest.mark.parametrize(
    ("b", "same", "expected"),
    [
        # margin 2, pos_margin 1
        (NEAR, 1, 0.0),  # same, within pos_margin: relu(0.5 - 1)^2 = 0 exactly, no further pull
        (FAR, 1, 4.0),  # same, beyond it: (3 - 1)^2
        (NEAR, 0, 2.25),  # different pairs as without pos_margin: (2 - 0.5)^2
        (FAR, 0, 0.0),
    ],
)
def test_pos_margin_stops_pulling_close_same_pairs(b: list[float], same: int, expected: float) -> None:
    a, b = pairs((ORIGIN, b))
    b.requires_grad_(True)
    loss = ContrastiveLoss(margin=2.0, pos_margin=1.0)(a, b, torch.tensor([same]))
    assert loss.item() == pytest.approx(expected)
    loss.backward()
    if expected == 0.0:
        assert loss.item() == 0.0 and not b.grad.any()


def test_batch_is_the_mean_over_pairs_without_half_factor() -> None:
    a, b = pairs((ORIGIN, NEAR), (ORIGIN, FAR), (ORIGIN, NEAR), (ORIGIN, FAR))
    same = torch.tensor([1, 1, 0, 0])
    # (0.25 + 9 + 2.25 + 0) / 4 = 11.5 / 4
    assert ContrastiveLoss(margin=2.0)(a, b, same).item() == pytest.approx(2.875)


@pytest.mark.parametrize("dtype", [torch.bool, torch.int64, torch.float32])
def test_same_accepts_bool_int_and_float(dtype: torch.dtype) -> None:
    a, b = pairs((ORIGIN, NEAR), (ORIGIN, NEAR))
    same = torch.tensor([1, 0]).to(dtype)
    # (0.5^2 + (1 - 0.5)^2) / 2 with the default margin 1
    assert ContrastiveLoss()(a, b, same).item() == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("b", "same", "expected"),
    [
        # margin = 0.5; cosine distance d = 1 - cos, scale of the vectors does not matter.
        ([0.0, 1.0], 1, 1.0),  # cos = 0 -> d = 1 -> d^2 = 1
        ([0.0, 1.0], 0, 0.0),  # d = 1 beyond margin 0.5 -> 0
        ([3.0, 4.0], 1, 0.16),  # cos = 0.6 -> d = 0.4 -> 0.4^2
        ([3.0, 4.0], 0, 0.01),  # (0.5 - 0.4)^2
    ],
)
def test_single_pair_cosine(b: list[float], same: int, expected: float) -> None:
    a, b = pairs(([1.0, 0.0], b))
    loss = ContrastiveLoss(margin=0.5, distance="cosine")(a, b, torch.tensor([same]))
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_gradients_pull_same_and_push_different() -> None:
    a = torch.tensor([ORIGIN], requires_grad=True)
    b = torch.tensor([NEAR], requires_grad=True)
    # Same pair: L = |b - a|^2, dL/db = 2 (b - a) = (0.6, 0.8): descent moves b towards a.
    ContrastiveLoss()(a, b, torch.tensor([1])).backward()
    assert torch.allclose(b.grad, torch.tensor([[0.6, 0.8]]))
    assert torch.allclose(a.grad, torch.tensor([[-0.6, -0.8]]))
    # Different pair, margin 1: L = (1 - d)^2, dL/db = -2 (1 - d) (b - a) / d = -2 * 0.5 * (0.6, 0.8).
    a.grad = b.grad = None
    ContrastiveLoss()(a, b, torch.tensor([0])).backward()
    assert torch.allclose(b.grad, torch.tensor([[-0.6, -0.8]]))
    assert torch.allclose(a.grad, torch.tensor([[0.6, 0.8]]))


def test_identical_embeddings_give_finite_gradients() -> None:
    # sqrt has an infinite slope at 0; a duplicated image must not turn the gradient into NaN.
    a = torch.zeros(2, 3, requires_grad=True)
    ContrastiveLoss()(a, torch.zeros(2, 3), torch.tensor([1, 0])).backward()
    assert torch.isfinite(a.grad).all()


def test_euclidean_score_by_hand() -> None:
    a, b = pairs((ORIGIN, ORIGIN), (ORIGIN, NEAR), (ORIGIN, FAR))
    # 1 / (1 + d) for d = 0, 0.5, 3
    expected = torch.tensor([1.0, 1 / 1.5, 0.25])
    assert torch.allclose(ContrastiveLoss().score(a, b), expected)


def test_cosine_score_by_hand() -> None:
    a = torch.tensor([[1.0, 0.0]] * 4)
    b = torch.tensor([[2.0, 0.0], [3.0, 4.0], [0.0, 1.0], [-1.0, 0.0]])
    # (1 + cos) / 2 for cos = 1, 0.6, 0, -1
    expected = torch.tensor([1.0, 0.8, 0.5, 0.0])
    assert torch.allclose(ContrastiveLoss(distance="cosine").score(a, b), expected)


@pytest.mark.parametrize("kind", ["euclidean", "cosine"])
def test_score_is_in_unit_interval_and_decreasing_in_distance(kind: str) -> None:
    d = torch.linspace(0.0, 2.0, 21)
    scores = distance_to_score(d, kind)
    assert (scores >= 0).all() and (scores <= 1).all()
    assert (scores.diff() < 0).all()


def test_pair_distance_by_hand() -> None:
    a, b = pairs((ORIGIN, NEAR), (ORIGIN, FAR))
    assert torch.allclose(pair_distance(a, b, "euclidean"), torch.tensor([0.5, 3.0]))
    # both b rows point the same way (cos = 0.6 with (1, 0))
    assert torch.allclose(pair_distance(torch.tensor([[1.0, 0.0]] * 2), b, "cosine"), torch.tensor([0.4, 0.4]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"margin": -1.0}, "loss.margin must be > 0, got -1.0"),
        ({"margin": 0}, "loss.margin must be > 0, got 0"),
        ({"margin": float("nan")}, "loss.margin must be > 0, got nan"),
        ({"pos_margin": -0.1}, "loss.pos_margin must be in [0, margin=1.0), got -0.1"),
        ({"pos_margin": 1.0}, "loss.pos_margin must be in [0, margin=1.0), got 1.0"),
        ({"pos_margin": float("nan")}, "loss.pos_margin must be in [0, margin=1.0), got nan"),
        ({"distance": "manhattan"}, "loss.distance must be one of ['euclidean', 'cosine'], got 'manhattan'"),
    ],
)
def test_constructor_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        ContrastiveLoss(**kwargs)
    assert str(info.value) == message


def test_mis_shaped_batches_are_refused() -> None:
    with pytest.raises(ValueError, match=r"a and b of the same shape"):
        ContrastiveLoss()(torch.zeros(2, 3), torch.zeros(2, 4), torch.ones(2))
    with pytest.raises(ValueError, match=r"same of shape \(2,\)"):
        ContrastiveLoss()(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(2, 1))


def test_batch_kind() -> None:
    assert ContrastiveLoss.batch_kind == "pairs"
