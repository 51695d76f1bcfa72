"""Ways to pick the decision threshold from a run's validation pairs, judged on its test pairs and on split
halves of the validation pairs: is the threshold rule where a recipe's test points go?

    python benchmarks/threshold_rules.py --runs outputs/lfw_scratch/runs/<a> <b> ... --cache cache

Each run's best checkpoint embeds its own validation and test pairs (its split rebuilt from the checkpoint's
config, crops from the crop cache). Rules: the first maximum of the accuracy (what training and evaluate.py
use), the middle of its plateau, the maximum of a Gaussian-smoothed accuracy, the EER point, the crossing of
two normals fitted to the genuine and impostor scores.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from hydra.utils import instantiate
from omegaconf import OmegaConf
from scipy.stats import norm

from facecompare.checkpoint import load_embedder
from facecompare.evaluation.protocol import score_set
from facecompare.evaluation.thresholds import best_accuracy_threshold


def accuracy(s: np.ndarray, y: np.ndarray, t: float) -> float:
    return float(np.mean((s >= t) == y))


def plateau_middle(s: np.ndarray, y: np.ndarray) -> float:
    o = np.unique(s)
    candidates = np.r_[o[0] - 1e-6, (o[1:] + o[:-1]) / 2, o[-1] + 1e-6]
    acc = np.array([accuracy(s, y, t) for t in candidates])
    return float(np.median(candidates[acc == acc.max()]))


def smoothed(s: np.ndarray, y: np.ndarray) -> float:
    width = 1.06 * np.std(s) * len(s) ** -0.2 / 2  # half of Silverman's bandwidth
    grid = np.linspace(s.min(), s.max(), 2001)
    acc = [np.mean(np.where(y, norm.cdf((s - t) / width), norm.cdf((t - s) / width))) for t in grid]
    return float(grid[int(np.argmax(acc))])


def eer_point(s: np.ndarray, y: np.ndarray) -> float:
    grid = np.unique(s)
    far = np.array([np.mean(s[~y] >= t) for t in grid])
    frr = np.array([np.mean(s[y] < t) for t in grid])
    return float(grid[np.argmin(np.abs(far - frr))])


def normals(s: np.ndarray, y: np.ndarray) -> float:
    grid = np.linspace(s[~y].mean(), s[y].mean(), 4001)
    gap = norm.logpdf(grid, s[y].mean(), s[y].std()) - norm.logpdf(grid, s[~y].mean(), s[~y].std())
    return float(grid[np.argmin(np.abs(gap))])


RULES = {
    "first maximum": lambda s, y: best_accuracy_threshold(s, y)[0],
    "plateau middle": plateau_middle,
    "smoothed maximum": smoothed,
    "EER point": eer_point,
    "two normals": normals,
}


def scores(run: Path, cache: str | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    net, loss, info = load_embedder(sorted((run / "checkpoints").glob("epoch_*.ckpt"))[-1])
    cfg = OmegaConf.create(info["config"])
    cfg.data.split_file = None  # rebuild the split, never rewrite the run's files
    if "manifest_file" in cfg.data.source:
        cfg.data.source.manifest_file = str(Path(tempfile.mkdtemp(prefix="fc-rules-")) / "manifest.csv")
    if cache and "preprocess" in cfg.data.source:
        cfg.data.source.preprocess.cache_dir = cache
    data = instantiate(cfg.data)
    data.setup("fit")
    out = {}
    for stage in ("val", "test"):
        faces, pairs = data.fixed_pairs(stage)
        out[stage] = (score_set(net, loss.score, faces.images, pairs)[0], pairs[:, 2].astype(bool))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, nargs="+", required=True, help="run folders (hold checkpoints/)")
    parser.add_argument("--cache", help="crop cache folder (default: the run's own setting)")
    parser.add_argument("--halves", type=int, default=200, help="stratified split halves of the validation pairs")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for run in args.runs:
        sets = scores(run, args.cache)
        (sv, yv), (st, yt) = sets["val"], sets["test"]
        best = max(accuracy(st, yt, t) for t in np.unique(st))
        print(f"{run}: best test threshold {best:.3f}")
        for name, rule in RULES.items():
            halves = []
            for _ in range(args.halves):
                pos, neg = rng.permutation(np.flatnonzero(yv)), rng.permutation(np.flatnonzero(~yv))
                a = np.r_[pos[: len(pos) // 2], neg[: len(neg) // 2]]
                b = np.r_[pos[len(pos) // 2 :], neg[len(neg) // 2 :]]
                halves.append(accuracy(sv[b], yv[b], rule(sv[a], yv[a])))
            t = rule(sv, yv)
            print(f"  {name:16s} threshold {t:.4f}  split halves {np.mean(halves):.4f}  test {accuracy(st, yt, t):.3f}")


if __name__ == "__main__":
    main()
