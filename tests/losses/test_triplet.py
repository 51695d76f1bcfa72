"""TripletLoss (PML mining + TripletMarginLoss, mean over mined triplets) against hand-worked values.

loss(a, p, n) = relu(d(a, p) - d(a, n) + margin); margin = 0.2 throughout.
"""

import pytest
import torch

from facecompare.losses import TripletLoss

MINING = ["all", "semi_hard", "batch_hard"]

# Three points: anchor (0, 0) and positive (0.5, 0) share label 0; the negative sits on their
# perpendicular bisector x = 0.25, so both label-0 points see it at the same distance and the two
# triplets (0, 1, 2) and (1, 0, 2) are alike; d(a, p) = 0.5.
LABELS3 = torch.tensor([0, 0, 1])
EASY_N = [0.25, 1.2]  # d(a, n) = sqrt(0.0625 + 1.44) ~ 1.23 > 0.5 + 0.2: loss 0
SEMI_HARD_N = [0.25, 0.6]  # d(a, n) = sqrt(0.0625 + 0.36) = 0.65, in (0.5, 0.7): 0.5 - 0.65 + 0.2 = 0.05
HARD_N = [0.25, 0.0]  # d(a, n) = 0.25 < d(a, p): 0.5 - 0.25 + 0.2 = 0.45


def three_points(negative: list[float]) -> torch.Tensor:
    return torch.tensor([[0.0, 0.0], [0.5, 0.0], negative], requires_grad=True)


@pytest.mark.parametrize(
    ("negative", "mining", "expected"),
    [
        (EASY_N, "all", 0.0),
        (SEMI_HARD_N, "all", 0.05),
        (HARD_N, "all", 0.45),
        # semi_hard keeps only the semi-hard triplet; easy and hard ones leave nothing -> 0
        (EASY_N, "semi_hard", 0.0),
        (SEMI_HARD_N, "semi_hard", 0.05),
        (HARD_N, "semi_hard", 0.0),
        # one positive and one negative per anchor: batch_hard picks the same triplets as all
        (EASY_N, "batch_hard", 0.0),
        (SEMI_HARD_N, "batch_hard", 0.05),
        (HARD_N, "batch_hard", 0.45),
    ],
)
def test_easy_semi_hard_and_hard_triplets(negative: list[float], mining: str, expected: float) -> None:
    loss = TripletLoss(margin=0.2, mining=mining)(three_points(negative), LABELS3)
    assert loss.item() == pytest.approx(expected, abs=1e-6)


# Four points on the x axis: 0 and 0.5 are label 0, 0.6 and 1.5 label 1.
# d01 = 0.5, d02 = 0.6, d03 = 1.5, d12 = 0.1, d13 = 1.0, d23 = 0.9
# triplet (a, p, n): d_ap - d_an + 0.2
#   (0, 1, 2): 0.5 - 0.6 + 0.2 = 0.1   semi-hard
#   (0, 1, 3): 0.5 - 1.5 + 0.2 < 0     easy -> 0
#   (1, 0, 2): 0.5 - 0.1 + 0.2 = 0.6   hard
#   (1, 0, 3): 0.5 - 1.0 + 0.2 < 0     easy -> 0
#   (2, 3, 0): 0.9 - 0.6 + 0.2 = 0.5   hard
#   (2, 3, 1): 0.9 - 0.1 + 0.2 = 1.0   hard
#   (3, 2, 0): 0.9 - 1.5 + 0.2 < 0     easy -> 0
#   (3, 2, 1): 0.9 - 1.0 + 0.2 = 0.1   semi-hard
LABELS4 = torch.tensor([0, 0, 1, 1])
ALL4 = {(0, 1, 2), (0, 1, 3), (1, 0, 2), (1, 0, 3), (2, 3, 0), (2, 3, 1), (3, 2, 0), (3, 2, 1)}


def four_points() -> torch.Tensor:
    return torch.tensor([[0.0, 0.0], [0.5, 0.0], [0.6, 0.0], [1.5, 0.0]], requires_grad=True)


