"""The entry configs' own top-level values, typed."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, open_dict

from facecompare.config import check_config
from facecompare.errors import ConfigError, FacecompareError

CONF = Path(__file__).resolve().parents[2] / "conf"
REQUIRED = {"evaluate": ["ckpt=m.ckpt"], "export": ["ckpt=m.ckpt"], "align": ["out_dir=o", "data.root=."],
            "audit": ["ckpt=m.ckpt", "data.root=."]}  # fmt: skip


def entry_cfg(entry: str, *overrides: str) -> DictConfig:
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(entry, overrides=[*REQUIRED[entry], *overrides])
    with open_dict(cfg):
        cfg.paths.output_dir = "run"  # ${hydra:runtime.output_dir} resolves only in a Hydra run
    return cfg


@pytest.mark.parametrize("entry", sorted(REQUIRED))
def test_shipped_configs_pass(entry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.ckpt").touch()  # checked to exist, not read: reading it is the script's work
    check_config(entry_cfg(entry), entry)


@pytest.mark.parametrize("entry", ["evaluate", "export", "audit"])
def test_a_missing_checkpoint_is_said_after_the_config_values(entry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FacecompareError, match=r"^m\.ckpt: checkpoint not found$"):
        check_config(entry_cfg(entry), entry)
    with pytest.raises(ConfigError, match="ckpt must be a valid string"):  # a wrong value still comes first
        check_config(entry_cfg(entry, "ckpt=[1]"), entry)
    if entry != "export":  # but before the targets' arguments, whose check imports torch and the detectors
        with pytest.raises(FacecompareError, match=r"^m\.ckpt: checkpoint not found$"):
            check_config(entry_cfg(entry, "detector=haar", "detector.min_neighbors=1.5"), entry)


@pytest.mark.slow
@pytest.mark.parametrize(
    "entry, overrides, message",
    [
        ("evaluate", ["bootstrap=abc"], "bootstrap must be a valid integer, got 'abc'"),
        ("evaluate", ["calibration.method=median"], "calibration.method must be 'accuracy' or 'far', got 'median'"),
        ("evaluate", ["fars=[0.1,2]"], "fars.1 must be less than 1, got 2"),
        ("export", ["threshold=1.5"], "threshold must be less than or equal to 1, got 1.5"),
        ("align", ["quality=0"], "quality must be greater than or equal to 1, got 0"),
        ("align", ["seed=-1"], "seed must be greater than or equal to 0, got -1"),
        # reached through `${detector}`, checked where it is defined
        ("audit", ["detector=haar", "detector.min_neighbors=1.5"], "detector.min_neighbors must be a valid integer"),
    ],
)
def test_bad_value_is_one_line_naming_key_value_and_what_is_allowed(entry, overrides, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.ckpt").touch()  # a missing checkpoint is said before the targets' arguments are checked
    with pytest.raises(ConfigError) as caught:
        check_config(entry_cfg(entry, *overrides), entry)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_train_values(make_cfg):
    with pytest.raises(ConfigError, match=r"^retain_freed_memory must be a valid boolean or 'auto', got 'maybe'$"):
        check_config(make_cfg("retain_freed_memory=maybe"), "train")
