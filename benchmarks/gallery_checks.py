"""What checking every gallery row on read costs: ``Gallery.matrix()`` (byte length, finite, norm, CRC-32 of
person and vector) against the same read without checks (the query and ``np.frombuffer`` that
``Gallery.matrix`` was before rows were checked), on galleries of random unit vectors, 5 per person.

    python benchmarks/gallery_checks.py [--sizes 10000 100000] [--dims 128 512] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from facecompare.inference.gallery import Gallery


def unchecked(gallery: Gallery) -> np.ndarray:
    rows = gallery.db.execute("SELECT person, vector FROM embeddings ORDER BY id").fetchall()
    return np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32).reshape(len(rows), gallery.dim)


def medians_ms(fns, repeats: int) -> list[float]:
    """Median time of each of ``fns``, run in turn ``repeats`` times: a shared machine's load falls on all."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [statistics.median(t) * 1000 for t in times]


def fill(path: Path, size: int, dim: int) -> None:
    rng = np.random.default_rng(0)
    with Gallery(path, "bench", dim, unit_norm=True) as gallery:
        gallery.db.execute("PRAGMA synchronous=OFF")  # filling is not what is measured
        for start in range(0, size, 5):
            v = rng.standard_normal((5, dim))
            gallery.enroll(f"person {start // 5}", v / np.linalg.norm(v, axis=1, keepdims=True), ["x.jpg"] * 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print("| embeddings | dim | read without checks (baseline) | Gallery.matrix(), checked | ratio |")
    print("|---|---|---|---|---|")
    for dim in args.dims:
        for size in args.sizes:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "g.db"
                fill(path, size, dim)
                with Gallery(path, "bench", dim, unit_norm=True) as gallery:
                    np.testing.assert_array_equal(gallery.matrix()[0], unchecked(gallery))
                    base, checked = medians_ms([lambda: unchecked(gallery), gallery.matrix], args.repeats)
            print(f"| {size:,} | {dim} | {base:.1f} ms | {checked:.1f} ms | {checked / base:.2f}x |")


if __name__ == "__main__":
    main()
