import io
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


def test_set_total_steps_ends_the_schedule_earlier_and_survives_a_checkpoint():
    sched = schedules.cosine(optimizer(), total_steps=100, warmup=0.1, min_lr_ratio=0.0)
    first = lrs(sched, 30)
    assert schedules.set_total_steps(sched, 50)
    rest = lrs(sched, 21)  # steps 30..50
    assert first[10] == pytest.approx(1.0) and first[29] == pytest.approx(0.5 * (1 + math.cos(math.pi * 19 / 90)))
    # the LR of step 30 was set by the step before the change; from step 31 on p = (k - 10) / (50 - 10)
    assert rest[0] == pytest.approx(0.5 * (1 + math.cos(math.pi * 20 / 90)))
    assert rest[1] == pytest.approx(0.5 * (1 + math.cos(math.pi * 21 / 40)))
    assert rest[20] == pytest.approx(0.0, abs=1e-12)  # the half cosine is complete at the new end
    # the horizon lives on a function, which LambdaLR leaves out of its state: weights_only loading works
    buffer = io.BytesIO()
    torch.save(sched.state_dict(), buffer)
    buffer.seek(0)
    assert torch.load(buffer, weights_only=True)["last_epoch"] == 51


def test_set_total_steps_leaves_other_schedulers_alone():
    other = torch.optim.lr_scheduler.StepLR(optimizer(), step_size=10)
    assert schedules.set_total_steps(other, 5) is False
