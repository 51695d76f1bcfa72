"""LFW View 1's test pairs scored the way the deployed tools score them: a bundle, and faces found and cropped
by FaceFinder as `facecompare verify` builds it. Its AUC and accuracy at the bundle's threshold should match
the training run's test figures; a gap means deployment crops faces differently from training.

    python benchmarks/tools_on_lfw.py --bundle bundle/ --lfw ../shared/data/lfw [--faces auto|largest|central]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from facecompare.cli.common import finder as face_finder
from facecompare.data.sources.lfw_layout import find_layout
from facecompare.evaluation.metrics import PairMetrics
from facecompare.inference import load_bundle
from facecompare.inference.faces import NoFaceError


def read_pairs(path: Path) -> list[tuple[int, tuple[str, int], tuple[str, int]]]:
    pairs = []
    for line in path.read_text().splitlines()[1:]:
        x = line.split("\t")
        if len(x) == 3:
            pairs.append((1, (x[0], int(x[1])), (x[0], int(x[2]))))
        elif len(x) == 4:
            pairs.append((0, (x[0], int(x[1])), (x[2], int(x[3]))))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--lfw", type=Path, required=True, help="the LFW folder (images and pairsDevTest.txt)")
    parser.add_argument("--faces", default="auto", choices=["auto", "largest", "central"])
    args = parser.parse_args()
    layout = find_layout(args.lfw)
    pairs = read_pairs(layout.file("pairsDevTest.txt"))
    bundle = load_bundle(args.bundle)
    options = argparse.Namespace(detector="auto", device="cpu", max_side=None, min_face=None, faces=args.faces)
    finder = face_finder(options, bundle)

    def path(who: tuple[str, int]) -> Path:
        return layout.images / who[0] / f"{who[0]}_{who[1]:04d}.jpg"

    start, embeddings, no_face = time.perf_counter(), {}, 0
    for image in sorted({path(a) for _, a, _ in pairs} | {path(b) for _, _, b in pairs}):
        try:
            embeddings[image] = bundle.embed(finder.find([image])[0].crop[None])[0]
        except NoFaceError:
            no_face += 1
    kept = [(same, path(a), path(b)) for same, a, b in pairs if path(a) in embeddings and path(b) in embeddings]
    scores = np.array([bundle.score(embeddings[a][None], embeddings[b][None])[0] for _, a, b in kept])
    metrics = PairMetrics()
    import torch

    metrics.update(torch.tensor(scores), torch.tensor([same for same, _, _ in kept]))
    out = metrics.compute(bundle.threshold)
    print(
        f"faces={args.faces} ({finder.policy.several_faces}): {len(kept)} of {len(pairs)} pairs "
        f"({no_face} images without a face), auc {out['auc']:.4f}, acc at the bundle's threshold "
        f"{bundle.threshold:.4f} {out['acc_at_threshold']:.4f}, {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
