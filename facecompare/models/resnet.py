"""torchvision ResNets as embedders."""

from __future__ import annotations

from torch import nn

from facecompare.errors import ConfigError
from facecompare.models.embedder import IMAGENET_MEAN, IMAGENET_STD, Embedder, check_in_channels
from facecompare.models.weights import adapt_first_conv, torchvision_model

ARCHS = ("resnet18", "resnet34", "resnet50")


class ResNetEmbedder(Embedder):
    """A torchvision ResNet with its classifier replaced by the embedding projection.

    ``pretrained``: false, true (ImageNet) or the path of a torchvision state dict.
    """

    def __init__(
        self,
        arch: str = "resnet18",
        pretrained: bool | str | None = False,
        embedding_dim: int = 128,
        normalize: bool = True,
        in_channels: int = 3,
        dropout: float = 0.0,
        flip_average: bool = False,
    ) -> None:
        if arch not in ARCHS:
            raise ConfigError(f"backbone.arch must be one of {list(ARCHS)}, got {arch!r}")
        check_in_channels(in_channels)
        net = torchvision_model(arch, pretrained, head_prefixes=("fc.",))
        net.conv1 = adapt_first_conv(net.conv1, in_channels)
        feature_dim = net.fc.in_features
        net.fc = nn.Identity()
        super().__init__(
            net,
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
