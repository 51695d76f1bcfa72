"""Whether a preprocessing run killed half-way and resumed gives the crops and detections of a fresh run.

    python benchmarks/preprocess_resume.py --lfw ../shared/data/lfw --images 300 --kill-after 150

Runs the ``data=folder`` preprocessing (MTCNN, defaults) over the first N LFW images into one crop store,
kills it with SIGKILL once ``--kill-after`` outcomes are stored, runs it again to completion, and compares
every stored detection and crop with those of a fresh uninterrupted run into a second store.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RUN = """
import sys
from pathlib import Path
from facecompare.data.detection import MTCNNDetector
from facecompare.data.preprocess import Preprocessor
paths = sorted(Path({folder!r}).glob("*/*.jpg"))[:{count}]
pre = Preprocessor(MTCNNDetector(device="cpu"), cache_dir={cache!r}, progress=False)
pre.run([(p, p.parent.name) for p in paths], 112)
print(pre.detected, pre.recropped, pre.cached, flush=True)
"""


def run(folder: Path, count: int, cache: Path, kill_after: int | None = None) -> None:
    code = RUN.format(folder=str(folder), count=count, cache=str(cache))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    if kill_after is None:
        made = "processed now, cropped from cached detections, from the cache"
        print("  finished:", proc.communicate()[0].strip(), f"({made})")
        return
    while proc.poll() is None and len(list((cache / "crops").rglob("*.json"))) < kill_after:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    print(f"  killed with {len(list((cache / 'crops').rglob('*.json')))} outcomes stored")


def entries(cache: Path, kind: str, suffix: str) -> dict[str, Path]:
    return {p.name: p for p in (cache / kind).rglob(f"*{suffix}") if not p.name.startswith(".tmp-")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lfw", type=Path, default=Path("../shared/data/lfw"))
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--kill-after", type=int, default=150)
    args = parser.parse_args()
    folder = args.lfw / "images" if (args.lfw / "images").is_dir() else args.lfw
    with tempfile.TemporaryDirectory() as tmp:
        resumed, fresh = Path(tmp, "resumed"), Path(tmp, "fresh")
        print("killed run, then resumed:")
        run(folder, args.images, resumed, args.kill_after)
        run(folder, args.images, resumed)
        print("fresh run:")
        run(folder, args.images, fresh)
        for kind, suffix in (("detections", ".json"), ("crops", ".npy")):
            a, b = entries(resumed, kind, suffix), entries(fresh, kind, suffix)
            if suffix == ".json":
                differ = sum(json.loads(a[n].read_text()) != json.loads(b[n].read_text()) for n in a.keys() & b.keys())
            else:
                differ = sum(not np.array_equal(np.load(a[n]), np.load(b[n])) for n in a.keys() & b.keys())
            print(f"{kind}: {len(a)} resumed, {len(b)} fresh, {differ} differ")


if __name__ == "__main__":
    main()
