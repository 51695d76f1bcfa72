"""One evaluation set scored end to end: embed each image once, score the pairs, summarise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from facecompare.errors import FacecompareError
from facecompare.evaluation.embedding import embed_images, pair_scores
from facecompare.evaluation.metrics import PairMetrics
from facecompare.evaluation.resampling import accuracy_at, bootstrap_ci
from facecompare.evaluation.thresholds import best_accuracy_threshold

FARS = (1e-1, 1e-2, 1e-3)


def summarise_scores(
    scores: np.ndarray,
    same: np.ndarray,
    threshold: float | None = None,
    fars: Sequence[float] = FARS,
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """ROC AUC, EER, best-threshold accuracy, TAR at each FAR, and with ``threshold`` (calibrated elsewhere)
    the accuracy/FAR/FRR there, plus bootstrap 95 % intervals for accuracy and AUC."""
    same = np.asarray(same).astype(np.int64)
    if len(same) == 0 or same.all() or not same.any():
        raise FacecompareError(
            f"the evaluation set needs genuine and impostor pairs, got {int(same.sum())} and {int((1 - same).sum())}"
        )
    metrics = PairMetrics(fars)
    metrics.update(torch.as_tensor(scores, dtype=torch.float32), torch.as_tensor(same))
    out: dict[str, Any] = metrics.compute(threshold)
    out["best_threshold"], out["acc_at_best"] = best_accuracy_threshold(scores, same)
    ci_threshold = out["best_threshold"] if threshold is None else threshold
    if threshold is not None:
        out["acc_at_threshold"] = accuracy_at(scores, same, threshold)
        out["threshold"] = float(threshold)
    if bootstrap:
        ci = bootstrap_ci(scores, same, ci_threshold, rounds=bootstrap, seed=seed)
        out["acc_ci95"], out["auc_ci95"] = list(ci["acc"]), list(ci["auc"])
    out["genuine_pairs"], out["impostor_pairs"] = int(same.sum()), int((1 - same).sum())
    return out


def embed_pairs(
    net: nn.Module,
    images: Tensor,
    pairs: np.ndarray,
    flip: str | None = None,
    batch_size: int = 256,
    device: str = "cpu",
) -> tuple[Tensor, np.ndarray, Tensor]:
    """Embeddings of the images some (M, 3) [i, j, same] pair uses, each once: (embeddings, the image index
    of each embedding, the pairs as rows into the embeddings)."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 3)
    used = np.unique(pairs[:, :2])
    remap = np.full(len(images), -1, np.int64)
    remap[used] = np.arange(len(used))
    emb = embed_images(net, images[torch.from_numpy(used)], batch_size=batch_size, flip=flip, device=device)
    return emb, used, torch.from_numpy(remap[pairs[:, :2]])


def score_embedded(
    scorer: Callable[[Tensor, Tensor], Tensor], emb: Tensor, used: np.ndarray, rows: Tensor
) -> tuple[np.ndarray, dict[str, int]]:
    """``embed_pairs``'s pairs scored: the scores and counts (pairs, unique images, embeddings computed)."""
    counts = {"pairs": len(rows), "unique_images": len(used), "embeddings": len(emb)}
    return pair_scores(scorer, emb, rows).numpy(), counts


def score_set(
    net: nn.Module,
    scorer: Callable[[Tensor, Tensor], Tensor],
    images: Tensor,
    pairs: np.ndarray,
    flip: str | None = None,
    batch_size: int = 256,
    device: str = "cpu",
) -> tuple[np.ndarray, dict[str, int]]:
    """Scores of (M, 3) [i, j, same] ``pairs`` into ``images``; only images some pair uses are embedded,
    each once. Returns the scores and counts (pairs, unique images, embeddings computed)."""
    return score_embedded(scorer, *embed_pairs(net, images, pairs, flip, batch_size, device))
