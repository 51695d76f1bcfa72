"""torchvision ResNets as embedders."""

from __future__ import annotations

from torch import nn

from facecompare.models.torchvision_embedder import TorchvisionEmbedder
from facecompare.models.weights import adapt_first_conv


class ResNetEmbedder(TorchvisionEmbedder):
    """A torchvision ResNet with its classifier (``fc``) replaced by the embedding projection."""

    archs = ("resnet18", "resnet34", "resnet50")
    head_prefixes = ("fc.",)

    @staticmethod
    def trunk_of(net: nn.Module, in_channels: int) -> tuple[nn.Module, int]:
        net.conv1 = adapt_first_conv(net.conv1, in_channels)
        feature_dim = net.fc.in_features
        net.fc = nn.Identity()
        return net, feature_dim
