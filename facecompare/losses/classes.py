"""One class per training identity, for the losses that keep class centres (CosFace / ArcFace in
margin_softmax.py, Partial FC in partial_fc.py): the map from a global identity label to its class row."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from facecompare.errors import ConfigError


def class_index(labels: np.ndarray | Tensor, loss: str) -> Tensor:
    """(max label + 1,) long: the class of each identity present in ``labels``, -1 for the labels absent."""
    present = np.unique(np.asarray(labels))
    if len(present) < 2:
        raise ConfigError(f"loss={loss} needs at least 2 training identities, found {len(present)}")
    index = torch.full((int(present.max()) + 1,), -1, dtype=torch.long)
    index[torch.from_numpy(present).long()] = torch.arange(len(present))
    return index


def classes_of(index: Tensor, labels: Tensor, owner: str) -> Tensor:
    """The classes of a batch's ``labels``; a label outside those ``index`` was made from is refused."""
    if int(labels.max()) >= len(index) or bool((index[labels] < 0).any()):
        raise ValueError(f"{owner}: a label outside the identities given to fit_classes")
    return index[labels]
