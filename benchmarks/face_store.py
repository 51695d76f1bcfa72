"""Which on-disk form should training read crops from when they do not fit in memory (issue #26)? The same
P x K access pattern (random batches of 192 crops by index) against:
- memory: the (N, C, H, W) uint8 tensor every source builds today (the baseline; needs all of it in RAM);
- store: facecompare's face store (data/face_store.py), raw uint8 .npy shards read crop by crop with pread;
- litdata raw / litdata jpeg: Lightning's LitData (`optimize`, then `StreamingDataset[i]`), chunks of raw
  arrays or of JPEG bytes decoded on read.
WebDataset is left out by design (tar streams read in order: a P x K batch needs any identity's crops at
once), and MosaicML streaming because its install pulls transformers and cloud SDKs and pins
huggingface-hub < 1, which breaks Gradio 6 (measured on this venv, 2026-12-05).

    python benchmarks/face_store.py --images 20000 --size 112 --batches 200 --repeats 3

Prints, for each form: pack time, bytes on disk, crops/s read (median of the repeats, warm page cache) and
how much the process's resident memory grew while reading (file-backed pages of a map count here too, but
the OS can drop them and shares them between processes; the in-memory tensor was resident before reading).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from facecompare.data.face_store import read_store
from facecompare.data.face_store_writer import write_store
from facecompare.data.synthetic import render_dataset


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def crops_of(n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    per = 10
    images, labels = render_dataset(n // per, per, size=size, seed=3)
    return np.ascontiguousarray(np.asarray(images).transpose(0, 3, 1, 2)), np.asarray(labels)


_SOURCE: dict[str, np.ndarray] = {}


def _source() -> tuple[np.ndarray, np.ndarray]:
    # litdata's optimize runs the item functions in spawned processes: they map the crops from a file
    if not _SOURCE:
        folder = Path(os.environ["FACE_STORE_BENCH"])
        _SOURCE["crops"] = np.load(folder / "crops.npy", mmap_mode="r")
        _SOURCE["labels"] = np.load(folder / "labels.npy")
    return _SOURCE["crops"], _SOURCE["labels"]


def _raw_item(i):
    crops, labels = _source()
    return {"image": np.array(crops[i]), "label": int(labels[i])}


def _jpeg_item(i):
    crops, labels = _source()
    data = cv2.imencode(".jpg", crops[i].transpose(1, 2, 0)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
    return {"image": data.tobytes(), "label": int(labels[i])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=192)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--forms", default="memory,store,litdata_raw,litdata_jpeg")
    args = parser.parse_args()
    CROPS, LABELS = crops_of(args.images, args.size)
    n = len(CROPS)
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, n, args.batch) for _ in range(args.batches)]
    work = Path(tempfile.mkdtemp(prefix="face-store-bench-"))
    np.save(work / "crops.npy", CROPS)
    np.save(work / "labels.npy", LABELS)
    os.environ["FACE_STORE_BENCH"] = str(work)
    print(f"{n} crops of {args.size} px, {args.batches} random batches of {args.batch}; {os.cpu_count()} CPUs")
    try:
        for form in args.forms.split(","):
            start, path = time.perf_counter(), work / form
            if form == "memory":
                tensor = torch.from_numpy(CROPS.copy())

                def read(rows, tensor=tensor):
                    return tensor[torch.from_numpy(rows)]

                packed = CROPS.nbytes
            elif form == "store":
                write_store(path, zip(CROPS, LABELS, strict=True), [str(i) for i in range(LABELS.max() + 1)])
                images = read_store(path)[0]

                def read(rows, images=images):
                    return images[rows]

                packed = folder_bytes(path)
            else:
                import litdata

                fn = _raw_item if form == "litdata_raw" else _jpeg_item
                litdata.optimize(fn=fn, inputs=list(range(n)), output_dir=str(path), chunk_bytes="64MB",
                                 num_workers=1, verbose=False)  # fmt: skip
                dataset = litdata.StreamingDataset(str(path))

                def read(rows, dataset=dataset, jpeg=form == "litdata_jpeg"):
                    items = [dataset[int(i)]["image"] for i in rows]
                    if jpeg:
                        decoded = (cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR) for b in items)
                        items = [x[..., ::-1].transpose(2, 0, 1) for x in decoded]
                    return torch.from_numpy(np.stack([np.asarray(x) for x in items]))

                packed = folder_bytes(path)
            pack_s = time.perf_counter() - start
            check = read(batches[0])
            assert form == "litdata_jpeg" or torch.equal(check, torch.from_numpy(CROPS[batches[0]])), form
            rates, before = [], rss_mb()
            for _ in range(args.repeats):
                t = time.perf_counter()
                for rows in batches:
                    read(rows)
                rates.append(args.batches * args.batch / (time.perf_counter() - t))
            print(f"{form:13s} pack {pack_s:6.1f} s  {packed / 1e6:8.1f} MB  read {np.median(rates):9.0f} crops/s "
                  f"(runs {', '.join(f'{r:.0f}' for r in rates)})  RSS +{rss_mb() - before:.0f} MB while reading, "
                  f"{rss_mb():.0f} MB in all")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
