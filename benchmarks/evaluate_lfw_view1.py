"""LFW View 1 evaluation of a checkpoint: time, and embeddings computed per unique image (must be 1.0).

    python benchmarks/evaluate_lfw_view1.py --ckpt outputs/train/runs/<run>/checkpoints/last.ckpt \
        --lfw ../shared/data/lfw --cache cache

Faces are aligned with MTCNN at the checkpoint's training image size through the crop cache (a warm cache
skips detection). The threshold is chosen on pairsDevTrain and applied to pairsDevTest, as the protocol says.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from facecompare.checkpoint import load_embedder
from facecompare.data.detection import MTCNNDetector
from facecompare.data.faceset import FaceSet
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.lfw_layout import find_layout
from facecompare.data.sources.lfw_protocol import read_pairs
from facecompare.evaluation.protocol import score_set, summarise_scores


def load_pairs(layout, name: str, pre: Preprocessor, size: int, channels: int):
    pairs = read_pairs(layout.file(name))
    files = sorted({f for p in pairs for f in p.paths(layout.images)})
    records = pre.run([(f, f.parent.name) for f in files], size)
    crops = {r.path: r.crop for r in records if r.used}
    index = {f: i for i, f in enumerate(crops)}
    rows = [
        (index[a], index[b], int(p.same))
        for p in pairs
        for a, b in [p.paths(layout.images)]
        if a in index and b in index
    ]
    labels = np.zeros(len(crops), np.int64)
    images = FaceSet.from_hwc(np.stack(list(crops.values())), labels, ["?"], channels).images
    return images, np.array(rows), len(pairs) - len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, required=True)
    parser.add_argument("--lfw", type=Path, default=Path("../shared/data/lfw"))
    parser.add_argument("--cache", default="cache")
    parser.add_argument("--flip", default=None, choices=[None, "sum", "concat"])
    args = parser.parse_args()
    net, loss, info = load_embedder(args.ckpt)
    size, channels = info["config"]["data"]["image_size"], info["config"]["data"]["channels"]
    layout = find_layout(args.lfw, "view1")
    pre = Preprocessor(MTCNNDetector(), cache_dir=args.cache, no_face="center_crop", several_faces="central")
    start = time.perf_counter()
    train_images, train_pairs, _ = load_pairs(layout, "pairsDevTrain.txt", pre, size, channels)
    test_images, test_pairs, missing = load_pairs(layout, "pairsDevTest.txt", pre, size, channels)
    loaded = time.perf_counter()
    train_scores, _ = score_set(net, loss.score, train_images, train_pairs, flip=args.flip)
    threshold = summarise_scores(train_scores, train_pairs[:, 2], bootstrap=0)["best_threshold"]
    scores, counts = score_set(net, loss.score, test_images, test_pairs, flip=args.flip)
    result = summarise_scores(scores, test_pairs[:, 2], threshold=threshold)
    done = time.perf_counter()
    result.update(counts)
    result["pairs_without_face"] = missing
    result["embeddings_per_unique_image"] = counts["embeddings"] / counts["unique_images"]
    result["seconds_load_and_align"] = round(loaded - start, 2)
    result["seconds_embed_score_summarise"] = round(done - loaded, 2)
    print(json.dumps(result, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
