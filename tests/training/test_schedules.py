import itertools
import math

import pytest
import torch

from facecompare.errors import ConfigError
from facecompare.training import schedules


def lrs(scheduler, steps):
    out = []
    for _ in range(steps):
        out.append(scheduler.get_last_lr()[0])
        scheduler.optimizer.step()
        scheduler.step()
    return out


def optimizer(lr=1.0):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def test_cosine_warmup_then_decay():
    # 100 steps, 10 of warm-up: lr rises (k+1)/10, then 0.5 (1 + cos(pi p)) over the remaining 90 steps
    out = lrs(schedules.cosine(optimizer(), total_steps=100, warmup=0.1, min_lr_ratio=0.0), 100)
    assert out[0] == pytest.approx(0.1) and out[9] == pytest.approx(1.0)
    assert out[10] == pytest.approx(1.0)
    assert out[55] == pytest.approx(0.5)  # p = 45/90
    assert out[99] == pytest.approx(0.5 * (1 + math.cos(math.pi * 89 / 90)))
    assert all(a >= b for a, b in itertools.pairwise(out[10:]))


def test_step_milestones():
    out = lrs(schedules.step(optimizer(), total_steps=100, warmup=0.0, milestones=[0.5, 0.75], gamma=0.1), 100)
    assert out[49] == pytest.approx(1.0) and out[50] == pytest.approx(0.1) and out[75] == pytest.approx(0.01)


def test_constant():
    assert lrs(schedules.constant(optimizer(0.3), total_steps=20), 20) == pytest.approx([0.3] * 20)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"total_steps": float("inf")}, "max_epochs or max_steps"),
        ({"total_steps": 10, "warmup": 1.5}, "scheduler.warmup"),
        ({"total_steps": 10, "milestones": [1.2]}, "scheduler.milestones"),
    ],
)
def test_bad_values_name_the_key(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        schedules.step(optimizer(), **kwargs)
