"""How far facecompare's batched MTCNN stages are from facenet-pytorch's own ``MTCNN.detect``, on LFW.

    python benchmarks/mtcnn_agreement.py --lfw ../shared/data/lfw --images 300

Both use the same networks and thresholds; they differ in how candidate crops are resampled (OpenCV
INTER_AREA here, torch area interpolation there) and in batching.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

from facecompare.data.detection import MTCNNDetector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lfw", type=Path, default=Path("../shared/data/lfw"))
    parser.add_argument("--images", type=int, default=300)
    args = parser.parse_args()
    folder = args.lfw / "images" if (args.lfw / "images").is_dir() else args.lfw
    paths = sorted(folder.glob("*/*.jpg"))[: args.images]
    images = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    ours = MTCNNDetector(device="cpu")
    start = time.perf_counter()
    found = ours.detect(images)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    reference = [ours.model.detect(im, landmarks=True) for im in images]
    ref_s = time.perf_counter() - start
    same_count, box_diff, mark_diff = 0, [], []
    for faces, (boxes, probs, points) in zip(found, reference, strict=True):
        n = 0 if boxes is None else len(boxes)
        same_count += len(faces) == n
        if n and faces:
            i = int(np.argmax(probs))
            j = int(np.argmax([f.prob for f in faces]))
            box_diff.append(np.abs(np.array(faces[j].box) - boxes[i]).max())
            mark_diff.append(np.abs(np.array(faces[j].landmarks) - points[i]).max())
    print(f"{len(images)} images: same number of faces on {same_count}")
    for name, diff in (("box", box_diff), ("landmarks", mark_diff)):
        print(f"{name} max-abs difference (px): median {np.median(diff):.2f}, p95 {np.percentile(diff, 95):.2f}")
    print(f"time: batched stages {ours_s:.1f} s, facenet-pytorch per image {ref_s:.1f} s (same channels-last nets)")


if __name__ == "__main__":
    main()
