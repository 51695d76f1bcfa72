"""WeightEMA (callbacks=ema): the averaging rule by hand, and what a run with it validates, tests and saves."""

import pytest
import torch

from facecompare.checkpoint import load_embedder, read_checkpoint
from facecompare.errors import ConfigError
from facecompare.training.callbacks.weight_ema import WeightEMA
from facecompare.training.train import train


def test_floats_move_a_tenth_of_the_way_and_integers_take_the_model_value() -> None:
    update = WeightEMA(decay=0.9, warmup=False)._kwargs["multi_avg_fn"]
    averaged, current = [torch.tensor([1.0, -2.0])], [torch.tensor([3.0, 8.0])]
    update(averaged, current, torch.tensor(1))
    assert averaged[0].tolist() == pytest.approx([1.2, -1.0])  # 0.9 * old + 0.1 * new
    # an integer table must not drift: torch's own rule rounds 0.9 * 7 + 0.1 * 7 = 6.9999... down to 6
    table = [torch.tensor([7, 3], dtype=torch.long)]
    update(table, [torch.tensor([7, 3], dtype=torch.long)], torch.tensor(1))
    assert table[0].tolist() == [7, 3]


@pytest.mark.parametrize(
    ("count", "weight"),
    [(1, 9 / 11), (2, 9 / 12), (80, 0.1), (89, 0.1), (10_000, 0.1)],  # 9 / (10 + t), at least 1 - decay
)
def test_warmup_moves_further_early_on(count: int, weight: float) -> None:
    update = WeightEMA(decay=0.9)._kwargs["multi_avg_fn"]
    averaged, current = [torch.tensor([0.0, 10.0])], [torch.tensor([1.0, 0.0])]
    update(averaged, current, torch.tensor(count))
    assert averaged[0].tolist() == pytest.approx([weight, 10 * (1 - weight)])


def test_a_short_run_average_forgets_its_random_start_only_with_warmup() -> None:
    # the default synthetic run: 640 steps. The weights leave their start (0) for 1 at the first step.
    finals = {}
    for warmup in (True, False):
        update = WeightEMA(decay=0.999, warmup=warmup)._kwargs["multi_avg_fn"]
        averaged = [torch.zeros(1, dtype=torch.float64)]
        for count in range(1, 640):
            update(averaged, [torch.ones(1, dtype=torch.float64)], torch.tensor(count))
        finals[warmup] = averaged[0].item()
    assert finals[True] > 0.999
    assert finals[False] == pytest.approx(1 - 0.999**639)  # 0.47: more than half the average is the start


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.5])
def test_decay_outside_zero_one_is_refused(decay: float) -> None:
    with pytest.raises(ConfigError, match=r"callbacks\.ema\.decay"):
        WeightEMA(decay=decay)


@pytest.mark.slow
def test_validation_test_checkpoint_and_export_use_the_average(make_cfg, tmp_path) -> None:
    common = ["scheduler=none", "trainer.max_epochs=2", "callbacks.early_stopping=null"]
    plain = train(make_cfg(*common, output_dir=tmp_path / "plain"))
    ema = train(make_cfg(*common, "callbacks=ema", "callbacks.ema.decay=0.9", output_dir=tmp_path / "ema"))
    raw = read_checkpoint(tmp_path / "plain/checkpoints/last.ckpt")["state_dict"]
    averaged = read_checkpoint(tmp_path / "ema/checkpoints/last.ckpt")
    # training is deterministic, so the EMA run's raw weights are the plain run's ...
    for key, value in raw.items():
        assert torch.equal(averaged["current_model_state"][key], value), key
    # ... while its state_dict, which validation and the test scored, is the average
    name = next(k for k, v in raw.items() if v.is_floating_point() and v.ndim > 1)
    assert not torch.equal(averaged["state_dict"][name], raw[name])
    assert "val/auc" in ema and ema["val/auc"] != plain["val/auc"]
    assert ema["test/auc"] != plain["test/auc"]
    assert ema["best/val/threshold"] == averaged["facecompare"]["threshold"]
    net, _, _ = load_embedder(tmp_path / "ema/checkpoints/last.ckpt")
    assert torch.equal(net.state_dict()[name.removeprefix("net.")], averaged["state_dict"][name])


# margin_softmax adds its class weights in the module's setup, after the callbacks' setup: the average must
# still include them
@pytest.mark.slow
@pytest.mark.parametrize("loss", ["contrastive", "margin_softmax"])
def test_resuming_restores_both_the_raw_weights_and_the_average(make_cfg, tmp_path, loss) -> None:
    common = ["scheduler=none", "test=false", "callbacks=ema", "callbacks.early_stopping=null", f"loss={loss}"]
    train(make_cfg(*common, "trainer.max_epochs=2", output_dir=tmp_path / "full"))
    train(make_cfg(*common, "trainer.max_epochs=1", output_dir=tmp_path / "first"))
    first = tmp_path / "first/checkpoints/last.ckpt"
    train(make_cfg(*common, "trainer.max_epochs=2", f"ckpt_path={first}", output_dir=tmp_path / "resumed"))
    a = read_checkpoint(tmp_path / "full/checkpoints/last.ckpt")
    b = read_checkpoint(tmp_path / "resumed/checkpoints/last.ckpt")
    assert a["state_dict"].keys() == a["current_model_state"].keys()
    for part in ("state_dict", "current_model_state"):
        for key, value in a[part].items():
            assert torch.allclose(value.float(), b[part][key].float(), atol=1e-6), (part, key)
