import numpy as np
import pytest
import torch

from facecompare.data.faceset import FaceSet, check_evaluation_split, split_identities, split_sizes
from facecompare.errors import ConfigError


def test_split_is_identity_disjoint_complete_and_seeded():
    labels = np.repeat(np.arange(50), 3)
    split = split_identities(labels, {"train": 0.8, "val": 0.2}, seed=0)
    assert len(split["train"]) == 40 and len(split["val"]) == 10
    assert not set(split["train"]) & set(split["val"])
    assert set(split["train"]) | set(split["val"]) == set(range(50))
    assert all(np.array_equal(split[k], split_identities(labels, {"train": 0.8, "val": 0.2}, 0)[k]) for k in split)
    assert not np.array_equal(split["val"], split_identities(labels, {"train": 0.8, "val": 0.2}, 1)["val"])


def test_small_split_still_gets_one_identity():
    split = split_identities(np.arange(6), {"train": 0.9, "val": 0.05, "test": 0.05}, seed=0)
    assert len(split["val"]) == 1 and len(split["test"]) == 1 and len(split["train"]) == 4


def test_a_zero_ratio_is_an_empty_split_and_sizes_do_not_depend_on_the_seed():
    ratios = {"train": 0.8, "val": 0.2, "test": 0.0}
    assert split_sizes(10, ratios) == {"train": 8, "val": 2, "test": 0}
    for seed in range(3):
        split = split_identities(np.repeat(np.arange(10), 2), ratios, seed)
        assert {k: len(v) for k, v in split.items()} == split_sizes(10, ratios)


def test_evaluation_splits_need_two_people_one_with_two_images():
    check_evaluation_split("val", 2, 5)  # before detection: only the people are known
    check_evaluation_split("test", 2, 5, most_images=2)
    with pytest.raises(ConfigError, match=r"^the validation split got 1 of the 5 people: .*split\.val$"):
        check_evaluation_split("val", 1, 5)
    with pytest.raises(ConfigError, match=r"^the test split got 3 people, none with 2\+ images: .*split\.test$"):
        check_evaluation_split("test", 3, 9, most_images=1)


def test_split_errors():
    with pytest.raises(ConfigError, match="cannot fill"):
        split_identities(np.array([0, 0]), {"train": 0.5, "val": 0.5}, 0)
    with pytest.raises(ConfigError, match=r"data\.source\.split\.val must be >= 0"):
        split_identities(np.arange(4), {"train": 1.0, "val": -0.1}, 0)


def test_from_hwc_layout_and_grayscale():
    rgb = np.zeros((2, 4, 5, 3), np.uint8)
    rgb[0, ..., 0] = 255  # pure red -> luminance 0.299 * 255
    faces = FaceSet.from_hwc(rgb, np.array([0, 1]), ["a", "b"], channels=1)
    assert faces.images.shape == (2, 1, 4, 5) and faces.images.dtype == torch.uint8
    assert int(faces.images[0, 0, 0, 0]) == round(0.299 * 255)
    assert FaceSet.from_hwc(rgb, np.array([0, 1]), ["a", "b"]).images.shape == (2, 3, 4, 5)


def test_select_identities_keeps_global_labels():
    faces = FaceSet(torch.zeros(6, 1, 2, 2, dtype=torch.uint8), np.array([0, 0, 1, 1, 2, 2]), ["a", "b", "c"])
    sub = faces.select_identities(np.array([2]))
    assert len(sub) == 2 and set(sub.labels) == {2} and sub.names[2] == "c"
