"""StartAnchor (model.finetune.keep_start): a frozen copy of the starting network and the term that holds the
trained network's embeddings near its own, against values computed by hand."""

import pytest
import torch
import torch.nn.functional as F

from facecompare.models import CompactCNN
from facecompare.training.start_anchor import StartAnchor


def images(n=6, size=32, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def net():
    torch.manual_seed(0)
    return CompactCNN(embedding_dim=8, flip_average=True).eval()


def test_nothing_to_hold_while_the_network_is_its_start():
    model, x = net(), images()
    anchor = StartAnchor(model, weight=3.0)
    model.flip_average = False  # as in training
    assert anchor(model(x), x).item() == pytest.approx(0.0, abs=1e-6)


def test_the_term_is_the_weighted_mean_cosine_distance_to_the_start():
    model, x = net(), images()
    anchor = StartAnchor(model, weight=2.5)
    model.flip_average = False  # the copy embeds each face once, as the network does in training
    start = model(x).detach()
    with torch.no_grad():
        model.projection.weight.mul_(-1)  # every embedding flips: cosine -1 to its start, 1 - cos = 2
        model.projection.bias.mul_(-1)
    assert anchor(model(x), x).item() == pytest.approx(2.5 * 2.0, rel=1e-6)
    with torch.no_grad():
        model.projection.bias.mul_(-1)
        model.projection.weight.mul_(-1).add_(0.3 * torch.randn_like(model.projection.weight))
    moved = model(x).detach()
    by_hand = 2.5 * sum(1 - float(F.cosine_similarity(moved[i], start[i], dim=0)) for i in range(len(x))) / len(x)
    assert anchor(moved, x).item() == pytest.approx(by_hand, rel=1e-5)
    assert anchor.start.flip_average is False and not any(p.requires_grad for p in anchor.start.parameters())


def test_the_copy_runs_each_module_in_the_networks_mode_and_dropout_off():
    torch.manual_seed(0)
    model = CompactCNN(embedding_dim=8, dropout=0.5)
    anchor = StartAnchor(model, weight=1.0)
    model.train()
    model.dropout.eval()  # the network's dropout off only so that its embedding is repeatable here
    x = images()
    # batch norms on the batch's own statistics in both: nothing to hold before the weights move
    assert anchor(model(x), x).item() == pytest.approx(0.0, abs=1e-6)
    assert anchor.start.trunk[0][1].training and not anchor.start.dropout.training
    model.trunk[0].eval()  # a frozen block: its batch norm on its pretrained statistics, in the copy too
    assert anchor(model(x), x).item() == pytest.approx(0.0, abs=1e-6)
    assert not anchor.start.trunk[0][1].training and anchor.start.trunk[1][1].training
