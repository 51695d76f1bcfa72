"""Evaluation figures: ROC and DET curves, score histograms, the worst mistakes, training curves."""

from __future__ import annotations

from pathlib import Path, PurePath

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure


def _probit(p: np.ndarray) -> np.ndarray:
    """The normal deviate of a probability: DET axes make Gaussian score distributions straight lines."""
    return torch.special.ndtri(torch.as_tensor(p, dtype=torch.float64)).numpy()


def _roc(scores: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-scores, kind="stable")
    g = same[order].astype(bool)
    tpr = np.r_[0, np.cumsum(g) / max(1, g.sum())]
    fpr = np.r_[0, np.cumsum(~g) / max(1, (~g).sum())]
    return fpr, tpr


def roc_det_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> Figure:
    """ROC (TAR vs FAR, log FAR) and DET (FRR vs FAR on normal-deviate axes) for each named score set."""
    fig, (roc, det) = plt.subplots(1, 2, figsize=(10, 4.2))
    ticks = np.array([1e-3, 1e-2, 0.05, 0.2, 0.5])
    for name, (scores, same) in curves.items():
        fpr, tpr = _roc(np.asarray(scores), np.asarray(same))
        roc.plot(np.maximum(fpr, 1e-4), tpr, label=name)
        eps = 1e-4
        det.plot(_probit(np.clip(fpr, eps, 1 - eps)), _probit(np.clip(1 - tpr, eps, 1 - eps)), label=name)
    roc.set(xscale="log", xlim=(1e-3, 1), ylim=(0, 1), xlabel="false accept rate", ylabel="true accept rate")
    roc.set_title("ROC")
    det.set(xticks=_probit(ticks), yticks=_probit(ticks), xlabel="false accept rate", ylabel="false reject rate")
    det.set(xlim=_probit(np.array([5e-4, 0.8])), ylim=_probit(np.array([5e-4, 0.8])))
    det.set_xticklabels([f"{t:g}" for t in ticks])
    det.set_yticklabels([f"{t:g}" for t in ticks])
    det.set_title("DET")
    for ax in (roc, det):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def histogram_figure(scores: np.ndarray, same: np.ndarray, threshold: float | None) -> Figure:
    fig, ax = plt.subplots(figsize=(6, 3.6))
    bins = np.linspace(0, 1, 51)
    same = np.asarray(same).astype(bool)
    ax.hist(scores[same], bins=bins, alpha=0.6, label=f"genuine ({same.sum()})", color="tab:green")
    ax.hist(scores[~same], bins=bins, alpha=0.6, label=f"impostor ({(~same).sum()})", color="tab:red")
    if threshold is not None:
        ax.axvline(threshold, color="k", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set(xlabel="score", ylabel="pairs", title="genuine vs impostor scores")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def short_name(path: str, width: int = 32) -> str:
    """A photo's name for a figure: the file, after its person folder unless the name repeats it (LFW's
    ``Name/Name_0001.jpg``), with the middle left out beyond ``width`` characters (the end tells photos apart)."""
    parts = PurePath(path).parts
    name = parts[-1] if len(parts) < 2 or parts[-1].startswith(parts[-2]) else f"{parts[-2]}/{parts[-1]}"
    if len(name) <= width:
        return name
    head = (width - 1) // 2
    return f"{name[:head]}…{name[head + 1 - width :]}"


def mistakes_figure(
    images, pairs: np.ndarray, scores: np.ndarray, threshold: float, files: list[str], count: int = 6
) -> Figure:
    """The ``count`` worst false accepts (highest-scoring impostors) and false rejects (lowest genuines), each
    image named by its file (``files[i]``: image i's)."""
    same = pairs[:, 2].astype(bool)
    fa = [i for i in np.argsort(-scores) if not same[i] and scores[i] >= threshold][:count]
    fr = [i for i in np.argsort(scores) if same[i] and scores[i] < threshold][:count]
    rows = [("false accept", i) for i in fa] + [("false reject", i) for i in fr]
    fig, axes = plt.subplots(max(1, len(rows)), 2, figsize=(4.4, 1.8 * max(1, len(rows))), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for r, (kind, i) in enumerate(rows):
        for c in range(2):
            img = images[pairs[i, c]].permute(1, 2, 0).numpy()
            axes[r, c].imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray")
            name = short_name(files[pairs[i, c]])
            axes[r, c].text(0.5, -0.03, name, transform=axes[r, c].transAxes, ha="center", va="top", fontsize=6)
        axes[r, 0].set_title(f"{kind} {scores[i]:.3f}", fontsize=7, loc="left")
    fig.tight_layout()
    return fig


def training_curves_figure(scalars: dict[str, list[tuple[int, float]]]) -> Figure | None:
    """Loss and validation curves of a training run, from its TensorBoard scalars ({tag: [(step, value)]})."""
    wanted = [t for t in ("train/loss", "val/auc", "val/acc") if scalars.get(t)]
    if not wanted:
        return None
    fig, axes = plt.subplots(1, len(wanted), figsize=(4 * len(wanted), 3.2), squeeze=False)
    for ax, tag in zip(axes[0], wanted, strict=True):
        steps, values = zip(*scalars[tag], strict=True)
        ax.plot(steps, values)
        ax.set(title=tag, xlabel="step")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
