"""Training-step speed on this CPU in float32 against bf16 autocast: whether trainer.precision=auto's choice
(facecompare/training/precision.py) is the fast one here.

    python benchmarks/cpu_precision.py [--widths 32 64 128 256] [--size 64] [--batch 128] [--repeats 5]

A step is forward, backward and AdamW on random images, channels-last, with glibc keeping freed memory as
training does (retain_freed_memory). Each repeat times --steps steps after one warm-up; modes alternate so
that drift on a shared VM hits both. Prints the median images/s of each mode and their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import statistics
import time

import torch

from facecompare.allocator import retain_freed_memory
from facecompare.models import CompactCNN
from facecompare.training.precision import cpu_has_native_bf16


def images_per_second(
    net: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, bf16: bool, steps: int
) -> float:
    def step() -> None:
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with autocast:
            loss = net(x).float().pow(2).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # warm-up: oneDNN picks its kernels for this shape and type
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * len(x) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs=4, default=[32, 64, 128, 256], help="CompactCNN widths")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    retain_freed_memory()
    torch.manual_seed(0)
    net = CompactCNN(widths=args.widths).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), 1e-3)
    x = torch.rand(args.batch, 3, args.size, args.size).contiguous(memory_format=torch.channels_last)
    runs: dict[str, list[float]] = {"32-true": [], "bf16-mixed": []}
    for _ in range(args.repeats):
        for mode in runs:
            runs[mode].append(images_per_second(net, opt, x, mode == "bf16-mixed", args.steps))
    print(
        f"{platform.machine()}, native bf16: {cpu_has_native_bf16()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}; "
        f"CompactCNN {args.widths} at {args.size} px, batch {args.batch}"
    )
    for mode, values in runs.items():
        each = ", ".join(f"{v:.1f}" for v in values)
        print(f"{mode:>10}: median {statistics.median(values):7.1f} img/s  (runs: {each})")
    ratio = statistics.median(runs["bf16-mixed"]) / statistics.median(runs["32-true"])
    print(f"bf16-mixed / 32-true: {ratio:.2f}")


if __name__ == "__main__":
    main()
