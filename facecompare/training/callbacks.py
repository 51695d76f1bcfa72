"""Callbacks: the run's config inside each checkpoint, a grid of scored validation pairs, hard negatives, an
exponential moving average of the weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from PIL import Image, ImageDraw
from pytorch_lightning.callbacks import WeightAveraging
from pytorch_lightning.loggers import TensorBoardLogger
from pytorch_lightning.trainer.states import TrainerFn
from torch import Tensor
from torch.optim.swa_utils import get_ema_multi_avg_fn

from facecompare.errors import ConfigError

CONFIG_KEY = "facecompare_config"
IDENTITIES_KEY = "facecompare_train_identities"


class RecordConfig(pl.Callback):
    """Stores the resolved run config (plain containers only, so ``weights_only=True`` loads it) and the
    names of the training identities in every checkpoint: tools rebuild the network from it without the
    original config files, and evaluation checks for identity leakage."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        checkpoint[CONFIG_KEY] = self.config
        # The people the model learnt from, so evaluation can warn when a test pair involves one of them.
        faces = getattr(getattr(trainer, "datamodule", None), "faces", None)
        if faces is not None:
            train = faces.train
            checkpoint[IDENTITIES_KEY] = sorted({train.names[i] for i in np.unique(train.labels)})


def pair_grid(
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

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        loggers = [lg for lg in trainer.loggers if isinstance(lg, TensorBoardLogger)]
        if trainer.sanity_checking or not loggers or not trainer.is_global_zero:
            return
        faces, pairs = trainer.datamodule.fixed_pairs("val")
        pairs = pairs[: self.num_pairs]
        a, b = faces.images[pairs[:, 0]], faces.images[pairs[:, 1]]
        with torch.no_grad():
            scores = pl_module.score(a.to(pl_module.device), b.to(pl_module.device)).float().cpu().numpy()
        grid = pair_grid(
            a.permute(0, 2, 3, 1).numpy(),
            b.permute(0, 2, 3, 1).numpy(),
            pairs[:, 2],
            scores,
            getattr(pl_module, "threshold", None),
        )
        for lg in loggers:
            lg.experiment.add_image("val/pairs", grid, trainer.global_step, dataformats="HWC")


class HardNegativeMining(pl.Callback):
    """From ``start_epoch`` on, embeds the training images with the current model at the start of each epoch
    and lets the pair sampler swap ``fraction`` of its impostor pairs for the closest other-person images
    among ``pool`` random candidates. ``fraction: 0`` (the default) does nothing and costs nothing. Only
    pair batches (contrastive, binary) use it; triplet mining already finds hard negatives in each batch."""

    def __init__(self, fraction: float = 0.0, start_epoch: int = 1, pool: int = 64, batch_size: int = 256) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"callbacks.hard_negatives.fraction must be in [0, 1], got {fraction}")
        self.fraction, self.start_epoch, self.pool, self.batch_size = fraction, start_epoch, pool, batch_size

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        sampler = getattr(trainer.train_dataloader, "sampler", None)
        if self.fraction <= 0 or trainer.current_epoch < self.start_epoch or not hasattr(sampler, "set_embeddings"):
            return
        images = trainer.datamodule.faces.train.images
        was_training = pl_module.training
        pl_module.eval()
        with torch.no_grad():
            chunks = [
                pl_module.embed(images[i : i + self.batch_size].to(pl_module.device)).float().cpu()
                for i in range(0, len(images), self.batch_size)
            ]
        pl_module.train(was_training)
        sampler.hard_pool = self.pool
        sampler.set_embeddings(torch.cat(chunks).numpy(), self.fraction)


class WeightEMA(WeightAveraging):
    """Lightning's weight averaging as an exponential moving average of the parameters and the float buffers
    (BatchNorm statistics), updated after every optimizer step. Validation, early stopping, the checkpoints'
    ``state_dict`` (the raw weights ride along for resuming), the calibrated threshold, the test and the
    exported model all see the average.

    Integer buffers (BatchNorm's batch counter, margin-softmax's label -> class table) take the model's
    value: torch's EMA would round ``0.999 * v + 0.001 * v`` back into an integer, which can land on v - 1.
    """

    def __init__(self, decay: float = 0.999) -> None:
        if not 0.0 < decay < 1.0:
            raise ConfigError(f"callbacks.ema.decay must be in (0, 1), got {decay}")
        self.decay = decay
        average_floats = get_ema_multi_avg_fn(decay)

        def update(averaged: list[Tensor], current: list[Tensor], count: Tensor) -> None:
            # torch groups the tensors by dtype before calling this, so one check covers the group
            if torch.is_floating_point(averaged[0]):
                average_floats(averaged, current, count)
            else:
                for mine, theirs in zip(averaged, current, strict=True):
                    mine.copy_(theirs)

        super().__init__(multi_avg_fn=update)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        # Lightning builds the average here, but calls the callbacks' setup before the module's, which may still
        # add parameters (margin-softmax sizes its classes there): the copy would lack them and the two
        # parameter lists would no longer line up. Built once the module is complete instead (_build).
        if stage == "fit":
            self._average_model = None

    def _build(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._average_model is None:
            super().setup(trainer, pl_module, "fit")

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._build(trainer, pl_module)

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        # Lightning puts the raw weights back whenever the callback holds an average, which after fit() includes
        # trainer.test(ckpt_path=best): the test would then score other weights than validation calibrated the
        # threshold on. Only resuming a fit needs the raw weights; everything else keeps the average.
        if trainer.state.fn == TrainerFn.FITTING:
            self._build(trainer, pl_module)  # restoring comes before on_fit_start
            super().on_load_checkpoint(trainer, pl_module, checkpoint)
