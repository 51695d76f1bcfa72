"""Run by tests/losses/test_partial_fc.py, once per process: `python partial_fc_ranks.py RANK OUT`, Partial FC
in 2 gloo processes over 10,001 classes, each with half the batch; writes this process's share of the centres,
its loss, and whether a checkpoint of its centres holds every process's and gives each its own back, to
OUT.RANK (JSON)."""

import json
import os
import sys

import torch
import torch.distributed as dist

from facecompare.losses.partial_fc import PartialFCLoss
from facecompare.training.centre_shards import gather_centres, share_centres

CLASSES, DIM, BATCH = 10001, 16, 8


def inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(CLASSES, DIM, generator=g)
    return weight, torch.randn(BATCH, DIM, generator=g), torch.randint(0, CLASSES, (BATCH,), generator=g)


def checkpoint_round_trip(loss: PartialFCLoss, weight: torch.Tensor) -> tuple[bool, bool]:
    """A checkpoint as Lightning dumps it in this process (the centres' share, AdamW's moments of that share, and
    of another parameter that happens to have as many rows), gathered as SiameseModule saves it: whether it
    holds every centre and moment; then shared out again as a resumed process does: whether this process gets
    its own share of the moments back and the other parameter's state is left alone."""
    share = loss.weight.detach()
    other = torch.full((len(share), 3), 7.0)
    states = {"loss.weight": share, "loss.rows": loss.rows.clone(), "loss.class_index": loss.class_index}
    checkpoint = {
        "state_dict": dict(states),
        "optimizer_states": [{
            "param_groups": [{"params": [0]}, {"name": "centres", "params": [1]}],
            "state": {0: {"exp_avg": other}, 1: {"exp_avg": 2 * share, "step": torch.tensor(3.0)}},
        }],
    }  # fmt: skip
    gather_centres(checkpoint, loss)
    saved = checkpoint["state_dict"]
    moments = checkpoint["optimizer_states"][0]["state"]
    whole = (
        torch.equal(saved["loss.weight"], weight)
        and saved["loss.rows"].tolist() == [0, CLASSES]
        and torch.equal(moments[1]["exp_avg"], 2 * weight)
        and torch.equal(moments[0]["exp_avg"], other)
    )
    share_centres(checkpoint)
    resumed = torch.equal(moments[1]["exp_avg"], 2 * share) and torch.equal(moments[0]["exp_avg"], other)
    return whole, resumed and moments[1]["step"].item() == 3.0


def run(rank: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=os.environ["PFC_PORT"])
    dist.init_process_group("gloo", rank=rank, world_size=2)
    weight, embeddings, labels = inputs()
    loss = PartialFCLoss(margins=(1.0, 0.0, 0.35), scale=30.0, embedding_dim=DIM)
    loss.fit_classes(torch.arange(CLASSES))
    with torch.no_grad():
        loss.weight.copy_(weight[loss.start : loss.start + len(loss.weight)])
    half = slice(rank * BATCH // 2, (rank + 1) * BATCH // 2)
    value = loss(embeddings[half], labels[half])
    whole, resumed = checkpoint_round_trip(loss, weight)
    with open(f"{out}.{rank}", "w") as f:
        json.dump({"rows": len(loss.weight), "start": loss.start, "loss": value.item(), "checkpoint_whole": whole,
                   "resumed_share": resumed}, f)  # fmt: skip
    dist.destroy_process_group()


if __name__ == "__main__":
    run(int(sys.argv[1]), sys.argv[2])
