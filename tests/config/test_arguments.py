"""Each `_target_` node's arguments against the signature of what it builds (the cases of issue #23 item 10
run end to end in tests/training/test_train.py)."""

import pytest

from facecompare.config.arguments import check_arguments
from facecompare.errors import ConfigError


@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides, message",
    [
        # backbone.in_channels is `${data.channels}`: named by the key the user sets
        (["data.channels=abc"], "data.channels must be a valid integer, got 'abc'"),
        # inside a list of nodes, and inside a mapping argument
        (["data/augment=light", "data.augment.transforms.0.p=abc"], "data.augment.transforms.0.p must be a valid"),
        (["data.source.split.train=abc"], "data.source.split.train must be a valid number, got 'abc'"),
        (["+loss.foo=1"], "loss.foo: facecompare.losses.ContrastiveLoss takes no argument 'foo' (it takes margin,"),
        (["backbone._target_=facecompare.models.NoSuchNet"], "backbone._target_: cannot import facecompare"),
    ],
)
def test_wrong_argument_is_named_with_its_value(make_cfg, overrides, message):
    with pytest.raises(ConfigError) as caught:
        check_arguments(make_cfg(*overrides))
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_only_the_subtrees_a_script_builds_are_checked(make_cfg):
    cfg = make_cfg("data.batch_size=1.5")
    check_arguments(cfg, ("loss", "optimizer"))
    with pytest.raises(ConfigError, match=r"^data\.batch_size"):
        check_arguments(cfg, ("data.source", "data"))


@pytest.mark.slow
def test_values_outside_the_lightning_objects_are_refused_before_lightning_loads(tmp_path):
    # in a fresh process: this one has Lightning loaded by other tests. torch is loaded, as train's precision
    # check loads it: torch's optimizers are checked first, the Lightning objects' subtrees last
    import subprocess
    import sys
    from pathlib import Path

    conf = Path(__file__).resolve().parents[2] / "conf"
    code = f"""
import sys, torch
from hydra import compose, initialize_config_dir
from facecompare.config.arguments import check_arguments
from facecompare.config.check import LIGHTNING_ROOTS
from facecompare.errors import ConfigError
from facecompare.training.resolvers import register_resolvers
register_resolvers()
for wrong in ("optimizer.lr=abc", "scheduler.warmup=abc"):
    with initialize_config_dir(config_dir={str(conf)!r}, version_base="1.3"):
        cfg = compose("train", overrides=[wrong, "paths.output_dir={tmp_path}"])
    try:
        check_arguments(cfg, late=LIGHTNING_ROOTS)
    except ConfigError as err:
        print(err, "|", "pytorch_lightning" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.splitlines() == [
        "optimizer.lr must be a valid number, got 'abc' | False",
        "scheduler.warmup must be a valid number, got 'abc' | False",
    ], out.stderr[-2000:]
