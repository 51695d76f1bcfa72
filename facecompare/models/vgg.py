"""torchvision VGG16 as an embedder."""

from __future__ import annotations

import torch
from torch import nn

from facecompare.models.torchvision_embedder import TorchvisionEmbedder
from facecompare.models.weights import adapt_first_conv


class VGGEmbedder(TorchvisionEmbedder):
    """VGG16's 13 convolutions and 5 max-poolings (torchvision's ``features``), global average pooling and
    the embedding projection.

    The trunk ends at the last convolution block (512 channels). VGG's fixed 7 x 7 pooling and its two
    4096-wide fully connected layers are dropped: they hold 120 M of its 138 M parameters, are sized for
    224 px images, and the projection takes their place. Global pooling makes any input of 32 px or more
    work (the five poolings halve it five times).
    """

    archs = ("vgg16", "vgg16_bn")
    head_prefixes = ("classifier.",)

    @classmethod
    def classifier(cls, arch: str, pretrained: bool | str | None) -> nn.Module:
        if pretrained:
            return super().classifier(arch, pretrained)
        # Randomly initialising the dropped 4096-wide layers takes seconds: build the network without
        # storage, then give the convolutions theirs, initialised as torchvision's VGG does.
        import torchvision

        with torch.device("meta"):
            net = torchvision.models.get_model(arch, weights=None)
        net.features.to_empty(device="cpu")
        for m in net.features.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
                m.reset_running_stats()
        return net

    @staticmethod
    def trunk_of(net: nn.Module, in_channels: int) -> tuple[nn.Module, int]:
        net.features[0] = adapt_first_conv(net.features[0], in_channels)
        return nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1)), 512
