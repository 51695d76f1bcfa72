"""What the face quality adds to a warm ``verify`` (issue #25's "cheap" target: at most 30 %).

    python benchmarks/quality_cost.py --model BUNDLE [--rounds 40] [--quality embedding|learned]

The same verify through the Python API (``facecompare verify``'s path: detect both faces, align, embed,
score) with the bundle's quality model and with it taken out, alternating one by one so that both see the
same machine; skimage's astronaut and its mirror image. Prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from facecompare.inference.bundle import load_bundle
from facecompare.inference.faces import FaceFinder, make_detector
from facecompare.inference.verify import verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--quality", choices=["embedding", "learned"], help="the method timed (default: the bundle's)")
    args = parser.parse_args()
    rated = load_bundle(args.model)
    rated.use_quality(args.quality)
    if rated.quality_model is None:
        raise SystemExit(f"{args.model}: carries no quality model (scripts/evaluate.py, then export)")
    unrated = {k: v for k, v in rated.meta.items() if k not in ("quality", "quality_learned")}
    plain = dataclasses.replace(rated, meta=unrated, quality_method=None)
    finder = FaceFinder(make_detector("mtcnn", rated.meta), rated.size, rated.margin)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a.jpg", Path(tmp) / "b.jpg"
        Image.fromarray(data.astronaut()).save(a)
        Image.fromarray(np.ascontiguousarray(data.astronaut()[:, ::-1])).save(b)
        times: dict[str, list[float]] = {"with quality": [], "without": []}
        for _ in range(5):
            verify(rated, finder, a, b), verify(plain, finder, a, b)
        for _ in range(args.rounds):
            for name, bundle in (("with quality", rated), ("without", plain)):
                start = time.perf_counter()
                verify(bundle, finder, a, b)
                times[name].append(time.perf_counter() - start)
        verdict = verify(rated, finder, a, b)
    with_q, without = (statistics.median(times[k]) * 1e3 for k in ("with quality", "without"))
    print(f"verify p50 over {args.rounds}: with quality ({rated.active_quality}) {with_q:.1f} ms, "
          f"without {without:.1f} ms "
          f"({with_q / without:.3f}x); the two faces' quality {verdict.probe.quality:.3f}, "
          f"{verdict.references[0].quality:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
