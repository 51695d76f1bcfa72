"""torchvision MobileNets (v2, v3-small, v3-large) as embedders."""

from __future__ import annotations

from torch import nn

from facecompare.errors import ConfigError
from facecompare.models.embedder import IMAGENET_MEAN, IMAGENET_STD, Embedder, check_in_channels
from facecompare.models.weights import adapt_first_conv, torchvision_model

ARCHS = ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large")


class MobileNetEmbedder(Embedder):
    """A torchvision MobileNet's feature extractor plus average pooling and the embedding projection.

    The classifier (with its own 1024/1280-wide hidden layer in v3) is dropped: the projection replaces it.
    """

    def __init__(
        self,
        arch: str = "mobilenet_v3_small",
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
        net = torchvision_model(arch, pretrained, head_prefixes=("classifier.",))
        stem = net.features[0][0]
        net.features[0][0] = adapt_first_conv(stem, in_channels)
        feature_dim = net.features[-1].out_channels
        trunk = nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1))
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
