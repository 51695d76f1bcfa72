"""Is the training input pipeline the bottleneck? MobileNet at 112 px on CPU, fed by the real data module
versus the same model fed one batch tensor already in memory.

    python benchmarks/input_pipeline.py --steps 20 --repeats 3

Modes (contrastive loss, batches of 64 pairs = 128 images, AdamW; one training step = forward + backward +
optimizer step, timed after --warmup steps):
- in_memory:  the same uint8 batch reused every step, no DataLoader at all (the ceiling)
- pipeline_<augment>: FaceDataModule.train_dataloader() (balanced pair sampler, PairDataset, collation)
  with data/augment=<augment>, num_workers=--workers
Data: synthetic faces rendered at 112 px; after preprocessing real data is the same in-memory uint8 tensor.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from facecompare.training.resolvers import register_resolvers

CONF = str(Path(__file__).resolve().parents[1] / "conf")


def build(augment: str, workers: int, identities: int):
    overrides = [
        "backbone=mobilenet",
        "backbone.arch=mobilenet_v3_small",
        "data.image_size=112",
        f"data/augment={augment}",
        f"data.num_workers={workers}",
        f"data.source.num_identities={identities}",
        "data.pairs_per_epoch=100000",
        "paths.output_dir=/tmp/facecompare-bench",
    ]
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    torch.manual_seed(0)
    model = instantiate(cfg.model)
    data = instantiate(cfg.data, split_file=None)
    data.setup("fit")
    data.sampling = "pairs"
    return model, data


def run(model, batches, steps: int, warmup: int) -> float:
    """Images per second over ``steps`` training steps after ``warmup``."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    start, images = None, 0
    for step, (a, b, same) in enumerate(batches):
        if step == warmup:
            start, images = time.perf_counter(), 0
        loss = model.loss(*model.embed_pairs(a, b), same)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        images += 2 * len(a)
        if step + 1 == warmup + steps:
            break
    return images / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--identities", type=int, default=200)
    parser.add_argument("--augments", default="none,light")
    args = parser.parse_args()
    register_resolvers()
    results: dict[str, list[float]] = {"in_memory": []}
    setups = {name: build(name, args.workers, args.identities) for name in args.augments.split(",")}
    for _ in range(args.repeats):
        model, data = setups[next(iter(setups))]
        fixed = next(iter(data.train_dataloader()))
        results["in_memory"].append(run(model, itertools.repeat(fixed), args.steps, args.warmup))
        for name, (model, data) in setups.items():
            rate = run(model, iter(data.train_dataloader()), args.steps, args.warmup)
            results.setdefault(f"pipeline_{name}", []).append(rate)
        print({k: [round(v, 1) for v in vs] for k, vs in results.items()}, flush=True)
    base = statistics.median(results["in_memory"])
    print(f"\n{'mode':<18} median img/s   vs in_memory   (torch threads {torch.get_num_threads()})")
    for mode, rates in results.items():
        med = statistics.median(rates)
        print(f"{mode:<18} {med:12.1f}   {med / base:10.3f}")


if __name__ == "__main__":
    main()
