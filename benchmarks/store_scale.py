"""Write a face store of a million crops in minutes, for issue #26's GPU target (1M packed images feeding
ResNet-50 in bf16 at >= 0.9 of the in-memory img/s, < 4 GB RSS per rank; benchmarks/gpu_checks.sh runs it).

    python benchmarks/store_scale.py --images 1000000 --out /tmp/store1m

scripts/pack.py renders every synthetic face (about 2 ms each on one core: over half an hour for a million).
Here ``--unique`` faces are rendered once and written ``--images / --unique`` times, each copy shifted by a
few pixels, as people of ``--per-person`` crops each: what training reads is a store of that many crops,
shards and identities, written by the same writer as scripts/pack.py; only the pixels repeat. The last 200
people are recorded as validation and test splits (100 each), so a training run on it validates quickly.
Prints the time, the bytes on disk and the writer's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from facecompare.data.face_store_writer import write_store
from facecompare.data.synthetic import render_dataset


def crops(unique: np.ndarray, total: int, per_person: int) -> Iterator[tuple[np.ndarray, int]]:
    """``total`` (CHW crop, label) pairs: copy c of the unique faces is shifted by (c % 7, c // 7 % 7) pixels,
    and crop k belongs to person k // per_person."""
    for k in range(total):
        copy, j = divmod(k, len(unique))
        shifted = np.roll(unique[j], (copy % 7, copy // 7 % 7), axis=(1, 2)) if copy else unique[j]
        yield shifted, k // per_person


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--unique", type=int, default=20_000, help="faces rendered (the rest are shifted copies)")
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.images % args.per_person or args.images // args.per_person <= 400:
        parser.error("--images must be a multiple of --per-person, with more than 400 people")
    start = time.perf_counter()
    faces, _ = render_dataset(args.unique // 10, 10, size=args.size, seed=3)
    unique = np.ascontiguousarray(faces.transpose(0, 3, 1, 2))
    rendered = time.perf_counter() - start
    people = args.images // args.per_person
    names = [f"person{i:07d}" for i in range(people)]
    ids = np.arange(people)
    splits = {"train": ids[:-200].tolist(), "val": ids[-200:-100].tolist(), "test": ids[-100:].tolist()}
    about = f"benchmarks/store_scale.py: {args.unique} rendered faces, {args.images} crops"
    meta = write_store(args.out, crops(unique, args.images, args.per_person), names, source=about, splits=splits)
    elapsed = time.perf_counter() - start
    size = sum(p.stat().st_size for p in args.out.iterdir())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"{args.out}: {args.images} crops of {args.size} px, {people} people, {len(meta['shards'])} shards, "
        f"{size / 1e9:.1f} GB; {elapsed:.0f} s ({rendered:.0f} s rendering), writer peak RSS {peak:.2f} GB"
    )


if __name__ == "__main__":
    main()
