"""torchvision MobileNets (v3-small, v2, v3-large) as embedders."""

from __future__ import annotations

from torch import nn

from facecompare.models.torchvision_embedder import TorchvisionEmbedder
from facecompare.models.weights import adapt_first_conv


class MobileNetEmbedder(TorchvisionEmbedder):
    """A torchvision MobileNet's feature extractor plus average pooling and the embedding projection.

    The classifier (with its own 1024/1280-wide hidden layer in v3) is dropped: the projection replaces it.
    """

    archs = ("mobilenet_v3_small", "mobilenet_v2", "mobilenet_v3_large")
    head_prefixes = ("classifier.",)

    @staticmethod
    def trunk_of(net: nn.Module, in_channels: int) -> tuple[nn.Module, int]:
        net.features[0][0] = adapt_first_conv(net.features[0][0], in_channels)
        return nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1)), net.features[-1].out_channels
