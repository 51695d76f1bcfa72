"""Partial FC: on one process with every centre, today's CosFace and ArcFace; split over two processes, the
same loss with half the centres each."""

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from pytorch_metric_learning import losses

from facecompare.errors import ConfigError
from facecompare.losses import partial_fc
from facecompare.losses.partial_fc import PartialFCLoss, shard


def _pair(margins, reference):
    # in float64, so that the comparison is of the maths, not of float32's rounding (losses near 30)
    torch.manual_seed(0)
    ours = PartialFCLoss(margins=margins, scale=30.0, embedding_dim=8)
    ours.fit_classes(torch.arange(5))
    ours.double()
    reference.double()
    with torch.no_grad():
        reference.W.copy_(ours.weight.t())
    embeddings = torch.randn(6, 8, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    a, b = embeddings.clone().requires_grad_(), embeddings.clone().requires_grad_()
    mine, theirs = ours(a, labels), reference(b, labels)
    mine.backward()
    theirs.backward()
    return (mine, theirs), (a.grad, b.grad), (ours.weight.grad, reference.W.grad.t())


@pytest.mark.parametrize(
    ("margins", "reference"),
    [
        ((1.0, 0.0, 0.35), lambda: losses.CosFaceLoss(5, 8, margin=0.35, scale=30.0)),
        ((1.0, 0.5, 0.0), lambda: losses.ArcFaceLoss(5, 8, margin=math.degrees(0.5), scale=30.0)),
    ],
    ids=["cosface", "arcface"],
)
def test_one_process_with_every_centre_is_the_plain_loss(margins, reference):
    (mine, theirs), (ga, gb), (gw, gr) = _pair(margins, reference())
    assert mine.item() == pytest.approx(theirs.item(), abs=1e-6)
    assert torch.allclose(ga, gb, atol=1e-6) and torch.allclose(gw, gr, atol=1e-6)


def test_a_sampled_step_keeps_the_batch_identities_and_touches_only_the_sampled_centres():
    torch.manual_seed(0)
    loss = PartialFCLoss(embedding_dim=8, sample_rate=0.1)
    loss.fit_classes(torch.arange(100))
    labels = torch.tensor([3, 97, 3, 50])
    value = loss(torch.randn(4, 8), labels)
    value.backward()
    touched = torch.nonzero(loss.weight.grad.abs().sum(1)).squeeze(1)
    assert len(touched) == 10 and {3, 50, 97} <= set(touched.tolist()) and torch.isfinite(value)


def test_shares_and_settings():
    assert [shard(10001, r, 2) for r in range(2)] == [(0, 5001), (5001, 10001)]
    assert [shard(5, r, 3) for r in range(3)] == [(0, 2), (2, 4), (4, 5)]
    with pytest.raises(ConfigError, match=r"loss.margins must be \[m1, m2, m3\]"):
        PartialFCLoss(margins=(1.0, 0.5))
    with pytest.raises(ConfigError, match=r"loss\.sample_rate"):
        PartialFCLoss(sample_rate=0.0)


@pytest.mark.slow
def test_two_processes_hold_half_the_centres_each_and_give_the_one_process_loss(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from partial_fc_ranks import CLASSES, DIM, inputs

    weight, embeddings, labels = inputs()
    single = PartialFCLoss(margins=(1.0, 0.0, 0.35), scale=30.0, embedding_dim=DIM)
    single.fit_classes(torch.arange(CLASSES))
    with torch.no_grad():
        single.weight.copy_(weight)
    expected = single(embeddings, labels).item()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PFC_PORT": str(port), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    script = Path(__file__).parent / "partial_fc_ranks.py"
    procs = [
        subprocess.Popen([sys.executable, str(script), str(rank), str(tmp_path / "out")], env=env) for rank in (0, 1)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ranks = [json.loads((tmp_path / f"out.{r}").read_text()) for r in range(2)]
    assert [(r["start"], r["rows"]) for r in ranks] == [(0, 5001), (5001, 5000)]
    assert all(r["loss"] == pytest.approx(expected, abs=1e-5) for r in ranks)
    # a checkpoint of theirs holds every centre and every centre's optimizer moment, and each process resuming
    # it takes back its own share of the moments (partial_fc_ranks.py: the exact comparisons are made there)
    assert all(r["checkpoint_whole"] and r["resumed_share"] for r in ranks)


def test_a_checkpoint_restores_its_own_centres_and_never_another_processs(caplog, monkeypatch):
    torch.manual_seed(0)
    saved = PartialFCLoss(embedding_dim=4)
    saved.fit_classes(torch.tensor([2, 5, 7]))
    state = saved.state_dict()
    back = PartialFCLoss(embedding_dim=4)
    back.load_state_dict(state)
    assert torch.equal(back.weight, saved.weight) and back.num_classes == 3
    assert back(torch.randn(2, 4), torch.tensor([5, 7])).isfinite()
    # every centre saved (as checkpoints are), read by process 1 of 2: it takes rows 2..3, its share
    monkeypatch.setattr(partial_fc, "rank_world", lambda: (1, 2))
    second = PartialFCLoss(embedding_dim=4)
    second.load_state_dict(state)
    assert second.rows.tolist() == [2, 3] and torch.equal(second.weight, saved.weight[2:])
    assert "start afresh" not in caplog.text
    # rank 1's share alone saved, read by a process that holds rows 0..2: its own centres start afresh, said so
    monkeypatch.setattr(partial_fc, "rank_world", lambda: (0, 2))
    other = {**state, "weight": saved.weight[2:].detach(), "rows": torch.tensor([2, 3])}
    fresh = PartialFCLoss(embedding_dim=4)
    fresh.load_state_dict(other)
    assert fresh.rows.tolist() == [0, 2] and not torch.equal(fresh.weight, saved.weight[:2])
    assert "the checkpoint holds centres [2, 3], this process rows [0, 2]: they start afresh" in caplog.text