@pytest.mark.parametrize(
    ("mining", "selected", "expected"),
    [
        # every valid triplet, easy ones included in the mean: (0.1 + 0.6 + 0.5 + 1.0 + 0.1) / 8
        ("all", ALL4, 2.3 / 8),
        # only d_ap < d_an < d_ap + margin: (0.1 + 0.1) / 2
        ("semi_hard", {(0, 1, 2), (3, 2, 1)}, 0.1),
        # per anchor: farthest positive (only one here) and closest negative
        #   anchor 0: n = 2 (0.6 < 1.5); anchor 1: n = 2 (0.1 < 1.0)
        #   anchor 2: n = 1 (0.1 < 0.6); anchor 3: n = 1 (1.0 < 1.5)
        # (0.1 + 0.6 + 1.0 + 0.1) / 4
        ("batch_hard", {(0, 1, 2), (1, 0, 2), (2, 3, 1), (3, 2, 1)}, 1.8 / 4),
    ],
)
def test_mining_selects_by_hand(mining: str, selected: set, expected: float) -> None:
    criterion = TripletLoss(margin=0.2, mining=mining)
    embeddings = four_points()
    a, p, n = criterion.mine(embeddings, LABELS4)
    mined = set(zip(a.tolist(), p.tolist(), n.tolist(), strict=True))
    assert mined == selected
    assert len(a) == len(selected)  # no duplicates
    assert criterion(embeddings, LABELS4).item() == pytest.approx(expected, abs=1e-6)


def test_batch_hard_takes_the_farthest_positive() -> None:
    # Label 0 at x = 0, 0.3, 1.0; label 1 at x = 3. Anchor 0's hardest positive is 2 (1.0 > 0.3),
    # anchor 1's is 2 (0.7 > 0.3), anchor 2's is 0 (1.0 > 0.7); anchor 3 has no positive.
    embeddings = torch.tensor([[0.0, 0.0], [0.3, 0.0], [1.0, 0.0], [3.0, 0.0]])
    a, p, n = TripletLoss(mining="batch_hard").mine(embeddings, torch.tensor([0, 0, 0, 1]))
    assert set(zip(a.tolist(), p.tolist(), n.tolist(), strict=True)) == {(0, 2, 3), (1, 2, 3), (2, 0, 3)}


def test_gradient_pulls_anchor_and_positive_together() -> None:
    # Hard three-point case, L = mean of (d(0,1) - d(0,2) + m) and (d(1,0) - d(1,2) + m).
    # dL/dx0 = ((x0 - x1)/d01 - (x0 - x2)/d02 + (x0 - x1)/d01) / 2 = ((-1,0) + (1,0) + (-1,0)) / 2
    # dL/dx2 = (-(x2 - x0)/d02 - (x2 - x1)/d12) / 2 = (-(1,0) - (-1,0)) / 2 = 0
    embeddings = three_points(HARD_N)
    TripletLoss(margin=0.2, mining="all")(embeddings, LABELS3).backward()
    expected = torch.tensor([[-0.5, 0.0], [0.5, 0.0], [0.0, 0.0]])
    assert torch.allclose(embeddings.grad, expected, atol=1e-6)


@pytest.mark.parametrize("mining", MINING)
@pytest.mark.parametrize("labels", [[0, 0, 0], [0, 1, 2]], ids=["one-identity", "all-different"])
def test_no_triplet_gives_zero_loss_that_backpropagates(mining: str, labels: list[int]) -> None:
    embeddings = three_points(HARD_N)
    loss = TripletLoss(mining=mining)(embeddings, torch.tensor(labels))
    assert loss.item() == 0.0
    assert loss.grad_fn is not None
    loss.backward()
    assert torch.equal(embeddings.grad, torch.zeros_like(embeddings))


