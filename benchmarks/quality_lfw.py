"""Face quality, without training (EmbeddingQuality, facecompare/inference/quality.py), learned afterwards
(LearnedQuality, quality_head.py, a ridge regression fitted on the DevTrain crops' identities) and, for a
run trained with face_quality=branch, learned with the network (BranchQuality, branch_quality.py): does it fall
as faces degrade, and does rejecting the worst faces remove errors? (issue #25's targets)

    python benchmarks/quality_lfw.py --ckpt RUN/checkpoints/last.ckpt --lfw outputs/lfw_aligned64

``--lfw``: an aligned copy of LFW (scripts/align.py) at the checkpoint's image size, with the View 1 files.
The centre is fitted on 600 DevTrain crops; the checks use DevTest:
- monotone: the mean quality of DevTest's first 400 crops and of 200 synthetic faces under Gaussian blur
  sigma 0..4 px and under darkening (x1, 0.6, 0.4, 0.25, 0.15), with Spearman's rho over the steps;
- useful: at the threshold with FAR 1e-2 on all DevTest pairs, the FNMR after rejecting the 10 % of pairs
  whose worse face has the lowest quality, against rejecting a random 10 % (mean of 20 draws).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from facecompare.checkpoint import load_embedder
from facecompare.data.sources.lfw_protocol import image_path, read_pairs
from facecompare.data.synthetic import render_dataset
from facecompare.evaluation.embedding import embed_images
from facecompare.evaluation.thresholds import threshold_at_far
from facecompare.inference.branch_quality import BranchQuality, branch_layers
from facecompare.inference.quality import EmbeddingQuality
from facecompare.inference.quality_head import LearnedQuality

BLUR = [0, 1, 2, 3, 4]
DARK = [1.0, 0.6, 0.4, 0.25, 0.15]


def spearman(values: list[float]) -> float:
    ranks = np.argsort(np.argsort(values))
    steps = np.arange(len(values))
    return float(np.corrcoef(steps, ranks)[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, required=True)
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--flip", default=None, help="embedding flip TTA as in evaluation: sum | concat")
    args = parser.parse_args()
    net, loss, info = load_embedder(args.ckpt)
    images = args.lfw / "images"

    def embed(crops: np.ndarray) -> np.ndarray:
        batch = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2)
        return embed_images(net, batch, flip=args.flip).numpy()

    train_files: list[Path] = []

    def load(pairs: list) -> tuple[np.ndarray, np.ndarray]:
        files = sorted(
            {image_path(images, p.name_a, p.num_a) for p in pairs}
            | {image_path(images, p.name_b, p.num_b) for p in pairs}
        )
        index = {f: i for i, f in enumerate(files)}
        crops = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])
        if not train_files:
            train_files.extend(files)
        rows = np.array(
            [
                (index[image_path(images, p.name_a, p.num_a)], index[image_path(images, p.name_b, p.num_b)], p.same)
                for p in pairs
            ]
        )
        return crops, rows

    train_crops, _ = load(read_pairs(args.lfw / "pairsDevTrain.txt"))
    train_people = [p.parent.name for p in train_files]
    centre = EmbeddingQuality.fit(embed, train_crops[np.random.default_rng(0).permutation(len(train_crops))[:600]])
    labels = np.unique(train_people, return_inverse=True)[1]
    methods = {"embedding": centre, "ridge": LearnedQuality.fit(embed(train_crops), labels)}
    if info["quality_branch"] is not None:
        fit_crops = train_crops[np.random.default_rng(0).permutation(len(train_crops))[:600]]
        methods["branch"] = BranchQuality.fit(branch_layers(info["quality_branch"]), embed, fit_crops)
    test_crops, rows = load(read_pairs(args.lfw / "pairsDevTest.txt"))
    size = test_crops.shape[1]
    synthetic, _ = render_dataset(50, 4, size=size, seed=777)
    print(f"fitted on 600 DevTrain crops: low {centre.low:.4f}, high {centre.high:.4f}, spread {centre.spread:.4f}")
    for name, base in (("LFW DevTest", test_crops[:400]), ("synthetic", synthetic)):
        for kind, steps, apply in (
            ("blur sigma", BLUR, lambda c, s: c if s == 0 else np.stack([cv2.GaussianBlur(x, (0, 0), s) for x in c])),
            ("darken x", DARK, lambda c, f: (c.astype(np.float32) * f).round().astype(np.uint8)),
        ):
            embedded = [embed(apply(base, s)) for s in steps]
            for method, model in methods.items():
                means = [float(model.quality(e).mean()) for e in embedded]
                shown = ", ".join(f"{s}: {m:.3f}" for s, m in zip(steps, means, strict=True))
                print(f"{method}: {name}, {kind} {shown}; Spearman rho {spearman(means):+.2f}")

    emb = embed(test_crops)
    scores = loss.score(torch.from_numpy(emb[rows[:, 0]]), torch.from_numpy(emb[rows[:, 1]])).numpy()
    same = rows[:, 2].astype(bool)
    threshold = threshold_at_far(scores, same, 1e-2)[0]

    def fnmr(keep: np.ndarray) -> float:
        return float(np.mean(scores[keep & same] < threshold))

    everything = np.ones(len(rows), bool)
    drop = round(0.1 * len(rows))
    rng = np.random.default_rng(0)
    randoms = []
    for _ in range(20):
        keep = everything.copy()
        keep[rng.choice(len(rows), drop, replace=False)] = False
        randoms.append(fnmr(keep))
    base, rand = fnmr(everything), float(np.mean(randoms))
    print(f"DevTest {len(rows)} pairs, threshold {threshold:.4f} (FAR 1e-2): FNMR {base:.2%}; a random 10 % rejected "
          f"{rand:.2%} ({100 * (rand - base):+.2f} points, mean of 20)")  # fmt: skip
    for method, model in methods.items():
        quality = model.quality(emb)
        by_quality = everything.copy()
        by_quality[np.argsort(np.minimum(quality[rows[:, 0]], quality[rows[:, 1]]), kind="stable")[:drop]] = False
        low = fnmr(by_quality)
        print(f"{method}: the 10 % lowest-quality pairs rejected {low:.2%} ({100 * (low - base):+.2f} points)")


if __name__ == "__main__":
    main()
