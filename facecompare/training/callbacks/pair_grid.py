"""A grid of scored validation pairs in TensorBoard, so a run's mistakes can be looked at."""

from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
import torch
from PIL import Image, ImageDraw
from pytorch_lightning.loggers import TensorBoardLogger


def draw_pair_grid(
    a: np.ndarray, b: np.ndarray, same: np.ndarray, scores: np.ndarray, threshold: float | None
) -> np.ndarray:
    """Rows of [image a | image b | caption]; the caption colour says right (green) or wrong (red) at
    ``threshold``. Inputs are (N, H, W, C) uint8; returns (H', W', 3) uint8."""
    n, h, w = a.shape[:3]
    caption_w = 96
    canvas = Image.new("RGB", (2 * w + caption_w, n * h), (24, 24, 24))
    draw = ImageDraw.Draw(canvas)
    for i in range(n):
        for col, img in enumerate((a[i], b[i])):
            tile = Image.fromarray(img.squeeze(-1) if img.shape[-1] == 1 else img).convert("RGB")
            canvas.paste(tile, (col * w, i * h))
        label = "same" if same[i] else "different"
        colour = (200, 200, 200)
        if threshold is not None:
            colour = (80, 220, 80) if (scores[i] >= threshold) == bool(same[i]) else (240, 80, 80)
        draw.text((2 * w + 6, i * h + 4), f"{label}\n{scores[i]:.3f}", fill=colour)
    return np.asarray(canvas)


class PairGridLogger(pl.Callback):
    """After each validation, logs the first ``num_pairs`` fixed validation pairs with their scores to
    TensorBoard. Turn it off (``callbacks.pair_grid=null``) if face images must not enter the logs."""

    def __init__(self, num_pairs: int = 8) -> None:
        self.num_pairs = num_pairs
        self._scored: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Scored here, with the weights validation used (callbacks=ema swaps its average out in its own
        # epoch-end hook, which comes after this one), but drawn in on_validation_end: Lightning runs the
        # module's epoch-end hook, which sets this epoch's threshold, after the callbacks' hooks.
        loggers = [lg for lg in trainer.loggers if isinstance(lg, TensorBoardLogger)]
        if trainer.sanity_checking or not loggers or not trainer.is_global_zero:
            return
        faces, pairs = trainer.datamodule.fixed_pairs("val")
        pairs = pairs[: self.num_pairs]
        a, b = faces.images[pairs[:, 0]], faces.images[pairs[:, 1]]
        with torch.no_grad():
            scores = pl_module.score(a.to(pl_module.device), b.to(pl_module.device)).float().cpu().numpy()
        self._scored = (a.permute(0, 2, 3, 1).numpy(), b.permute(0, 2, 3, 1).numpy(), pairs[:, 2], scores)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._scored is None:
            return
        grid = draw_pair_grid(*self._scored, getattr(pl_module, "threshold", None))
        self._scored = None
        for lg in trainer.loggers:
            if isinstance(lg, TensorBoardLogger):
                lg.experiment.add_image("val/pairs", grid, trainer.global_step, dataformats="HWC")
