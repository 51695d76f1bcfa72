"""What several trained runs of one recipe give together: each run's validation and test scores, and those of
their ensemble (each face embedded by every model, the L2-normalised embeddings concatenated and scaled by
1/sqrt(K), so a squared distance is the members' mean squared distance). The threshold is picked on the
validation pairs, as in training. Evidence for a recipe that spends a GPU's spare time on several models.

    python benchmarks/ensemble_report.py --runs outputs/lfw_scratch/runs/A outputs/lfw_scratch/runs/B ...

The runs must share the data config (the split is rebuilt from the first run's checkpoint, crops from the
crop cache, so run it from the folder the training ran in, or pass --cache).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from facecompare.checkpoint import load_embedder
from facecompare.evaluation.embedding import embed_images, pair_scores
from facecompare.evaluation.protocol import summarise_scores


def best_checkpoint(run: Path) -> Path:
    found = sorted((run / "checkpoints").glob("epoch_*.ckpt"))
    if not found:
        raise SystemExit(f"{run}: no checkpoints/epoch_*.ckpt")
    return found[-1]


def summary(scores: dict[str, np.ndarray], sets: dict) -> dict[str, float]:
    val = summarise_scores(scores["val"], sets["val"][1][:, 2], bootstrap=0)
    test = summarise_scores(scores["test"], sets["test"][1][:, 2], threshold=val["best_threshold"], bootstrap=0)
    return {
        "val_auc": round(float(val["auc"]), 4),
        "test_auc": round(float(test["auc"]), 4),
        "test_acc_at_val_threshold": round(float(test["acc_at_threshold"]), 4),
        "test_acc_at_best": round(float(test["acc_at_best"]), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, nargs="+", required=True, help="run folders (each holds checkpoints/)")
    parser.add_argument("--cache", help="crop cache folder (default: the first run's own setting)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    models = [load_embedder(best_checkpoint(run)) for run in args.runs]
    cfg = OmegaConf.create(models[0][2]["config"])
    scratch = Path(tempfile.mkdtemp(prefix="fc-ensemble-"))
    cfg.data.split_file = None  # rebuild the split, never rewrite a run's files
    if "manifest_file" in cfg.data.source:
        cfg.data.source.manifest_file = str(scratch / "manifest.csv")
    if args.cache and "preprocess" in cfg.data.source:
        cfg.data.source.preprocess.cache_dir = args.cache
    data = instantiate(cfg.data)
    data.setup("fit")
    sets = {"val": data.fixed_pairs("val"), "test": data.fixed_pairs("test")}
    embeddings: dict[str, list[torch.Tensor]] = {k: [] for k in sets}
    report: dict = {"members": []}
    for run, (net, loss, _) in zip(args.runs, models, strict=True):
        scores = {}
        for k, (faces, pairs) in sets.items():
            emb = embed_images(net, faces.images)
            embeddings[k].append(emb)
            scores[k] = pair_scores(loss.score, emb, torch.from_numpy(pairs[:, :2])).numpy()
        report["members"].append({"run": str(run), **summary(scores, sets)})
    score = models[0][1].score
    joint = {}
    for k, (_, pairs) in sets.items():
        emb = torch.cat(embeddings[k], dim=1) / len(models) ** 0.5
        joint[k] = pair_scores(score, emb, torch.from_numpy(pairs[:, :2])).numpy()
    report["ensemble"] = {"size": len(models), **summary(joint, sets)}
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
