"""BinaryPairLoss and PairHead: a learned pair head trained with BCE, scored with a sigmoid."""

import math

import pytest
import torch
import torch.nn.functional as F

from facecompare.losses import BinaryPairLoss, PairHead


def random_pairs(n: int = 8, dim: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(n, dim, generator=generator), torch.randn(n, dim, generator=generator)


def test_shapes_and_score_range() -> None:
    torch.manual_seed(0)
    criterion = BinaryPairLoss(embedding_dim=4, hidden_dim=8)
    a, b = random_pairs()
    assert criterion(a, b, torch.ones(8)).shape == ()
    scores = criterion.score(a, b)
    assert scores.shape == (8,)
    assert ((scores >= 0) & (scores <= 1)).all()


def test_score_is_symmetric() -> None:
    torch.manual_seed(0)
    criterion = BinaryPairLoss(embedding_dim=4)
    a, b = random_pairs()
    # |a - b| and a * b are bitwise symmetric, so equality is exact, not approximate.
    assert torch.equal(criterion.score(a, b), criterion.score(b, a))


def test_zero_weights_give_the_bias_as_logit() -> None:
    criterion = BinaryPairLoss(embedding_dim=2, hidden_dim=3)
    with torch.no_grad():
        for p in criterion.parameters():
            p.zero_()
        criterion.head.output.bias.fill_(0.5)
    a, b = random_pairs(2, 2)
    # logit = 0.5 for every pair; BCE(z, y=1) = softplus(-z), BCE(z, y=0) = softplus(z)
    # softplus(-0.5) = ln(1 + e^-0.5) ~ 0.4741, softplus(0.5) = ln(1 + e^0.5) ~ 0.9741
    expected = (math.log(1 + math.exp(-0.5)) + math.log(1 + math.exp(0.5))) / 2  # ~ 0.7241
    assert criterion(a, b, torch.tensor([1, 0])).item() == pytest.approx(expected)
    assert criterion.score(a, b).tolist() == pytest.approx([1 / (1 + math.exp(-0.5))] * 2)  # ~ 0.6225


def test_hand_set_head_logits() -> None:
    # D = 1, one hidden unit h = relu(1 - |a - b|), logit = 4 h - 2.
    head = PairHead(embedding_dim=1, hidden_dim=1)
    with torch.no_grad():
        head.hidden.weight.copy_(torch.tensor([[-1.0, 0.0]]))  # features are (|a - b|, a * b)
        head.hidden.bias.fill_(1.0)
        head.output.weight.fill_(4.0)
        head.output.bias.fill_(-2.0)
    a = torch.tensor([[0.0], [0.0], [0.0]])
    b = torch.tensor([[0.0], [0.5], [-3.0]])
    # |a - b| = 0, 0.5, 3 -> h = 1, 0.5, 0 -> logit = 2, 0, -2
    assert head(a, b).tolist() == pytest.approx([2.0, 0.0, -2.0])


def test_loss_is_bce_on_the_heads_logits() -> None:
    torch.manual_seed(0)
    criterion = BinaryPairLoss(embedding_dim=4)
    a, b = random_pairs()
    same = torch.tensor([1, 0, 1, 1, 0, 0, 1, 0], dtype=torch.bool)
    probabilities = torch.sigmoid(criterion.head(a, b))
    expected = F.binary_cross_entropy(probabilities, same.float())
    assert criterion(a, b, same).item() == pytest.approx(expected.item(), rel=1e-5)


def test_a_few_steps_separate_a_toy_problem() -> None:
    # Same pairs are near-duplicates, different pairs independent draws: separable by |a - b|.
    torch.manual_seed(0)
    a = torch.randn(32, 4)
    b = torch.cat([a[:16] + 0.05 * torch.randn(16, 4), torch.randn(16, 4)])
    same = torch.cat([torch.ones(16), torch.zeros(16)])
    criterion = BinaryPairLoss(embedding_dim=4, hidden_dim=16)
    optimizer = torch.optim.Adam(criterion.parameters(), lr=0.05)
    first = criterion(a, b, same).item()
    for _ in range(30):
        optimizer.zero_grad()
        loss = criterion(a, b, same)
        loss.backward()
        optimizer.step()
    assert criterion(a, b, same).item() < first / 2
    scores = criterion.score(a, b)
    assert scores[:16].min() > scores[16:].max()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"embedding_dim": 0}, "loss.embedding_dim must be an integer > 0, got 0"),
        ({"embedding_dim": 2.5}, "loss.embedding_dim must be an integer > 0, got 2.5"),
        ({"embedding_dim": 4, "hidden_dim": -1}, "loss.hidden_dim must be an integer > 0, got -1"),
    ],
)
def test_constructor_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        BinaryPairLoss(**kwargs)
    assert str(info.value) == message


def test_wrong_embedding_dim_names_the_setting() -> None:
    with pytest.raises(ValueError, match=r"loss.embedding_dim must equal the backbone's embedding_dim"):
        BinaryPairLoss(embedding_dim=4).score(torch.zeros(2, 3), torch.zeros(2, 3))


def test_batch_kind_and_trainable_head() -> None:
    criterion = BinaryPairLoss(embedding_dim=4, hidden_dim=8)
    assert BinaryPairLoss.batch_kind == "pairs"
    # (8 x 8 + 8) + (1 x 8 + 1): the optimizer must see these.
    assert sum(p.numel() for p in criterion.parameters()) == 81
