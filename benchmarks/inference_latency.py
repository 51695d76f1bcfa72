"""The inference tools on CPU: verify latency (cold process and warm), embeddings/s through ONNX vs PyTorch,
and identify latency against random galleries of 10k, 100k and 1M embeddings (numpy and FAISS).

    python benchmarks/inference_latency.py --ckpt outputs/train/runs/<run>/checkpoints/last.ckpt

Verify uses skimage's astronaut photo (512 x 512) against its mirror image: decode, MTCNN, align, embed,
score, for both images. Cold = `python -m facecompare.cli verify ...` as a new process, start to exit.
Warm = verify() in a process that already loaded the bundle and MTCNN. Identify times GalleryIndex.search
with the gallery already in memory (a service), not SQLite loading; the build time is reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage import data

from facecompare.checkpoint import load_embedder
from facecompare.export import export_bundle
from facecompare.inference import load_bundle
from facecompare.inference.faces import FaceFinder, make_detector
from facecompare.inference.search import GalleryIndex
from facecompare.inference.verify import verify


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cold-repeats", type=int, default=5)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--max-side", type=int, help="detection override, as facecompare verify --max-side")
    parser.add_argument("--min-face", type=int, help="detection override, as facecompare verify --min-face")
    parser.add_argument("--workers", type=int, help="FaceFinder workers (default: one per core; 1 = one batch)")
    parser.add_argument("--full-search", action="store_true", help="search the whole pyramid, not large faces first")
    parser.add_argument("--skip-cold", action="store_true", help="only the warm numbers and what follows")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    work = Path(tempfile.mkdtemp(prefix="fc-bench-"))
    bundle_dir = work / "bundle"
    export_bundle(args.ckpt, bundle_dir)
    a, b = work / "a.jpg", work / "b.jpg"
    Image.fromarray(data.astronaut()).save(a)
    Image.fromarray(np.ascontiguousarray(data.astronaut()[:, ::-1])).save(b)

    cmd = [sys.executable, "-m", "facecompare.cli", "verify", str(a), str(b), "--model", str(bundle_dir)]
    overrides = {"max_side": args.max_side, "min_face_size": args.min_face}
    cmd += [f"--max-side={args.max_side}"] * bool(args.max_side) + [f"--min-face={args.min_face}"] * bool(args.min_face)
    cold = [] if args.skip_cold else timed(lambda: subprocess.run(cmd, capture_output=True), args.cold_repeats)
    bundle = load_bundle(bundle_dir)
    detector = make_detector("mtcnn", bundle.meta, **overrides)
    finder = FaceFinder(detector, bundle.size, bundle.margin, workers=args.workers, large_first=not args.full_search)
    verify(bundle, finder, a, b)
    warm = timed(lambda: verify(bundle, finder, a, b), args.repeats)
    crops = np.stack([f.crop for f in finder.find([a, b])])
    embed_only = timed(lambda: bundle.embed(crops), args.repeats)
    if cold:
        print(f"verify cold  median {statistics.median(cold) * 1000:8.1f} ms  runs {[round(t * 1000) for t in cold]}")
    print(f"verify warm  median {statistics.median(warm) * 1000:8.1f} ms  p90 {np.percentile(warm, 90) * 1000:.1f} "
          f"ms (of which embed+score of 2 crops {statistics.median(embed_only) * 1000:.2f} ms)")  # fmt: skip

    net, _, _ = load_embedder(args.ckpt)
    batch = np.random.default_rng(0).integers(0, 256, (256, bundle.size, bundle.size, bundle.channels), np.uint8)
    tensor = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        net(tensor[:64])
        torch_t = timed(lambda: [net(tensor[i : i + 64]) for i in range(0, 256, 64)], 5)
    onnx_t = timed(lambda: bundle.embed(batch, batch_size=64), 5)
    for name, ts in (("pytorch", torch_t), ("onnx", onnx_t)):
        print(f"embed {name:<8} {256 / statistics.median(ts):9.0f} embeddings/s (batches of 64, median of 5)")

    rng = np.random.default_rng(0)
    dim = int(bundle.meta["embedding"]["size"])
    for size in (int(s) for s in args.sizes.split(",")):
        vectors = rng.standard_normal((size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        people = [f"p{i // 5}" for i in range(size)]  # 5 embeddings per person
        queries = rng.standard_normal((args.repeats, dim)).astype(np.float32)
        for backend in ("numpy", "faiss"):
            start = time.perf_counter()
            index = GalleryIndex(vectors, people, bundle.distance, backend)
            build = time.perf_counter() - start
            index.search(queries[0])
            it = iter(queries)
            ts = timed(lambda index=index, it=it: index.search(next(it), top=5), args.repeats)
            print(f"identify {size:>8} {backend:<6} median {statistics.median(ts) * 1000:8.2f} ms  "
                  f"p90 {np.percentile(ts, 90) * 1000:8.2f} ms  (index built in {build:.2f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
