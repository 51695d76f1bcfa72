"""Fit the epochs and the LR schedule into ``trainer.max_time`` instead of being cut off by it.

A recipe states its length in epochs, and its time on one machine. On a slower machine Lightning's max_time
stops the run mid-schedule: the learning rate still high, the weight average still moving. After each epoch
this callback measures the time an epoch takes (training and validation, the first epoch left out: it holds
start-up work) and, when the configured epochs no longer fit in the time left, lowers ``max_epochs`` to what
fits and makes the schedule end there (schedules.set_total_steps). An early estimate made slow by other work on
the machine is corrected: when the average later says at least ``GROW_BY`` more epochs fit, the plan grows
again, up to the configured epochs. Without max_time it does nothing, so runs without a budget stay
reproducible to the bit. Under DDP rank 0 decides and every process follows.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback, Timer

from facecompare.training.schedules import set_total_steps

log = logging.getLogger(__name__)

# A plan grows back only by this many epochs or more: an estimate wavering by one epoch near the end would
# otherwise move the schedule's end back and forth.
GROW_BY = 2


class FitScheduleToTime(Callback):
    """``reserve_s``: seconds kept back for what follows the last epoch (the test, the final checkpoints)."""

    def __init__(self, reserve_s: float = 60.0) -> None:
        if reserve_s < 0:
            raise ValueError(f"reserve_s must be >= 0, got {reserve_s}")
        self.reserve_s = reserve_s
        self.planned_epochs: int | None = None  # set while the budget shortens the run; kept in checkpoints
        self._configured: int | None = None
        self._first_epoch_end: float | None = None
        self._epochs_timed = 0

    @staticmethod
    def _timer(trainer: pl.Trainer) -> Timer | None:
        return next((cb for cb in trainer.callbacks if isinstance(cb, Timer)), None)

    @staticmethod
    def _steps_per_epoch(trainer: pl.Trainer) -> int:
        return math.ceil(trainer.num_training_batches / trainer.accumulate_grad_batches)

    def _apply(self, trainer: pl.Trainer, epochs: int) -> None:
        trainer.fit_loop.max_epochs = epochs
        for config in trainer.lr_scheduler_configs:
            set_total_steps(config.scheduler, epochs * self._steps_per_epoch(trainer))

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._configured = trainer.fit_loop.max_epochs
        # a resumed run continues the shortened schedule it was on (its state came with the checkpoint)
        if self.planned_epochs is not None:
            self._apply(trainer, self.planned_epochs)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        timer = self._timer(trainer)
        if timer is None or trainer.sanity_checking:
            return
        elapsed = timer.time_elapsed("train")
        if self._first_epoch_end is None:
            self._first_epoch_end = elapsed
            return
        self._epochs_timed += 1
        per_epoch = (elapsed - self._first_epoch_end) / self._epochs_timed
        done = trainer.current_epoch + 1
        left = timer.time_remaining("train") - self.reserve_s
        fits = done + max(0, math.floor(left / per_epoch)) if per_epoch > 0 else trainer.fit_loop.max_epochs
        configured = self._configured or trainer.fit_loop.max_epochs
        planned = self.planned_epochs or configured
        epochs = trainer.strategy.broadcast(max(done, min(configured, fits)), src=0)
        grow = epochs > planned and epochs >= min(configured, planned + GROW_BY)
        if epochs < planned or grow:
            self.planned_epochs = epochs if epochs < configured else None
            self._apply(trainer, epochs)
            log.info(
                "time budget: %d epochs fit in trainer.max_time (%.0f s an epoch); the schedule now ends at "
                "epoch %d instead of %d",
                epochs, per_epoch, epochs, planned,
            )  # fmt: skip

    def state_dict(self) -> dict[str, Any]:
        return {"planned_epochs": self.planned_epochs}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.planned_epochs = state_dict.get("planned_epochs")
