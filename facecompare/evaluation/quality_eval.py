"""Face quality in an evaluation: fit the training-free quality model (inference/quality.py) on calibration
crops, score the test faces, and measure what rejecting the lowest-quality pairs does to the errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from facecompare.data.sources.pair_sets import EvalSet
from facecompare.evaluation.embedding import embed_images
from facecompare.evaluation.figures import save
from facecompare.evaluation.quality_figures import (
    error_versus_reject_figure,
    quality_histogram_figure,
    worst_quality_figure,
)
from facecompare.evaluation.reject import error_versus_reject
from facecompare.inference.branch_quality import BranchQuality, branch_layers
from facecompare.inference.quality import Embed, EmbeddingQuality
from facecompare.inference.quality_head import LearnedQuality

log = logging.getLogger(__name__)
QUALITY_SUFFIX = ".quality.json"  # beside the checkpoint, as the threshold; scripts/export.py puts it in the bundle
BRANCH_SUFFIX = ".quality_learned.json"  # the trained quality branch's, likewise
FIT_IMAGES = 600


def _fit_crops(images: torch.Tensor, seed: int) -> np.ndarray:
    """Up to FIT_IMAGES of ``images`` ((N, C, H, W) uint8), a seeded random choice, as (n, H, W, C) crops."""
    rows = np.sort(np.random.default_rng(seed).permutation(len(images))[:FIT_IMAGES])
    return images[torch.from_numpy(rows)].permute(0, 2, 3, 1).numpy()


def _embedder(net: nn.Module, flip: str | None) -> Embed:
    def embed(batch: np.ndarray) -> np.ndarray:
        return embed_images(net, torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2), flip=flip).numpy()

    return embed


def fit_quality(
    net: nn.Module, images: torch.Tensor, source: str, flip: str | None, seed: int
) -> EmbeddingQuality | None:
    """The quality model fitted on up to FIT_IMAGES of ``images`` ((N, C, H, W) uint8 crops of ``source``);
    None (with a warning) where the model's embeddings do not set degraded faces apart."""
    try:
        return EmbeddingQuality.fit(_embedder(net, flip), _fit_crops(images, seed))
    except ValueError as err:
        log.warning("no face quality model from %s: %s", source, err)
        return None


def fit_branch(
    branch: nn.Module, net: nn.Module, images: torch.Tensor, source: str, flip: str | None, seed: int
) -> BranchQuality | None:
    """The trained quality branch (models/quality_branch.py) put on the quality scale with the same crops as
    ``fit_quality``; None (with a warning) where it does not score degraded copies lower."""
    try:
        return BranchQuality.fit(branch_layers(branch), _embedder(net, flip), _fit_crops(images, seed))
    except ValueError as err:
        log.warning("no learned quality from the quality branch on %s: %s", source, err)
        return None


def quality_report(
    model: EmbeddingQuality,
    test: EvalSet,
    test_emb: torch.Tensor,
    test_used: np.ndarray,
    scores: np.ndarray,
    seed: int,
    out: Path,
    learned: LearnedQuality | None = None,
    branch: BranchQuality | None = None,
) -> dict[str, Any]:
    """Each test image's quality, error-versus-reject curves for the quality, each of its two factors, the
    ``learned`` (ridge) and ``branch`` (trained with the network) qualities where given, and random rejection,
    and the figures (written to ``out``)."""
    legible, distinct = (np.full(len(test.images), np.nan) for _ in range(2))
    legible[test_used], distinct[test_used] = model.parts(test_emb.numpy())
    quality = legible * distinct

    def pair(values: np.ndarray) -> np.ndarray:
        return np.minimum(values[test.pairs[:, 0]], values[test.pairs[:, 1]])

    named = {"quality": pair(quality), "legibility only": pair(legible), "distinctiveness only": pair(distinct)}
    if learned is not None:
        taught = np.full(len(test.images), np.nan)
        taught[test_used] = learned.quality(test_emb.numpy())
        named["learned (ridge to identity centre)"] = pair(taught)
    if branch is not None:
        trained = np.full(len(test.images), np.nan)
        trained[test_used] = branch.quality(test_emb.numpy())
        named["learned (quality branch)"] = pair(trained)
    curves = error_versus_reject(scores, test.pairs[:, 2], named, seed=seed)
    used = quality[test_used]
    figures = {
        "error_versus_reject": error_versus_reject_figure(curves),
        "quality": quality_histogram_figure(used, model.refuse_below),
        "worst_quality": worst_quality_figure(
            test.images[torch.from_numpy(test_used)], used, [test.files[i] for i in test_used]
        ),
    }
    written = {name: save(fig, out / f"{name}.png").name for name, fig in figures.items()}
    return {
        "method": "embedding",
        "refuse_below": model.refuse_below,
        "mean": float(used.mean()),
        "below_bar": int((used < model.refuse_below).sum()),
        "images": len(used),
        "error_versus_reject": curves,
        "figures": written,
    }


def fit_learned(emb: torch.Tensor, names: list[str], source: str) -> LearnedQuality | None:
    """The learned quality (inference/quality_head.py) fitted on labelled calibration crops, for comparison."""
    labels = np.unique(np.asarray(names, dtype=object), return_inverse=True)[1]
    try:
        return LearnedQuality.fit(emb.numpy(), labels)
    except ValueError as err:
        log.warning("no learned quality from %s: %s", source, err)
        return None
