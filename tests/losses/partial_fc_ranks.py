"""Run by tests/losses/test_partial_fc.py, once per process: `python partial_fc_ranks.py RANK OUT`, Partial FC
in 2 gloo processes over 10,001 classes, each with half the batch; writes this process's share of the centres
and its loss to OUT.RANK (JSON)."""

import json
import os
import sys

import torch
import torch.distributed as dist

from facecompare.losses.partial_fc import PartialFCLoss

CLASSES, DIM, BATCH = 10001, 16, 8


def inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(CLASSES, DIM, generator=g)
    return weight, torch.randn(BATCH, DIM, generator=g), torch.randint(0, CLASSES, (BATCH,), generator=g)


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
    with open(f"{out}.{rank}", "w") as f:
        json.dump({"rows": len(loss.weight), "start": loss.start, "loss": value.item()}, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    run(int(sys.argv[1]), sys.argv[2])
