"""The argument checks the losses share."""

import math

import pytest

from facecompare.errors import ConfigError
from facecompare.losses.base import check_in_range


@pytest.mark.parametrize("value", ["abc", None, True, math.nan, 0.0, 2.0])
def test_out_of_range_or_not_a_number_is_a_config_error(value):
    # a string once met `<` first: TypeError, which Hydra printed as five lines
    with pytest.raises(ConfigError, match=r"^loss\.margin must be in \(0, 2\), got "):
        check_in_range("margin", value, 0.0, 2.0)


def test_in_range_is_returned_as_float():
    assert check_in_range("margin", 1, 0.0, 2.0) == 1.0
    assert check_in_range("margin", 0, 0.0, include_low=True) == 0.0
