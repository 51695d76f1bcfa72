"""Figures of face quality: error-versus-reject curves, the quality histogram, the lowest-quality crops."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from facecompare.evaluation.figures import plt, short_name


def error_versus_reject_figure(curves: dict[str, Any]) -> Figure:
    """FNMR against the share of pairs rejected, one panel per FAR, one line per quality (random dashed)."""
    fars = list(curves["fnmr"])
    fig, axes = plt.subplots(1, len(fars), figsize=(4.2 * len(fars), 3.4), squeeze=False)
    share = 100 * np.asarray(curves["fractions"])
    for ax, far in zip(axes[0], fars, strict=True):
        for name, fnmr in curves["fnmr"][far].items():
            style = {"linestyle": "--", "color": "gray"} if name == "random" else {}
            ax.plot(share, 100 * np.asarray(fnmr), marker=".", label=name, **style)
        ax.set(xlabel="pairs rejected, lowest quality first (%)", ylabel="FNMR (%)", title=f"at FAR {far}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def quality_histogram_figure(quality: np.ndarray, refuse_below: float | None) -> Figure:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(quality, bins=np.linspace(0, 1, 41), color="tab:blue", alpha=0.8)
    if refuse_below is not None:
        ax.axvline(refuse_below, color="k", linestyle="--", label=f"enrolment bar {refuse_below:.2f}")
        ax.legend(fontsize=8)
    ax.set(xlabel="face quality", ylabel="images", title=f"quality of the {len(quality)} test images")
    fig.tight_layout()
    return fig


def worst_quality_figure(images, quality: np.ndarray, files: list[str], count: int = 12) -> Figure:
    """The ``count`` lowest-quality crops (``images`` (N, C, H, W) uint8), each with its quality and file."""
    rows = np.argsort(quality, kind="stable")[:count]
    cols = 6
    fig, axes = plt.subplots(max(1, -(-len(rows) // cols)), cols, figsize=(1.4 * cols, 1.7 * -(-len(rows) // cols)))
    axes = np.atleast_2d(axes)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), rows, strict=False):
        img = images[i].permute(1, 2, 0).numpy()
        ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray")
        ax.set_title(f"{quality[i]:.2f}", fontsize=7)
        ax.text(0.5, -0.04, short_name(files[i], 18), transform=ax.transAxes, ha="center", va="top", fontsize=5)
    fig.tight_layout()
    return fig
