"""Preprocessing throughput on real LFW images: facecompare's Preprocessor vs facenet-pytorch per image, and a
cache-hit pass.

    python benchmarks/preprocess_throughput.py --lfw ../shared/data/lfw --images 1000 --repeats 3
    python benchmarks/preprocess_throughput.py --device cuda --batch 128   # on a GPU machine

Modes, each over the same images (sorted paths, first N), decode + detect + align to 112 px. The Preprocessor
detects each image alone (one MTCNN call per image, on one thread); ``--batch`` is how many decoded images go
to a detection thread at a time:
- tutorial:  facenet-pytorch's own ``MTCNN(image_size=112)(PIL image)`` once per image, as the tutorials do
- per_image: facecompare's Preprocessor with batch_size=1, workers=1
- serial:    facecompare's Preprocessor with batch_size=--batch, workers=1 (one detection thread)
- batched:   facecompare's Preprocessor with batch_size=--batch, workers=--workers (the defaults: 32, auto)
- cache_hit: the batched pass again over a warm crop store (nothing decoded or detected)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from facecompare.data.detection import MTCNNDetector
from facecompare.data.preprocess import Preprocessor


def lfw_images(root: Path, count: int) -> list[tuple[Path, str]]:
    folder = root / "images" if (root / "images").is_dir() else root
    paths = sorted(folder.glob("*/*.jpg"))[:count]
    if len(paths) < count:
        raise SystemExit(f"{folder}: found {len(paths)} images, need {count}")
    return [(p, p.parent.name) for p in paths]


def tutorial(items: list[tuple[Path, str]], device: str) -> float:
    from facenet_pytorch import MTCNN

    mtcnn = MTCNN(image_size=112, device=device)
    start = time.perf_counter()
    for path, _ in items:
        with Image.open(path) as img:
            mtcnn(img.convert("RGB"))
    return time.perf_counter() - start


def preprocess(
    items: list[tuple[Path, str]], batch: int, cache: str | None, device: str, workers: int | str
) -> tuple[float, Preprocessor]:
    detector = MTCNNDetector(batch_size=batch, device=device)
    pre = Preprocessor(detector, cache_dir=cache, batch_size=batch, workers=workers, progress=False)
    start = time.perf_counter()
    records = pre.run(items, 112)
    elapsed = time.perf_counter() - start
    assert sum(r.used for r in records) > 0.9 * len(items), "MTCNN should find most LFW faces"
    return elapsed, pre


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lfw", type=Path, default=Path("../shared/data/lfw"))
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="tutorial,per_image,serial,batched,cache_hit")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (MTCNN runs there; decode and align on CPU)")
    parser.add_argument("--batch", type=int, default=32, help="images per MTCNN call in the batched mode")
    parser.add_argument("--workers", default="auto", help="batches detected at once in the batched mode")
    args = parser.parse_args()
    workers = args.workers if args.workers == "auto" else int(args.workers)
    items = lfw_images(args.lfw, args.images)
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"{torch.get_num_threads()} threads"
    print(
        f"{len(items)} images, torch {torch.__version__}, device {args.device} ({where}),",
        f"batch {args.batch}, workers {workers}",
    )
    times: dict[str, list[float]] = {m: [] for m in args.modes.split(",")}
    for _ in range(args.repeats):
        if "tutorial" in times:
            times["tutorial"].append(tutorial(items, args.device))
        if "per_image" in times:
            times["per_image"].append(preprocess(items, 1, None, args.device, 1)[0])
        if "serial" in times:
            times["serial"].append(preprocess(items, args.batch, None, args.device, 1)[0])
        if "batched" in times or "cache_hit" in times:
            with tempfile.TemporaryDirectory() as cache:
                elapsed, pre = preprocess(items, args.batch, cache, args.device, workers)
                times.setdefault("batched", []).append(elapsed)
                if "cache_hit" in times:
                    hit, pre = preprocess(items, args.batch, cache, args.device, workers)
                    assert pre.detected == 0 and pre.cached == len(items)
                    times["cache_hit"].append(hit)
        print({m: [round(t, 2) for t in ts] for m, ts in times.items()}, flush=True)
    print("\nmode        median s   images/s")
    medians = {m: statistics.median(ts) for m, ts in times.items() if ts}
    for mode, med in medians.items():
        print(f"{mode:<11} {med:9.2f} {len(items) / med:10.1f}")
    if "batched" in medians:
        for base in ("tutorial", "per_image", "serial"):
            if base in medians:
                print(f"batched vs {base}: {medians[base] / medians['batched']:.2f}x faster")
        if "cache_hit" in medians:
            print(f"cache_hit vs batched detection pass: {medians['batched'] / medians['cache_hit']:.1f}x faster")


if __name__ == "__main__":
    main()