def test_semi_hard_with_only_easy_triplets_still_backpropagates() -> None:
    embeddings = three_points(EASY_N)
    loss = TripletLoss(mining="semi_hard")(embeddings, LABELS3)
    loss.backward()
    assert loss.item() == 0.0 and embeddings.grad is not None


@pytest.mark.parametrize("mining", MINING)
def test_cosine_distance(mining: str) -> None:
    # 0 = (1, 0) and 1 = (0, 1) share a label, 2 = (3, 4) does not; similarities are scale-free:
    # cos01 = 0, cos02 = 0.6, cos12 = 0.8, i.e. d = 1 - cos: d01 = 1, d02 = 0.4, d12 = 0.2.
    # (0, 1, 2): 1 - 0.4 + 0.2 = 0.8; (1, 0, 2): 1 - 0.2 + 0.2 = 1.0; both hard -> semi_hard mines none.
    embeddings = torch.tensor([[1.0, 0.0], [0.0, 1.0], [3.0, 4.0]], requires_grad=True)
    loss = TripletLoss(margin=0.2, mining=mining, distance="cosine")(embeddings, LABELS3)
    assert loss.item() == pytest.approx(0.0 if mining == "semi_hard" else 0.9, abs=1e-6)


def test_score_matches_the_training_distance() -> None:
    a = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[0.3, 0.4], [3.0, 4.0]])
    # euclidean 1 / (1 + d): d = 0.5 -> 2/3, d = sqrt(4 + 16) -> 1 / (1 + sqrt(20))
    expected = torch.tensor([1 / 1.5, 1 / (1 + 20**0.5)])
    assert torch.allclose(TripletLoss().score(a, b), expected)
    # cosine (1 + cos) / 2 on the second pair: cos = 0.6 -> 0.8
    assert TripletLoss(distance="cosine").score(a[1:], b[1:]).item() == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"margin": -1.0}, "loss.margin must be > 0, got -1.0"),
        ({"margin": 0.0}, "loss.margin must be > 0, got 0.0"),
        ({"margin": -0.1, "soft": True}, "loss.margin must be >= 0, got -0.1"),
        ({"margin": float("nan"), "soft": True}, "loss.margin must be >= 0, got nan"),
        (
            {"mining": "hardest"},
            "loss.mining must be one of ['all', 'semi_hard', 'batch_hard'], got 'hardest'",
        ),
        ({"distance": "l1"}, "loss.distance must be one of ['euclidean', 'cosine'], got 'l1'"),
    ],
)
def test_constructor_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        TripletLoss(**kwargs)
    assert str(info.value) == message


def test_mis_shaped_labels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"labels of shape \(N,\)"):
        TripletLoss()(torch.zeros(4, 2), torch.zeros(3))


def test_batch_kind_and_no_state() -> None:
    # No parameters or buffers: checkpoints from any mining setting load into any other.
    assert TripletLoss.batch_kind == "pk"
    assert TripletLoss(mining="semi_hard").state_dict() == {}


@pytest.mark.parametrize(("margin", "negative"), [(0.2, EASY_N), (0.0, HARD_N), (0.2, HARD_N)])
def test_soft_margin_is_softplus_of_the_hinge_argument(margin: float, negative: list[float]) -> None:
    # batch_hard on three points: the two triplets (0, 1, 2) and (1, 0, 2), alike (see three_points)
    d_an = float(torch.tensor(negative).norm())
    expected = torch.nn.functional.softplus(torch.tensor(0.5 - d_an + margin)).item()
    loss = TripletLoss(margin=margin, mining="batch_hard", soft=True)(three_points(negative), LABELS3)
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    loss.backward()  # an easy triplet still pulls (the hinge would give zero gradient)


def test_bf16_embeddings_are_compared_in_float32() -> None:
    points = three_points(SEMI_HARD_N).detach()
    loss = TripletLoss(margin=0.2, mining="all")
    assert loss(points.bfloat16(), LABELS3).dtype == torch.float32
    assert loss(points.bfloat16(), LABELS3).item() == pytest.approx(loss(points, LABELS3).item(), abs=2e-3)
