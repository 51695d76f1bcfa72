"""An exponential moving average of the weights, on Lightning's WeightAveraging."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import WeightAveraging
from pytorch_lightning.trainer.states import TrainerFn
from torch import Tensor

from facecompare.errors import ConfigError


class WeightEMA(WeightAveraging):
    """Lightning's weight averaging as an exponential moving average of the parameters and the float buffers
    (BatchNorm statistics), updated after every optimizer step. Validation, early stopping, the checkpoints'
    ``state_dict`` (the raw weights ride along for resuming), the calibrated threshold, the test and the
    exported model all see the average.

    Integer buffers (BatchNorm's batch counter, margin-softmax's label -> class table) take the model's
    value: torch's EMA would round ``0.999 * v + 0.001 * v`` back into an integer, which can land on v - 1.

    ``warmup`` (TensorFlow's ``ExponentialMovingAverage`` with ``num_updates``): after t updates the decay is
    ``min(decay, (1 + t) / (10 + t))``, so the average spans roughly the last tenth of the steps so far until
    that reaches ``1 / (1 - decay)`` steps. Without it a short run's average keeps most of its random start:
    after 640 steps (the default synthetic run) 0.999 still gives the initial weights 0.999^640 = 53 %.
    """

    def __init__(self, decay: float = 0.999, warmup: bool = True) -> None:
        if not 0.0 < decay < 1.0:
            raise ConfigError(f"callbacks.ema.decay must be in (0, 1), got {decay}")
        self.decay, self.warmup = decay, bool(warmup)

        def update(averaged: list[Tensor], current: list[Tensor], count: Tensor) -> None:
            # torch groups the tensors by dtype before calling this, so one check covers the group
            if not torch.is_floating_point(averaged[0]):
                for mine, theirs in zip(averaged, current, strict=True):
                    mine.copy_(theirs)
                return
            # count: the updates averaged so far (>= 1: the first one copies the model). The weight stays a
            # tensor on the model's device so that a GPU run does not stop to read it at every step.
            weight: Tensor | float = 1.0 - decay
            if self.warmup:
                weight = torch.clamp(9.0 / (10.0 + count), min=1.0 - decay).to(averaged[0].dtype)
            torch._foreach_lerp_(averaged, current, weight)

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
