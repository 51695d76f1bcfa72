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
