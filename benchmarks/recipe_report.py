"""Train, validation and test scores of one training run, with and without flip averaging, and its learning
curve: the evidence for "is the data or the budget the limit".

    python benchmarks/recipe_report.py --run outputs/train/runs/<run> [--ckpt best|last] [--json out.json]

The run's own split is rebuilt from its checkpoint's config (crops come from the crop cache, so run it from
the folder the training ran in, or pass --cache). 'train' scores 1000 balanced pairs of training images
(people the model learned from, without augmentation); 'val' the validation pairs (held-out people: they
pick the checkpoint and set the threshold); 'test' the test pairs at that threshold. A train score far above
val says more data (or regularisation), not more time, is what the model needs.
"""

from __future__ import annotations

import argparse
import glob
import json
import tempfile
from pathlib import Path

import numpy as np
from hydra.utils import instantiate
from omegaconf import OmegaConf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from facecompare.checkpoint import load_embedder
from facecompare.data.pairs import draw_balanced_pairs
from facecompare.evaluation.protocol import score_set, summarise_scores


def learning_curve(run: Path) -> list[dict[str, float]]:
    """val AUC and mean training loss per epoch, from the run's TensorBoard events."""
    scalars: dict[str, list] = {}
    for events in sorted(glob.glob(str(run / "tensorboard" / "**" / "events.*"), recursive=True)):
        acc = EventAccumulator(events)  # Lightning writes a new file after fit (test, hparams): read them all
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            scalars.setdefault(tag, []).extend(acc.Scalars(tag))
    epoch_of = {e.step: int(e.value) for e in scalars.get("epoch", [])}
    losses: dict[int, list[float]] = {}
    for e in scalars.get("train/loss", []):
        losses.setdefault(epoch_of.get(e.step, -1), []).append(e.value)
    curve = []
    for i, e in enumerate(scalars.get("val/auc", [])):
        curve.append(
            {"epoch": i, "val_auc": round(e.value, 4), "train_loss": round(float(np.mean(losses.get(i, [np.nan]))), 4)}
        )
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="the run folder (holds checkpoints/)")
    parser.add_argument("--ckpt", default="best", choices=["best", "last"])
    parser.add_argument("--cache", help="crop cache folder (default: the run's own setting)")
    parser.add_argument("--train-pairs", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    folder = args.run / "checkpoints"
    ckpt = folder / "last.ckpt" if args.ckpt == "last" else sorted(folder.glob("epoch_*.ckpt"))[-1]
    net, loss, info = load_embedder(ckpt)
    cfg = OmegaConf.create(info["config"])
    scratch = Path(tempfile.mkdtemp(prefix="fc-report-"))
    cfg.data.split_file = None  # rebuild the split, never rewrite the run's files
    if "manifest_file" in cfg.data.source:  # file-based sources
        cfg.data.source.manifest_file = str(scratch / "manifest.csv")
    if args.cache and "preprocess" in cfg.data.source:
        cfg.data.source.preprocess.cache_dir = args.cache
    data = instantiate(cfg.data)
    data.setup("fit")
    train = data.faces.train
    sets = {
        "train": (train, draw_balanced_pairs(train.labels, args.train_pairs, np.random.default_rng([0, 3]))),
        "val": data.fixed_pairs("val"),
        "test": data.fixed_pairs("test"),
    }
    report: dict = {"checkpoint": str(ckpt), "learning_curve": learning_curve(args.run)}
    for flip in (False, True):
        net.flip_average = flip
        name = "flip_average" if flip else "plain"
        scores = {k: score_set(net, loss.score, faces.images, pairs)[0] for k, (faces, pairs) in sets.items()}
        val = summarise_scores(scores["val"], sets["val"][1][:, 2], bootstrap=0)
        out = {}
        for k in sets:
            s = summarise_scores(scores[k], sets[k][1][:, 2], threshold=val["best_threshold"], bootstrap=0)
            out[k] = {m: round(float(s[m]), 4) for m in ("auc", "acc_at_best", "acc_at_threshold")}
        out["threshold"] = round(float(val["best_threshold"]), 4)
        report[name] = out
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
