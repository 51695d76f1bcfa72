"""CosFace and ArcFace: margin-softmax over the training identities, with pytorch-metric-learning's maths."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
from pytorch_metric_learning import losses
from torch import Tensor

from facecompare.errors import ConfigError
from facecompare.losses.base import (
    check_choice,
    check_in_range,
    check_labelled_batch,
    check_positive,
    check_positive_int,
)
from facecompare.losses.classes import class_index, classes_of
from facecompare.losses.distance_criterion import DistanceCriterion

KINDS = ("cosface", "arcface")


class MarginSoftmaxLoss(DistanceCriterion):
    """Softmax cross-entropy of ``scale * cos(embedding, class weight)`` over the training identities, with
    a margin on the true class: CosFace (Wang et al. 2018) ``cos(theta) - margin``, ArcFace (Deng et al.
    2019) ``cos(theta + margin)`` with ``margin`` in radians. Pairs are scored like cosine contrastive:
    ``(1 + cos(a, b)) / 2``; the class weights are a training device and never leave the checkpoint.

    The number of classes is known only once the data is built: ``fit_classes(labels)`` (called by
    SiameseModule.setup) makes one class per identity present in ``labels``; a checkpoint's weights
    recreate them on loading.
    """

    batch_kind: ClassVar[str] = "images"
    distance: ClassVar[str] = "cosine"

    def __init__(
        self,
        kind: str = "cosface",
        margin: float = 0.35,
        scale: float = 30.0,
        embedding_dim: int = 128,
        centre_lr_scale: float = 1.0,
        centre_weight_decay: float = 0.0,
    ):
        super().__init__()
        self.kind = check_choice("kind", kind, KINDS)
        self.margin, self.scale = check_positive("margin", margin), check_positive("scale", scale)
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        # the class centres' own optimizer group (SiameseModule.configure_optimizers)
        self.centre_lr_scale = check_positive("centre_lr_scale", centre_lr_scale)
        self.centre_weight_decay = check_in_range("centre_weight_decay", centre_weight_decay, 0.0, include_low=True)
        # global label -> class row (-1: not a training identity)
        self.register_buffer("class_index", torch.empty(0, dtype=torch.long))
        self.loss_fn: losses.BaseMetricLossFunction | None = None

    def fit_classes(self, labels: np.ndarray | Tensor) -> None:
        self.class_index = class_index(labels, self.kind)
        self._build(int((self.class_index >= 0).sum()))

    def _build(self, num_classes: int) -> None:
        if self.kind == "cosface":
            fn = losses.CosFaceLoss(num_classes, self.embedding_dim, margin=self.margin, scale=self.scale)
        else:  # PML takes ArcFace's margin in degrees
            fn = losses.ArcFaceLoss(num_classes, self.embedding_dim, margin=math.degrees(self.margin), scale=self.scale)
        self.loss_fn = fn.to(self.class_index.device)

    @property
    def num_classes(self) -> int:
        return 0 if self.loss_fn is None else int(self.loss_fn.W.shape[1])

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        check_labelled_batch(type(self).__name__, embeddings, labels)
        if self.loss_fn is None:
            raise RuntimeError(f"{type(self).__name__}: call fit_classes(training labels) before the first batch")
        if embeddings.shape[1] != self.embedding_dim:
            raise ConfigError(
                f"loss.embedding_dim={self.embedding_dim} but the backbone gives {embeddings.shape[1]}-d embeddings"
            )
        return self.loss_fn(embeddings.float(), classes_of(self.class_index, labels, type(self).__name__))

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        # the classes come with the checkpoint: size the weights and the index to fit before they are copied in
        weights, index = state_dict.get(prefix + "loss_fn.W"), state_dict.get(prefix + "class_index")
        if index is not None:
            self.class_index = torch.empty_like(index)
        if weights is not None and self.num_classes != weights.shape[1]:
            self._build(int(weights.shape[1]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
