import pytest
import torch
from torch import nn

from facecompare.evaluation.embedding import embed_images, pair_scores
from facecompare.losses import ContrastiveLoss
from facecompare.models import CompactCNN


class Counting(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net, self.images = net, 0

    def forward(self, x):
        self.images += len(x)
        return self.net(x)


@pytest.fixture
def images():
    return torch.randint(0, 255, (10, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_each_image_is_embedded_once_and_normalised(images):
    net = Counting(CompactCNN(widths=(8, 16), embedding_dim=12))
    emb = embed_images(net, images, batch_size=4)
    assert net.images == 10 and emb.shape == (10, 12)
    assert torch.allclose(emb.norm(dim=1), torch.ones(10), atol=1e-5)


def test_flip_modes(images):
    net = Counting(CompactCNN(widths=(8, 16), embedding_dim=12))
    assert embed_images(net, images, flip="sum").shape == (10, 12) and net.images == 20
    assert embed_images(net, images, flip="concat").shape == (10, 24)
    with pytest.raises(ValueError, match="flip must be one of"):
        embed_images(net, images, flip="rotate")


def test_pair_scores_match_direct_scoring(images):
    net = CompactCNN(widths=(8, 16), embedding_dim=12).eval()
    emb = embed_images(net, images)
    loss = ContrastiveLoss(margin=1.0)
    pairs = torch.tensor([[0, 1, 1], [2, 9, 0], [3, 3, 1]])
    scores = pair_scores(loss.score, emb, pairs, batch_size=2)
    direct = loss.score(emb[[0, 2, 3]], emb[[1, 9, 3]])
    assert torch.allclose(scores, direct) and scores[2] == pytest.approx(1.0)


def test_score_set_embeds_only_used_images_once_and_summary_counts(images):
    import numpy as np

    from facecompare.evaluation.protocol import score_set, summarise_scores

    net = Counting(CompactCNN(widths=(8, 16), embedding_dim=12))
    pairs = np.array([[0, 1, 1], [1, 2, 0], [0, 2, 0], [5, 6, 1]])
    scores, counts = score_set(net, ContrastiveLoss().score, images, pairs)
    assert counts == {"pairs": 4, "unique_images": 5, "embeddings": 5} and net.images == 5
    out = summarise_scores(scores, pairs[:, 2], threshold=0.5, bootstrap=50)
    assert out["genuine_pairs"] == 2 and out["impostor_pairs"] == 2 and "tar@far1e-3" in out
    assert 0 <= out["acc_ci95"][0] <= out["acc_ci95"][1] <= 1


def test_empty_or_one_class_set_is_a_clear_error():
    import numpy as np

    from facecompare.errors import FacecompareError
    from facecompare.evaluation.protocol import summarise_scores

    with pytest.raises(FacecompareError, match="needs genuine and impostor pairs, got 0 and 0"):
        summarise_scores(np.zeros(0), np.zeros(0))
    with pytest.raises(FacecompareError, match="got 2 and 0"):
        summarise_scores(np.array([0.1, 0.2]), np.array([1, 1]))
