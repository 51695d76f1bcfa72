"""What scoring .bin sets during training adds to an epoch (issue #27's target: at most 15 % for 3 sets on an
`experiment=lfw_scratch` epoch), read from a run's CSV metrics: `time/val_sets_s` (the sets) against
`time/epoch_s` (the epoch's training and ordinary validation before them), both logged by
training/callbacks/bin_validation.py.

    python benchmarks/bins_speed.py --write /tmp/bins --sets 3
    python scripts/train.py experiment=lfw_scratch ... logger=csv test=false \\
        'callbacks.val_sets.sets=[/tmp/bins/set0.bin,/tmp/bins/set1.bin,/tmp/bins/set2.bin]'
    python benchmarks/val_sets_cost.py RUN/csv/version_0/metrics.csv

Prints each scored epoch and the medians over the epochs after the first (which carries start-up costs).
"""

from __future__ import annotations

import argparse
import csv
import statistics
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("metrics", type=Path, help="the run's metrics.csv (logger=csv)")
    args = parser.parse_args()
    rows = [r for r in csv.DictReader(args.metrics.open()) if r.get("time/val_sets_s")]
    if not rows:
        raise SystemExit(f"{args.metrics}: no time/val_sets_s rows (was callbacks.val_sets.sets given?)")
    for r in rows:
        sets, epoch = float(r["time/val_sets_s"]), float(r["time/epoch_s"])
        print(f"epoch {r['epoch']}: sets {sets:.2f} s, epoch {epoch:.2f} s, +{sets / epoch:.1%}")
    later = rows[1:] or rows
    sets = statistics.median(float(r["time/val_sets_s"]) for r in later)
    epoch = statistics.median(float(r["time/epoch_s"]) for r in later)
    print(f"median over {len(later)} epochs: sets {sets:.2f} s, epoch {epoch:.2f} s: +{sets / epoch:.1%} an epoch")


if __name__ == "__main__":
    main()
