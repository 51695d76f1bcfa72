"""The identity-to-class map of the losses with class centres."""

import numpy as np
import pytest
import torch

from facecompare.errors import ConfigError
from facecompare.losses.classes import class_index, classes_of


def test_each_present_identity_gets_the_next_class_and_the_absent_none():
    index = class_index(np.array([7, 2, 7, 4]), "cosface")
    assert index.tolist() == [-1, -1, 0, -1, 1, -1, -1, 2]
    assert classes_of(index, torch.tensor([7, 2, 4]), "Loss").tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="Loss: a label outside the identities given to fit_classes"):
        classes_of(index, torch.tensor([3]), "Loss")
    with pytest.raises(ValueError, match="outside the identities"):
        classes_of(index, torch.tensor([8]), "Loss")
    with pytest.raises(ConfigError, match="loss=arcface needs at least 2 training identities, found 1"):
        class_index(np.array([5, 5]), "arcface")
