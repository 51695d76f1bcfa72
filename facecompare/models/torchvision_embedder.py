"""What the torchvision backbones share: an ImageNet classifier whose head gives way to the projection."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from torch import nn

from facecompare.errors import ConfigError
from facecompare.models.embedder import IMAGENET_MEAN, IMAGENET_STD, Embedder, check_in_channels
from facecompare.models.weights import torchvision_model


class TorchvisionEmbedder(Embedder, ABC):
    """A torchvision classifier as an embedder. Subclasses name the architectures they accept (the first is
    the default), the state-dict prefixes of the classifier head (left out when loading weights), and which
    part of the network is the trunk.

    ``pretrained``: false, true (ImageNet, downloaded or from the torch hub cache) or the path of a
    torchvision state dict. Input is normalised with ImageNet's statistics, which pretrained weights expect.
    """

    archs: ClassVar[tuple[str, ...]]
    head_prefixes: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        arch: str | None = None,
        pretrained: bool | str | None = False,
        embedding_dim: int = 128,
        normalize: bool = True,
        in_channels: int = 3,
        dropout: float = 0.0,
        flip_average: bool = False,
    ) -> None:
        arch = self.archs[0] if arch is None else arch
        if arch not in self.archs:
            raise ConfigError(f"backbone.arch must be one of {list(self.archs)}, got {arch!r}")
        check_in_channels(in_channels)
        trunk, feature_dim = self.trunk_of(self.classifier(arch, pretrained), in_channels)
        super().__init__(
            trunk,
            feature_dim=feature_dim,
            embedding_dim=embedding_dim,
            normalize=normalize,
            in_channels=in_channels,
            mean=IMAGENET_MEAN,
            std=IMAGENET_STD,
            dropout=dropout,
            flip_average=flip_average,
            min_input_size=32,
        )

    @staticmethod
    def weights_origin(pretrained: bool | str) -> dict[str, str]:
        """What model.json says of these starting weights (facecompare.export.weights_origin)."""
        if pretrained is True:
            return {
                "source": "torchvision ImageNet weights",
                "licence": "torchvision's code is BSD-3-Clause; the weights derive from ImageNet, whose terms "
                "allow non-commercial research use: check them before shipping a product",
            }
        return {"source": "a torchvision state dict given as a file", "licence": "unknown: check its terms"}

    @classmethod
    def classifier(cls, arch: str, pretrained: bool | str | None) -> nn.Module:
        """The torchvision classifier, with ``pretrained``'s weights (outside its head)."""
        return torchvision_model(arch, pretrained, cls.head_prefixes)

    @staticmethod
    @abstractmethod
    def trunk_of(net: nn.Module, in_channels: int) -> tuple[nn.Module, int]:
        """The classifier's feature extractor, its stem adapted to ``in_channels``, and its output width."""
