"""Evaluation pairs from each source: a folder's pair list, LFW's pairs files, and a clear refusal elsewhere."""

from pathlib import Path

import numpy as np
import pytest
from badfiles import photo
from lfw_fakes import write_view1
from PIL import Image

from facecompare.data.pair_list import PathPair, write_pair_list
from facecompare.data.sources import FolderSource, LFWSource, SyntheticSource
from facecompare.errors import ConfigError


def people_folder(root: Path) -> Path:
    for p, person in enumerate(("ann", "bob", "cy")):
        (root / person).mkdir(parents=True)
        for k in range(2):
            Image.fromarray(photo(40, 40, seed=10 * p + k)).save(root / person / f"{k}.png")
    return root


def test_a_folder_gives_the_pairs_its_pair_list_names(tmp_path):
    root = people_folder(tmp_path / "people")
    pairs = [PathPair("ann/0.png", "ann/1.png", True, 0), PathPair("ann/0.png", "cy/1.png", False, 1)]
    write_pair_list(tmp_path / "pairs.csv", pairs)
    test, calib, protocol = FolderSource(root).eval_sets(32, 3, tmp_path / "pairs.csv")
    assert (protocol, calib) == ("folder", None)
    assert test.images.shape == (3, 3, 32, 32)  # ann/0.png once, though two pairs name it
    files = [Path(f).relative_to(root).as_posix() for f in test.files]
    named = [(files[i], files[j], same) for i, j, same in test.pairs.tolist()]
    assert named == [("ann/0.png", "ann/1.png", 1), ("ann/0.png", "cy/1.png", 0)]
    assert test.names == ["ann", "ann", "cy"] and test.folds.tolist() == [0, 1] and test.without_face == 0
    with pytest.raises(ConfigError, match=r"needs a pairs file \(pairs_file=\.\.\.\)"):
        FolderSource(root).eval_sets(32, 3, None)


def test_a_pair_list_naming_a_missing_photo_is_refused_with_the_file(tmp_path):
    root = people_folder(tmp_path / "people")
    write_pair_list(tmp_path / "pairs.csv", [PathPair("ann/0.png", "bob/7.png", False, None)])
    with pytest.raises(ConfigError, match=r"pairs\.csv: 1 image\(s\) named by the pairs file do not exist.*7\.png"):
        FolderSource(root).eval_sets(32, 3, tmp_path / "pairs.csv")


def test_lfw_view1_calibrates_on_dev_train_and_tests_on_dev_test(tmp_path):
    write_view1(tmp_path / "lfw")
    for i, f in enumerate(sorted((tmp_path / "lfw").rglob("*.jpg"))):  # the fakes' files hold no picture
        Image.fromarray(photo(40, 40, seed=i)).save(f, "JPEG")
    test, calib, protocol = LFWSource(tmp_path / "lfw").eval_sets(32, 3, None)
    assert protocol == "lfw-view1"
    assert test.source.endswith("pairsDevTest.txt") and calib.source.endswith("pairsDevTrain.txt")
    assert set(np.unique(test.pairs[:, 2])) == {0, 1}


def test_a_source_without_evaluation_pairs_says_which_data_has_them():
    with pytest.raises(ConfigError, match=r"needs data=lfw or data=folder, got synthetic faces: 20"):
        SyntheticSource(num_identities=20, images_per_identity=2).eval_sets(32, 3, None)
