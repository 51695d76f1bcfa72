"""FaceFinder's large-faces-first search against the full MTCNN pyramid: the same face, and how much faster.

    python benchmarks/large_faces_first.py --images ../shared/data/lfw/images --count 2000

Each photo (a random sample, seed 0) is searched both ways, one thread, as the tools search it; the face
used (the largest confident one) is compared box and landmarks. Also reports how often the large-face
search found nothing and the full search ran after it.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import torch

from facecompare.data.detection import MTCNNDetector
from facecompare.data.images import read_rgb
from facecompare.inference.faces import FaceFinder, NoFaceError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True, help="a folder of photos (searched recursively)")
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    paths = sorted(p for p in args.images.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    random.Random(0).shuffle(paths)
    paths = paths[: args.count]
    torch.set_num_threads(1)
    detector = MTCNNDetector(device="cpu")
    full = FaceFinder(detector, 112, workers=1, large_first=False)
    fast = FaceFinder(detector, 112, workers=1, large_first=True)
    coarse = detector.large_faces_only()
    seconds = {"full": 0.0, "large first": 0.0}
    same = differ = no_face = fell_back = 0
    worst = worst_pixel = 0.0
    for path in paths:
        image = read_rgb(path)
        found = {}
        for name, finder in (("full", full), ("large first", fast)):
            start = time.perf_counter()
            try:
                found[name] = finder.find_in([image], [path])[0]
            except NoFaceError:
                found[name] = None
            seconds[name] += time.perf_counter() - start
        fell_back += not any(f.prob >= fast.min_prob for f in coarse.detect([image])[0])
        a, b = found["full"], found["large first"]
        if a is None or b is None:
            no_face += a is None and b is None
            differ += (a is None) != (b is None)
            continue
        gap = float(np.abs(np.subtract(a.box, b.box)).max())
        worst = max(worst, gap)
        worst_pixel = max(worst_pixel, float(np.abs(a.crop.astype(int) - b.crop).max()))
        same += gap < 1e-3
        differ += gap >= 1e-3
    n = len(paths)
    print(f"{n} photos from {args.images}: same face (box within 1e-3 px) {same}, other {differ}, no face {no_face}")
    print(f"largest box difference {worst:.2g} px, crop pixel {worst_pixel:.0f}/255")
    print(f"the full search ran after the large-face one for {fell_back}")
    for name, total in seconds.items():
        print(f"{name:<12} {1000 * total / n:6.1f} ms per photo (one thread, detect + align)")
    print(f"ratio {seconds['full'] / seconds['large first']:.2f}x")


if __name__ == "__main__":
    main()
