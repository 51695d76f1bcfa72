"""Scoring a checkpoint on insightface's ``.bin`` verification sets, in the form published tables use:
``scripts/evaluate.py bins=[lfw.bin,cfp_fp.bin,agedb_30.bin]``.

As insightface's ``verification.py``: every image embedded with its mirror image added (flip-sum), the pairs
split into 10 consecutive folds, each fold scored at the threshold best on the other nine; accuracy as the
mean ± std over folds. AUC and TAR at FAR come from all pairs. The images are resized from their 112 x 112
alignment (the ArcFace template, as facecompare's own crops) to the checkpoint's size, as aligned crops given
with ``detector=none`` are.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig

from facecompare.atomic import atomic_write_text
from facecompare.data.faceset import hwc_to_tensor
from facecompare.data.sources.insightface_bin import decode, read_bin
from facecompare.evaluation.embedding import pair_scores
from facecompare.evaluation.kfold import kfold_accuracy
from facecompare.evaluation.onnx_embedding import Embed, onnx_embedder
from facecompare.evaluation.protocol import summarise_scores

log = logging.getLogger(__name__)


def score_bin(
    embed: Embed, scorer, path: Path, read: tuple[list[bytes], np.ndarray], size: int, channels: int, folds: int
) -> dict[str, Any]:
    """One ``.bin`` set, ``read`` from ``path`` by ``read_bin``, scored with ``embed`` (onnx_embedding.py):
    10-fold accuracy, AUC, EER and TAR at each FAR, and the pairs counted."""
    encoded, same = read
    crops = decode(path, encoded, size)
    emb = embed(hwc_to_tensor(crops, channels))
    rows = torch.arange(len(encoded)).reshape(-1, 2)
    scores = pair_scores(scorer, emb, rows).numpy()
    fold_of = np.arange(len(same)) * folds // len(same)  # consecutive folds, as insightface's KFold
    k = kfold_accuracy(scores, same, fold_of)
    summary = summarise_scores(scores, same, None, bootstrap=0)
    tars = {key: summary[key] for key in summary if key.startswith("tar@far")}
    return {"set": path.stem, "file": str(path), "pairs": len(same), "genuine_pairs": int(same.sum()),
            "acc": k["mean"], "acc_std": k["std"], "folds": folds, "auc": summary["auc"], "eer": summary["eer"],
            **tars}  # fmt: skip


def evaluate_bins(cfg: DictConfig) -> list[dict[str, Any]]:
    """Every set of ``cfg.bins`` scored with the checkpoint ``cfg.ckpt``; writes metrics.json and report.md."""
    from facecompare.checkpoint import load_embedder

    # every file read (and a pickle that asks for more than data refused) before the checkpoint is loaded and
    # exported: a bad last set is said at once, not after the sets before it were scored
    sets = [(Path(path), read_bin(Path(path))) for path in cfg.bins]
    net, loss, info = load_embedder(cfg.ckpt)
    data = info["config"]["data"]
    size, channels = int(data["image_size"]), int(data["channels"])
    # flip-sum, as insightface scores; a network that averages with the mirror image itself needs no second pass
    own = bool(getattr(net, "flip_average", False))
    flip = cfg.get("flip") or (None if own else "sum")
    embed = onnx_embedder(net, channels, size, flip)
    results = []
    for path, read in sets:
        log.info("scoring %s", path)
        results.append(score_bin(embed, loss.score, path, read, size, channels, int(cfg.bin_folds)))
    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "metrics.json", json.dumps({"checkpoint": str(cfg.ckpt), "flip": flip, "sets": results}))
    shown = flip or ("the network's own mirror averaging (backbone.flip_average)" if own else "none")
    atomic_write_text(out / "report.md", bins_report(str(cfg.ckpt), shown, results))
    return results


def bins_report(checkpoint: str, flip: str, results: list[dict[str, Any]]) -> str:
    fars = sorted({k for r in results for k in r if k.startswith("tar@far")}, key=lambda k: -float(k[7:]))
    tar_heads = " | ".join(f"TAR at FAR {k[7:]}" for k in fars)
    head = f"| set | pairs | accuracy (10-fold, mean ± std) | AUC | EER | {tar_heads}"
    lines = ["# Evaluation: insightface .bin sets", "", f"Checkpoint: `{checkpoint}`  ", f"Flip: {flip}", "",
             head + " |", "|---|---|---|---|---|" + "---|" * len(fars)]  # fmt: skip
    for r in results:
        tars = " | ".join(f"{100 * r[k]:.2f} %" for k in fars)
        lines.append(f"| {r['set']} | {r['pairs']} | {100 * r['acc']:.2f} ± {100 * r['acc_std']:.2f} % | "
                     f"{r['auc']:.4f} | {100 * r['eer']:.2f} % | {tars} |")  # fmt: skip
    return "\n".join(lines) + "\n"
