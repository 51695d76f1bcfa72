"""The threshold against a gallery: given, fitted for a rate (by default 1e-3), or the 1:1 threshold, which
identification may fall back on with a warning and an access decision refuses."""

import dataclasses

import pytest

from facecompare.inference import load_bundle
from facecompare.inference.gallery_threshold import AccessRefusedError, choose_threshold
from facecompare.inference.open_set import OpenSetError

CURVE = {"far": [1e-4, 1e-3], "threshold": [0.99, 0.9], "impostor_pairs": 10_000, "on": "dev"}


def parts(choice):
    return choice.value, choice.fpir_bound, choice.rule


@pytest.fixture(scope="module")
def bundles(tiny_bundle):
    plain = load_bundle(tiny_bundle)
    curved = dataclasses.replace(plain, meta={**plain.meta, "threshold": {"value": 0.95, "far_curve": CURVE}})
    return plain, curved


def test_a_given_threshold_is_used_as_given(bundles):
    plain, curved = bundles
    given = choose_threshold(curved, 0.995, None, 10, access=True)
    assert (given.value, given.rule, given.vouched, given.warning()) == (0.995, "given", True, None)
    assert given.fpir_bound == pytest.approx(1e-3)  # FAR(0.99) x 10
    low = choose_threshold(curved, 0.95, None, 20)  # FAR(0.9) x 20
    assert low.fpir_bound == pytest.approx(0.02) and "up to 2.0% of strangers" in low.warning()
    assert choose_threshold(plain, 0.5, None, 10, access=True).fpir_bound is None  # whoever gave it vouches
    with pytest.raises(OpenSetError, match="not both"):
        choose_threshold(curved, 0.5, 0.01, 10)


def test_a_rate_fits_the_threshold_to_the_gallery_and_defaults_to_1e_3(bundles):
    plain, curved = bundles
    assert parts(choose_threshold(curved, None, 0.01, 10)) == (0.9, pytest.approx(1e-2), "fpir 0.01")
    assert parts(choose_threshold(curved, None, 0.01, 11)) == (0.99, pytest.approx(1.1e-3), "fpir 0.01")
    fitted = choose_threshold(curved, None, None, 10, access=True)  # not the 1:1 threshold 0.95
    assert parts(fitted) == (0.99, pytest.approx(1e-3), "fpir 0.001") and fitted.warning() is None
    with pytest.raises(OpenSetError, match="carries no open-set curve"):
        choose_threshold(plain, None, 0.01, 10)


def test_without_a_vouched_threshold_identification_warns_and_access_is_refused(bundles):
    plain, curved = bundles
    one_to_one = choose_threshold(plain, None, None, 10)
    assert (one_to_one.value, one_to_one.rule, one_to_one.vouched) == (plain.threshold, "1:1", False)
    assert "1:1 threshold, not fitted to this gallery" in one_to_one.warning()
    with pytest.raises(AccessRefusedError, match=r"access refused.*carries no open-set curve.*scripts/evaluate\.py"):
        choose_threshold(plain, None, None, 10, access=True)
    # 1e-3 over 11 embeddings needs a FAR of 9.1e-5, below the curve's 1e-4
    beyond = choose_threshold(curved, None, None, 11)
    assert beyond.rule == "1:1" and beyond.value == 0.95 and "up to 1.1% of strangers" in beyond.warning()
    with pytest.raises(AccessRefusedError, match=r"access refused.*9\.1e-05.*--fpir RATE or --threshold T"):
        choose_threshold(curved, None, None, 11, access=True)
