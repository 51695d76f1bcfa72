"""``scripts/evaluate.py ijb=/path/to/IJB_release/IJBC``: a checkpoint on IJB-C (or ``ijb_name=IJBB``) 1:1."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from facecompare.atomic import atomic_write_text
from facecompare.data.faceset import hwc_to_tensor
from facecompare.evaluation.embedding import embed_images
from facecompare.evaluation.figures import roc_det_figure, save
from facecompare.evaluation.ijb import FARS, ijb_scores
from facecompare.evaluation.protocol import summarise_scores

log = logging.getLogger(__name__)


def evaluate_ijb(cfg: DictConfig) -> dict[str, Any]:
    from facecompare.checkpoint import load_embedder

    net, _, info = load_embedder(cfg.ckpt)
    data = info["config"]["data"]
    size = int(data["image_size"])
    # aligned as the training crops were: the same template and margin
    margin = float(((data.get("source") or {}).get("preprocess") or {}).get("margin") or 0.0)
    alignment = str(data.get("alignment") or "arcface")
    flip = cfg.get("flip") or (None if getattr(net, "flip_average", False) else "sum")

    def embed(crops: np.ndarray) -> np.ndarray:
        return embed_images(net, hwc_to_tensor(crops, int(data["channels"])), flip=flip).numpy()

    cosine, same = ijb_scores(embed, Path(cfg.ijb), cfg.ijb_name, size, margin, alignment)
    scores = (1.0 + cosine) / 2.0  # facecompare's [0, 1] scale; the ranking, and so every TAR, is the cosine's
    summary = summarise_scores(scores, same, None, fars=FARS, bootstrap=0)
    result = {"checkpoint": str(cfg.ckpt), "set": cfg.ijb_name, "root": str(cfg.ijb), "flip": flip,
              "pairs": len(same), "genuine_pairs": int(same.sum()), **summary}  # fmt: skip
    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    save(roc_det_figure({cfg.ijb_name: (scores, same)}), out / "roc_det.png")
    atomic_write_text(out / "metrics.json", json.dumps(result, default=float))
    tars = [k for k in summary if k.startswith("tar@far")]
    lines = [f"# Evaluation: {cfg.ijb_name} 1:1 (template protocol)", "", f"Checkpoint: `{cfg.ckpt}`  ",
             f"{len(same)} template pairs ({int(same.sum())} genuine), AUC {summary['auc']:.4f}", "",
             "| " + " | ".join(f"TAR at FAR {k[7:]}" for k in tars) + " |", "|" + "---|" * len(tars),
             "| " + " | ".join(f"{100 * summary[k]:.2f} %" for k in tars) + " |", "",
             "![ROC and DET](roc_det.png)"]  # fmt: skip
    atomic_write_text(out / "report.md", "\n".join(lines) + "\n")
    return result
