import pytest

from facecompare.inference.open_set import FarCurve, OpenSetError

# per-comparison FAR 1e-6 at 0.9, 1e-5 at 0.8, 1e-4 at 0.7, 1e-3 at 0.6 (a million impostor pairs)
META = {
    "threshold": {
        "value": 0.65,
        "far_curve": {
            "far": [1e-6, 1e-5, 1e-4, 1e-3],
            "threshold": [0.9, 0.8, 0.7, 0.6],
            "impostor_pairs": 1_000_000,
            "on": "pairsDevTrain.txt",
        },
    }
}


@pytest.fixture
def curve():
    return FarCurve.from_meta(META)


def test_bundles_without_a_curve_have_none():
    assert FarCurve.from_meta({"threshold": {"value": 0.5}}) is None


@pytest.mark.parametrize(
    "broken",
    [{"far": [1e-3]}, {"far": "x"}, {"threshold": [0.9]}, {"far": [1e-3, 1e-4]}, {"far": [], "threshold": []}],
)
def test_a_malformed_curve_is_named(broken):
    meta = {"threshold": {"far_curve": {**META["threshold"]["far_curve"], **broken}}}
    with pytest.raises(OpenSetError, match=r"model\.json: threshold\.far_curve"):
        FarCurve.from_meta(meta)


def test_threshold_for_a_gallery_divides_the_rate_among_its_embeddings(curve):
    # FPIR 1 % over 100 embeddings: 1e-4 each, listed at 0.7
    assert curve.threshold_for(0.01, 100) == (0.7, pytest.approx(0.01))
    # 1 % over 101: 9.9e-5 each, not listed; the next stricter is 1e-5 at 0.8, a bound of 1.01e-3
    assert curve.threshold_for(0.01, 101) == (0.8, pytest.approx(1.01e-3))
    # a single embedding: the least strict listed point that fits (1e-3 <= 1e-2)
    assert curve.threshold_for(0.01, 1) == (0.6, pytest.approx(1e-3))


def test_a_rate_the_calibration_cannot_show_is_an_error(curve):
    with pytest.raises(OpenSetError, match=r"1\.0e-07.*1 in 1000000 impostor pairs of pairsDevTrain.txt"):
        curve.threshold_for(0.001, 10_000)
    with pytest.raises(OpenSetError, match="between 0 and 1"):
        curve.threshold_for(0.0, 10)


def test_bound_at_a_threshold(curve):
    assert curve.fpir_bound(0.65, 10) == pytest.approx(1e-2)  # FAR(0.65) <= FAR(0.6) = 1e-3
    assert curve.fpir_bound(0.9, 10) == pytest.approx(1e-5)
    assert curve.fpir_bound(0.99, 10) == pytest.approx(1e-5)  # above the curve: its strictest point still bounds
    assert curve.fpir_bound(0.6, 5000) == 1.0  # capped
    assert curve.fpir_bound(0.5, 1) == 1.0  # below the curve it says nothing
