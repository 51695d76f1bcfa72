"""insightface's MobileFaceNet (arcface_torch ``backbones/mobilefacenet.py``) and its embedder.

Module and parameter names are arcface_torch's, so one of its ``backbone.pth`` state dicts loads key for
key. Its fp16 autocast branch and ``norm_output`` are left out: the embedder normalises.
"""

from __future__ import annotations

from torch import Tensor, nn

from facecompare.errors import ConfigError
from facecompare.models.arcface_embedder import FEATURES, ArcfaceEmbedder
from facecompare.models.weights import adapt_first_conv

# arcface_torch's get_mbf and get_mbf_large: residual blocks per stage, and the width multiplier
ARCHS = {"mbf": ((1, 4, 6, 2), 2), "mbf_large": ((2, 8, 12, 4), 4)}


class ConvBlock(nn.Module):
    def __init__(self, in_c: int, out_c: int, kernel=(1, 1), stride=(1, 1), padding=(0, 0), groups: int = 1) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_c, out_c, kernel, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_c),
            nn.PReLU(out_c),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class LinearBlock(nn.Module):
    """A convolution and batch norm without activation."""

    def __init__(self, in_c: int, out_c: int, kernel=(1, 1), stride=(1, 1), padding=(0, 0), groups: int = 1) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_c, out_c, kernel, stride, padding, groups=groups, bias=False), nn.BatchNorm2d(out_c)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class DepthWise(nn.Module):
    """Expand to ``groups`` channels (1 x 1), depthwise ``kernel`` conv, project to ``out_c`` (1 x 1)."""

    def __init__(self, in_c: int, out_c: int, residual=False, kernel=(3, 3), stride=(2, 2), padding=(1, 1), groups=1):
        super().__init__()
        self.residual = residual
        self.layers = nn.Sequential(
            ConvBlock(in_c, groups),
            ConvBlock(groups, groups, kernel, stride, padding, groups=groups),
            LinearBlock(groups, out_c),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.layers(x) if self.residual else self.layers(x)


class Residual(nn.Module):
    def __init__(self, c: int, num_block: int, groups: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(*(DepthWise(c, c, True, (3, 3), (1, 1), (1, 1), groups) for _ in range(num_block)))

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class GDC(nn.Module):
    """Global depthwise convolution over the 7 x 7 grid of a 112 px face, then a linear layer."""

    def __init__(self, embedding_size: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            LinearBlock(512, 512, kernel=(7, 7), groups=512),
            nn.Flatten(),
            nn.Linear(512, embedding_size, bias=False),
            nn.BatchNorm1d(embedding_size),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class MobileFaceNet(nn.Module):
    def __init__(self, num_features: int = FEATURES, blocks=(1, 4, 6, 2), scale: int = 2) -> None:
        super().__init__()
        c1, c2 = 64 * scale, 128 * scale
        self.layers = nn.ModuleList([ConvBlock(3, c1, (3, 3), (2, 2), (1, 1))])
        if blocks[0] == 1:
            self.layers.append(ConvBlock(c1, c1, (3, 3), (1, 1), (1, 1), groups=64))
        else:
            self.layers.append(Residual(c1, blocks[0], groups=128))
        self.layers.extend([
            DepthWise(c1, c1, False, (3, 3), (2, 2), (1, 1), groups=128),
            Residual(c1, blocks[1], groups=128),
            DepthWise(c1, c2, False, (3, 3), (2, 2), (1, 1), groups=256),
            Residual(c2, blocks[2], groups=256),
            DepthWise(c2, c2, False, (3, 3), (2, 2), (1, 1), groups=512),
            Residual(c2, blocks[3], groups=256),
        ])  # fmt: skip
        self.conv_sep = ConvBlock(c2, 512)
        self.features = GDC(num_features)
        for m in self.modules():  # arcface_torch's initialisation
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.features(self.conv_sep(x))


class MobileFaceNetEmbedder(ArcfaceEmbedder):
    """MobileFaceNet (``arch: mbf``, arcface_torch's default, or ``mbf_large``) as an embedder: the network's
    512-d output, then the projection. ``pretrained``: null or the path of an arcface_torch ``backbone.pth``.
    112 x 112 input only."""

    def __init__(
        self,
        arch: str = "mbf",
        pretrained: bool | str | None = None,
        embedding_dim: int = 512,
        normalize: bool = True,
        in_channels: int = 3,
        dropout: float = 0.0,
        flip_average: bool = False,
    ) -> None:
        if arch not in ARCHS:
            raise ConfigError(f"backbone.arch must be one of {list(ARCHS)}, got {arch!r}")
        blocks, scale = ARCHS[arch]
        net = MobileFaceNet(blocks=blocks, scale=scale)
        super().__init__(net, pretrained, embedding_dim, normalize, in_channels, dropout, flip_average)

    @staticmethod
    def adapt_stem(net: nn.Module, in_channels: int) -> None:
        net.layers[0].layers[0] = adapt_first_conv(net.layers[0].layers[0], in_channels)
