"""The shared shape of every backbone: normalise input, run a trunk, project, L2-normalise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from facecompare.errors import ConfigError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def check_in_channels(in_channels: int) -> None:
    if in_channels not in (1, 3):
        raise ConfigError(f"backbone.in_channels must be 1 (grayscale) or 3 (RGB), got {in_channels}")


class Embedder(nn.Module):
    """Maps images to embeddings. One instance embeds both images of a pair (shared weights).

    Input is float in [0, 1], shape (N, C, H, W). The per-channel normalisation lives inside the network
    (as buffers) so that an exported model needs nothing but the [0, 1] scaling from its caller.

    A backbone that takes one input size only (its last layers, or its pretrained weights, are sized for it)
    sets ``input_size``, and ``size_note`` says why in its error; other sizes are refused, not resized.
    """

    input_size: ClassVar[int | None] = None
    size_note: ClassVar[str] = ""

    def __init__(
        self,
        trunk: nn.Module,
        feature_dim: int,
        embedding_dim: int,
        normalize: bool = True,
        in_channels: int = 3,
        mean: Sequence[float] = (0.5, 0.5, 0.5),
        std: Sequence[float] = (0.5, 0.5, 0.5),
        dropout: float = 0.0,
        min_input_size: int = 32,
        flip_average: bool = False,
    ) -> None:
        super().__init__()
        if embedding_dim < 1:
            raise ConfigError(f"backbone.embedding_dim must be >= 1, got {embedding_dim}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"backbone.dropout must be in [0, 1), got {dropout}")
        check_in_channels(in_channels)
        if in_channels == 1:
            mean, std = (sum(mean) / len(mean),), (sum(std) / len(std),)
        self.trunk = trunk
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.projection = nn.Linear(feature_dim, embedding_dim)
        self.normalize = normalize
        self.embedding_dim = embedding_dim
        self.in_channels = in_channels
        self.min_input_size = min_input_size
        # Outside training, embed each face together with its mirror image and average the two: a standard
        # test-time augmentation (faces are near-symmetric, their photos are not), at twice the cost. It lives
        # in the network, so validation, the calibrated threshold and an exported bundle all use it alike.
        self.flip_average = flip_average
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    @classmethod
    def check_image_size(cls, size: int) -> None:
        """Raise ConfigError unless ``size`` is the backbone's own (any size passes without ``input_size``);
        the training config check calls it before any work."""
        if cls.input_size is not None and size != cls.input_size:
            raise cls._size_error(f"{size}x{size}")

    @classmethod
    def _size_error(cls, got: str) -> ConfigError:
        n = cls.input_size
        return ConfigError(f"{cls.__name__} takes {n}x{n} faces {cls.size_note}, got {got}: set data.image_size={n}")

    def forward(self, images: Tensor) -> Tensor:
        if images.ndim != 4 or images.shape[1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__} expects (N, {self.in_channels}, H, W) images, got {tuple(images.shape)}"
            )
        if self.input_size is not None and tuple(images.shape[-2:]) != (self.input_size, self.input_size):
            raise self._size_error(f"{images.shape[-2]}x{images.shape[-1]}")
        if min(images.shape[-2:]) < self.min_input_size:
            raise ConfigError(
                f"{type(self).__name__} needs images of at least {self.min_input_size}x{self.min_input_size} "
                f"pixels, got {images.shape[-2]}x{images.shape[-1]}: raise data.image_size"
            )
        if self.flip_average and not self.training:
            both = self._embed(torch.cat([images, images.flip(-1)]))
            embeddings = (both[: images.shape[0]] + both[images.shape[0] :]) / 2
        else:
            embeddings = self._embed(images)
        return F.normalize(embeddings, dim=1) if self.normalize else embeddings

    def _embed(self, images: Tensor) -> Tensor:
        features = self.trunk((images - self.mean) / self.std)
        return self.projection(self.dropout(torch.flatten(features, 1)))
