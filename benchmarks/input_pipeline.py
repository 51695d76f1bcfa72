"""Is the training input pipeline the bottleneck? A backbone at 112 px fed by the real data module versus the
same model fed one batch tensor already in memory (on the training device).

    python benchmarks/input_pipeline.py --steps 20 --repeats 3                      # mobilenet_v3_small, CPU
    python benchmarks/input_pipeline.py --store STORE --augments none               # memory vs a face store
    python benchmarks/input_pipeline.py --backbones cnn,mobilenet,resnet18 --device cuda \
        --precision bf16 --pairs 256 --workers 8 --channels-last                       # a GPU machine

Modes (contrastive loss, batches of --pairs pairs = 2 x pairs images, AdamW; one training step = forward +
backward + optimizer step, timed after --warmup steps, synchronised on a GPU):
- in_memory:  the same number of uint8 batches, drawn by the same loader beforehand and already on the
  device (the ceiling: the model's own speed)
- pipeline_<augment>: FaceDataModule.train_dataloader() (balanced pair sampler, PairDataset, collation,
  albumentations on the CPU) with data/augment=<augment>, num_workers=--workers, pinned memory on a GPU;
  batches are copied to the device inside the timed loop; `light_device` augments there, after the copy
- pipeline_store_<augment>: the same from the face store at --store (data=store: each crop read from disk, or
  the page cache, as the batch needs it) instead of the in-memory tensor
Data: synthetic faces rendered at 112 px; after preprocessing real data is the same in-memory uint8 tensor.
"waiting for input": the share of the timed loop spent getting the next batch onto the device; within one
block of steps it does not drift with the machine's speed, unlike img/s between blocks (on the 2-core VM
the same mode varied by +-15 % between blocks). Peak memory: the GPU's max_memory_allocated, or this
process's peak RSS on the CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import resource
import statistics
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from facecompare.training.resolvers import register_resolvers

CONF = str(Path(__file__).resolve().parents[1] / "conf")
BACKBONES = {
    "cnn": ["backbone=cnn"],
    "mobilenet": ["backbone=mobilenet", "backbone.arch=mobilenet_v3_small"],
    "resnet18": ["backbone=resnet", "backbone.arch=resnet18"],
    "resnet50": ["backbone=resnet", "backbone.arch=resnet50"],
}


def build(backbone: str, augment: str, args: argparse.Namespace, store: Path | None = None):
    """The model and a set-up data module: synthetic faces in memory, or the face store at ``store``."""
    data = [f"data.source.num_identities={args.identities}"] if store is None else ["data=store", f"data.root={store}"]
    overrides = [
        *BACKBONES[backbone],
        *data,
        "data.image_size=112",
        f"data/augment={augment}",
        f"data.num_workers={args.workers}",
        f"data.pin_memory={args.device.startswith('cuda')}",
        f"data.batch_size={args.pairs}",
        "data.pairs_per_epoch=1000000",
        "paths.output_dir=/tmp/facecompare-bench",
    ]
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    torch.manual_seed(0)
    model = instantiate(cfg.model, channels_last=args.channels_last).to(args.device)
    model.configure_model()  # what Lightning calls: channels-last weights when asked for
    data = instantiate(cfg.data, split_file=None)
    data.setup("fit")
    return model, data


def run(model, batches, args: argparse.Namespace, augment=None) -> tuple[float, float]:
    """Images per second over ``args.steps`` training steps after ``args.warmup``, and the share of that
    time spent waiting for the next batch (loading, augmenting and copying to the device; with a
    DeviceAugment, its batched pass on the device counts as input time too)."""
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=cuda)
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16) if args.precision == "bf16" else contextlib.nullcontext()
    )
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model.train()
    start, images, waiting = None, 0, 0.0
    batches = iter(batches)
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            if cuda:
                torch.cuda.synchronize()
            start, images, waiting = time.perf_counter(), 0, 0.0
        asked = time.perf_counter()
        a, b, same = next(batches)
        a = a.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        b = b.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        same = same.to(device, non_blocking=True)
        if augment is not None:
            generator = augment.generator(device, step)
            a, b = augment(a, generator), augment(b, generator)
            if cuda:
                torch.cuda.synchronize()  # so that the augmentation's time is counted as input time
        waiting += time.perf_counter() - asked
        with autocast:
            loss = model.loss(*model.embed_pairs(a, b), same)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        images += 2 * len(a)
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    return images / elapsed, waiting / elapsed


def peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def host_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of the largest loader worker that has ended (Linux: KB)."""
    return tuple(resource.getrusage(who).ru_maxrss / 1024 for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def bench_backbone(backbone: str, args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    rates: dict[str, list[float]] = {"in_memory": []}
    waits: dict[str, list[float]] = {"in_memory": []}
    setups = {name: build(backbone, name, args) for name in args.augments.split(",")}
    model, data = setups[next(iter(setups))]
    if args.store is not None:  # the same model and augmentations, the crops read from the store
        setups |= {f"store_{name}": build(backbone, name, args, args.store) for name in args.augments.split(",")}
    # Distinct batches, not one batch repeated: a model fitted to a single batch drives its activations and
    # gradients towards denormal floats, which slow the CPU down and understate the ceiling.
    loaded = itertools.islice(data.train_dataloader(), args.warmup + args.steps)
    in_memory = [tuple(t.to(args.device) for t in batch) for batch in loaded]
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    for _ in range(args.repeats):
        for mode, (model_, batches) in {
            "in_memory": (model, in_memory),
            **{f"pipeline_{name}": (m, d) for name, (m, d) in setups.items()},
        }.items():
            if mode == "in_memory":
                rate, wait = run(model_, batches, args)
            else:  # batches is the data module
                rate, wait = run(model_, batches.train_dataloader(), args, batches.device_augment)
            rates.setdefault(mode, []).append(rate)
            waits.setdefault(mode, []).append(wait)
        print(backbone, {k: [round(v, 1) for v in vs] for k, vs in rates.items()}, flush=True)
    medians = {mode: (statistics.median(rates[mode]), statistics.median(waits[mode])) for mode in rates}
    medians["peak_mb"] = (peak_memory_mb(args.device), 0.0)
    medians["host_rss_mb"] = host_rss_mb()
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbones", default="mobilenet", help=f"comma list of {sorted(BACKBONES)}")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", choices=["32", "bf16"], default="32")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--pairs", type=int, default=64, help="pairs per batch (images = 2 x pairs)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--identities", type=int, default=200)
    parser.add_argument("--augments", default="none,light")
    parser.add_argument("--store", type=Path, help="also feed the model from this face store (scripts/pack.py, 112 px)")
    args = parser.parse_args()
    register_resolvers()
    torch.backends.cudnn.benchmark = args.device.startswith("cuda")
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"{torch.get_num_threads()} threads"
    print(
        f"torch {torch.__version__}, {args.device} ({where}), precision {args.precision}, "
        f"channels_last {args.channels_last}, {2 * args.pairs} images/step, workers {args.workers}"
    )
    table = {name: bench_backbone(name, args) for name in args.backbones.split(",")}
    print(f"\n{'backbone':<10} {'mode':<16} median img/s   vs in_memory   waiting for input")
    for name, medians in table.items():
        base = medians["in_memory"][0]
        for mode, (rate, wait) in medians.items():
            if mode not in ("peak_mb", "host_rss_mb"):
                print(f"{name:<10} {mode:<16} {rate:12.1f}   {rate / base:11.3f}   {wait:16.1%}")
        print(f"{name:<10} {'peak memory':<16} {medians['peak_mb'][0]:9.0f} MB")
        main, worker = medians["host_rss_mb"]
        print(f"{name:<10} {'host peak RSS':<16} {main:9.0f} MB this process, {worker:.0f} MB the largest worker")


if __name__ == "__main__":
    main()
