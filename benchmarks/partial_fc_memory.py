"""Peak memory of a Partial FC training step at a million classes, against the full softmax (sample_rate=1).

    python benchmarks/partial_fc_memory.py [--classes 1000000] [--dim 128] [--batch 128] [--rates 1.0 0.1]
        [--repeats 3]

Each rate runs in a fresh interpreter: PartialFCLoss over ``--classes`` classes, the centres trained by SGD with
momentum (its state made in a first, unmeasured step), then the peak RSS is reset (``/proc/self/clear_refs``)
and one more step is taken: forward, backward and the optimizer's update, with the gradients freed as training
frees them. "Extra" is that step's peak above the RSS before it: what the step needs beyond the centres and
their optimizer state, which both losses hold alike. Linux only (it reads VmHWM from /proc/self/status).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def measure(classes: int, dim: int, batch: int, rate: float) -> dict[str, float]:
    import gc

    import torch

    from facecompare.losses.partial_fc import PartialFCLoss

    torch.manual_seed(0)
    torch.set_num_threads(2)
    loss = PartialFCLoss(embedding_dim=dim, sample_rate=rate)
    loss.fit_classes(torch.arange(classes))
    optimizer = torch.optim.SGD(loss.parameters(), lr=0.1, momentum=0.9)

    def step() -> None:
        embeddings = torch.randn(batch, dim, requires_grad=True)  # as the network would hand them over
        labels = torch.randint(0, classes, (batch,))
        loss(embeddings, labels).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step()  # the momentum buffers are made here: held alike by both losses, not the step's
    gc.collect()
    before = _status_kb("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak RSS starts again from the present one
    step()
    peak = _status_kb("VmHWM")
    return {"rate": rate, "before_mb": before / 1024, "peak_mb": peak / 1024, "extra_mb": (peak - before) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rates", type=float, nargs="+", default=[1.0, 0.1])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)  # a child: measure this rate, print JSON
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.classes, args.dim, args.batch, args.one)))
        return
    extra: dict[float, list[float]] = {rate: [] for rate in args.rates}
    for _ in range(args.repeats):
        for rate in args.rates:  # alternating, so both see the same machine
            cmd = [sys.executable, __file__, "--classes", str(args.classes), "--dim", str(args.dim),
                   "--batch", str(args.batch), "--one", str(rate)]  # fmt: skip
            record = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            extra[rate].append(record["extra_mb"])
            print(f"sample_rate {rate}: RSS before the step {record['before_mb']:.0f} MB, "
                  f"peak {record['peak_mb']:.0f} MB, extra {record['extra_mb']:.0f} MB", flush=True)  # fmt: skip
    full = statistics.median(extra[max(args.rates)])
    for rate in args.rates:
        median = statistics.median(extra[rate])
        print(f"sample_rate {rate}: extra peak median {median:.0f} MB over {args.repeats} runs, "
              f"{median / full:.1%} of sample_rate {max(args.rates)}'s")  # fmt: skip


if __name__ == "__main__":
    main()
