"""Learning-rate schedules with linear warm-up, stepped every optimizer step.

They are built by the LightningModule once the trainer knows the total number of steps, so configs speak
in fractions of training rather than in epochs or step counts that change with the data size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from facecompare.errors import ConfigError


def _check(total_steps: float, warmup: float) -> int:
    if not math.isfinite(total_steps) or total_steps < 1:
        raise ConfigError(f"an LR schedule needs a finite trainer.max_epochs or max_steps, got {total_steps} steps")
    if not 0 <= warmup < 1:
        raise ConfigError(f"scheduler.warmup must be a fraction of training in [0, 1), got {warmup}")
    return int(total_steps)


def _with_warmup(total: int, warmup: float, after: Callable[[float], float]) -> Callable[[int], float]:
    warm_steps = round(total * warmup)
    # a dict on the function, not a callable object: LambdaLR would save an object's attributes in the
    # checkpoint, functions among them, and weights_only loading refuses those
    horizon = {"total": total}

    def factor(step: int) -> float:
        if step < warm_steps:
            return (step + 1) / warm_steps
        return after(min(1.0, (step - warm_steps) / max(1, horizon["total"] - warm_steps)))

    factor.horizon = horizon  # type: ignore[attr-defined]
    return factor


def set_total_steps(scheduler: LambdaLR, total_steps: int) -> bool:
    """Make a schedule of this module end at ``total_steps`` instead (the warm-up keeps its length), e.g. when
    a time budget allows fewer epochs than configured. False for a scheduler built elsewhere."""
    lambdas = [getattr(fn, "horizon", None) for fn in getattr(scheduler, "lr_lambdas", [])]
    if not lambdas or any(h is None for h in lambdas):
        return False
    for horizon in lambdas:
        horizon["total"] = max(1, int(total_steps))
    return True


def constant(optimizer: Optimizer, total_steps: float, warmup: float = 0.0) -> LambdaLR:
    """The base LR throughout, after an optional linear warm-up."""
    return LambdaLR(optimizer, _with_warmup(_check(total_steps, warmup), warmup, lambda _: 1.0))


def cosine(optimizer: Optimizer, total_steps: float, warmup: float = 0.05, min_lr_ratio: float = 0.01) -> LambdaLR:
    """Warm up linearly, then follow a half cosine from the base LR down to ``min_lr_ratio`` x base LR."""
    total = _check(total_steps, warmup)
    if not 0 <= min_lr_ratio <= 1:
        raise ConfigError(f"scheduler.min_lr_ratio must be in [0, 1], got {min_lr_ratio}")

    def after(progress: float) -> float:
        return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return LambdaLR(optimizer, _with_warmup(total, warmup, after))


def step(
    optimizer: Optimizer,
    total_steps: float,
    warmup: float = 0.05,
    milestones: Sequence[float] = (0.5, 0.75),
    gamma: float = 0.1,
) -> LambdaLR:
    """Warm up linearly, then multiply the LR by ``gamma`` at each milestone (fractions of the post-warm-up
    training)."""
    total = _check(total_steps, warmup)
    milestones = sorted(milestones)
    if any(not 0 < m < 1 for m in milestones):
        raise ConfigError(f"scheduler.milestones must be fractions in (0, 1), got {list(milestones)}")
    if not 0 < gamma <= 1:
        raise ConfigError(f"scheduler.gamma must be in (0, 1], got {gamma}")
    return LambdaLR(optimizer, _with_warmup(total, warmup, lambda p: gamma ** sum(p >= m for m in milestones)))
