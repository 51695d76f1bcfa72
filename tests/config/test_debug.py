"""The debug config group: each preset composes onto any run, and debug=fast runs the whole pipeline."""

import pytest

from facecompare.training.train import train


@pytest.mark.slow
def test_debug_fast_runs_one_batch_of_everything(make_cfg):
    cfg = make_cfg("debug=fast", "backbone=resnet", "loss=triplet")
    assert cfg.trainer.fast_dev_run is True and cfg.task_name == "debug" and cfg.callbacks.time_budget is None
    metrics = train(cfg)
    assert "val/auc" in metrics


@pytest.mark.parametrize(
    ("preset", "expected"),
    [("overfit", {"overfit_batches": 3, "max_epochs": 20}), ("profile", {"profiler": "simple", "max_epochs": 1})],
)
def test_debug_presets_set_what_they_promise(preset, expected):
    from conftest import CONF
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=[f"debug={preset}"])  # as scripts/train.py composes it
    assert {key: cfg.trainer[key] for key in expected} == expected
    assert cfg.callbacks.early_stopping is None if preset == "overfit" else cfg.test is False
