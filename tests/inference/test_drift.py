import math
from pathlib import Path

import numpy as np
import pytest

from facecompare.inference.bundle import Bundle
from facecompare.inference.drift import drift_warning, impostor_share, poisson_tail

CURVE = {"far": [1e-4, 1e-3, 1e-2], "threshold": [0.9, 0.6, 0.4], "impostor_pairs": 10_000, "on": "lfw"}


def bundle(curve: dict | None = CURVE) -> Bundle:
    threshold = {"value": 0.6, "source": "test"} | ({"far_curve": curve} if curve else {})
    return Bundle(Path("b"), {"distance": "cosine", "threshold": threshold}, session=None)


def gallery(spread: float) -> tuple[np.ndarray, list[str]]:
    """10 people of 2 embeddings in 512-d: around one shared direction (spread small: everyone alike)."""
    rng = np.random.default_rng(0)
    vectors = np.ones(512) + spread * rng.normal(size=(20, 512))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), [f"p{i // 2}" for i in range(20)]


def test_poisson_tail_by_hand():
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 1.0) == pytest.approx(1 - math.exp(-1))
    assert poisson_tail(2, 0.5) == pytest.approx(1 - math.exp(-0.5) * 1.5)


def test_comparisons_between_different_people_only():
    vectors, people = gallery(spread=0.01)
    # 20 embeddings: 190 pairs, less the 10 pairs of one person's two
    assert impostor_share(bundle(), vectors, people, 0.6) == (180, 180)


def test_a_gallery_scored_unlike_the_calibration_is_warned_about():
    vectors, people = gallery(spread=0.01)  # strangers alike: all 180 reach 0.6, where the curve says 0.1 %
    warning = drift_warning(bundle(), vectors, people, 0.6)
    assert warning.startswith("180 of 180 comparisons between different enrolled people reach the threshold 0.6000")
    assert "predicts 0.10%" in warning and "facecompare calibrate PEOPLE_DIR --model b" in warning
    spread, people = gallery(spread=10.0)  # near-orthogonal strangers score ~0.5: none reach 0.6
    assert (
        impostor_share(bundle(), spread, people, 0.6)[0] == 0 and drift_warning(bundle(), spread, people, 0.6) is None
    )


def test_no_warning_without_a_curve_to_compare_with_or_below_it():
    vectors, people = gallery(spread=0.01)
    assert drift_warning(bundle(curve=None), vectors, people, 0.6) is None
    assert drift_warning(bundle(), vectors, people, 0.3) is None  # below every listed threshold: the curve is silent
