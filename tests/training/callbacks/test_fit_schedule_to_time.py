"""FitScheduleToTime: a run that would overrun trainer.max_time gets fewer epochs and a schedule that ends."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from facecompare.checkpoint import read_checkpoint
from facecompare.training import schedules
from facecompare.training.callbacks.fit_schedule_to_time import FitScheduleToTime
from facecompare.training.train import train


class FakeTimer:
    """Each epoch takes ``per_epoch`` seconds (the first also ``startup``), out of ``budget``."""

    def __init__(self, trainer, per_epoch: float, budget: float, startup: float = 0.0) -> None:
        self.trainer, self.per_epoch, self.budget, self.startup = trainer, per_epoch, budget, startup

    def time_elapsed(self, stage: str) -> float:
        return self.startup + self.per_epoch * (self.trainer.current_epoch + 1)

    def time_remaining(self, stage: str) -> float:
        return self.budget - self.time_elapsed(stage)


@pytest.mark.slow
def test_a_tight_budget_ends_the_cosine_at_the_epoch_that_fits(make_cfg, monkeypatch):
    # 10 s epochs (the first 25 s with start-up), 75 s in all, 5 s reserve: after epoch 2 (35 s) 35 s are
    # left, 3 more epochs fit, so 5 epochs of the 8 configured, and the cosine reaches its floor at the last
    timers = []

    def fake(trainer):
        timers.append(FakeTimer(trainer, per_epoch=10, budget=75, startup=15))
        return timers[-1]

    monkeypatch.setattr(FitScheduleToTime, "_timer", staticmethod(fake))
    cfg = make_cfg("trainer.max_epochs=8", "scheduler=cosine", "callbacks.time_budget.reserve_s=5", "test=false")
    train(cfg)
    last = read_checkpoint(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")
    assert last["epoch"] == 4  # 0-based: five epochs ran
    state = next(v for k, v in last["callbacks"].items() if k.startswith("FitScheduleToTime"))
    assert state == {"planned_epochs": 5}
    base, floor = cfg.optimizer.lr, cfg.scheduler.min_lr_ratio
    assert last["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(base * floor)


@pytest.mark.slow
@pytest.mark.parametrize("max_time", [None, "00:01:00:00"])
def test_a_run_that_fits_is_left_alone(make_cfg, max_time):
    # no max_time: no Timer at all; an hour: Lightning's real Timer, and three tiny epochs fit easily
    extra = [f"trainer.max_time={max_time}"] if max_time else []
    cfg = make_cfg("trainer.max_epochs=3", "test=false", *extra)
    train(cfg)
    last = read_checkpoint(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")
    assert last["epoch"] == 2
    state = next(v for k, v in last["callbacks"].items() if k.startswith("FitScheduleToTime"))
    assert state == {"planned_epochs": None}


def _trainer(max_epochs: int, steps: int):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = schedules.cosine(opt, total_steps=max_epochs * steps, warmup=0.0, min_lr_ratio=0.0)
    return SimpleNamespace(
        fit_loop=SimpleNamespace(max_epochs=max_epochs),
        lr_scheduler_configs=[SimpleNamespace(scheduler=sched)],
        num_training_batches=steps,
        accumulate_grad_batches=1,
    )


def test_a_resumed_run_keeps_its_shortened_schedule():
    trainer = _trainer(max_epochs=10, steps=7)
    callback = FitScheduleToTime()
    callback.load_state_dict({"planned_epochs": 6})
    callback.on_train_start(trainer, None)
    assert trainer.fit_loop.max_epochs == 6
    assert trainer.lr_scheduler_configs[0].scheduler.lr_lambdas[0].horizon == {"total": 42}


def test_a_plan_cut_by_one_slow_epoch_grows_back():
    # epoch 1 takes 50 s (other work on the machine), every other 10 s; 200 s in all, 5 s reserve, 12 epochs
    trainer = _trainer(max_epochs=12, steps=7)
    ends = list(np.cumsum([10, 50] + [10] * 10))
    timer = SimpleNamespace(
        time_elapsed=lambda stage: ends[trainer.current_epoch],
        time_remaining=lambda stage: 200 - ends[trainer.current_epoch],
    )
    trainer.callbacks, trainer.sanity_checking = [], False
    trainer.strategy = SimpleNamespace(broadcast=lambda value, src: value)
    callback = FitScheduleToTime(reserve_s=5)
    callback._timer = lambda trainer: timer
    callback.on_train_start(trainer, None)
    plans = []
    for epoch in range(12):
        trainer.current_epoch = epoch
        callback.on_train_epoch_end(trainer, None)
        if epoch < trainer.fit_loop.max_epochs:
            plans.append(trainer.fit_loop.max_epochs)
    # after epoch 1: 50 s an epoch, 4 fit; then the average falls (30, 23, 20, 18, 17 s): 7, no change at 8
    # (less than GROW_BY more), 10, no change at 11, and at 12 the configured schedule again
    assert plans == [12, 4, 7, 7, 10, 10, 12, 12, 12, 12, 12, 12]
    assert callback.state_dict() == {"planned_epochs": None}
    assert trainer.lr_scheduler_configs[0].scheduler.lr_lambdas[0].horizon == {"total": 84}


def test_reserve_must_not_be_negative():
    with pytest.raises(ValueError, match="reserve_s must be >= 0"):
        FitScheduleToTime(reserve_s=-1)
