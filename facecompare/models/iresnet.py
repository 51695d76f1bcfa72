"""insightface's IResNet (arcface_torch ``backbones/iresnet.py``) and its embedder.

Module and parameter names are arcface_torch's, so one of its ``backbone.pth`` state dicts loads key for
key. Its fp16 autocast branch is left out: facecompare sets precision through the trainer.
"""

from __future__ import annotations

from torch import Tensor, nn

from facecompare.errors import ConfigError
from facecompare.models.arcface_embedder import ArcfaceEmbedder
from facecompare.models.weights import adapt_first_conv

# blocks per stage
LAYERS = {
    "iresnet18": (2, 2, 2, 2),
    "iresnet34": (3, 4, 6, 3),
    "iresnet50": (3, 4, 14, 3),
    "iresnet100": (3, 13, 30, 3),
}
# four stride-2 stages take a 112 px face to 7 x 7, the grid the fully connected layer is sized for
FC_GRID = 7


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class IBasicBlock(nn.Module):
    """BN-conv-BN-PReLU-conv-BN with a residual connection; the second conv carries the stride."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=1e-05)
        self.conv1 = _conv3x3(inplanes, planes)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-05)
        self.prelu = nn.PReLU(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-05)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return out + (x if self.downsample is None else self.downsample(x))


class IResNet(nn.Module):
    """The arcface_torch network: 112 x 112 input (normalised to [-1, 1]), ``num_features``-d output."""

    def __init__(self, layers: tuple[int, int, int, int], dropout: float = 0.0, num_features: int = 512) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=1e-05)
        self.prelu = nn.PReLU(64)
        inplanes = 64
        for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers, strict=True), start=1):
            # every stage starts with stride 2, so its first block always has a projection shortcut
            downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, kernel_size=1, stride=2, bias=False), nn.BatchNorm2d(planes, eps=1e-05)
            )
            rest = [IBasicBlock(planes, planes) for _ in range(blocks - 1)]
            setattr(self, f"layer{stage}", nn.Sequential(IBasicBlock(inplanes, planes, 2, downsample), *rest))
            inplanes = planes
        self.bn2 = nn.BatchNorm2d(512, eps=1e-05)
        self.dropout = nn.Dropout(p=dropout, inplace=True)
        self.fc = nn.Linear(512 * FC_GRID * FC_GRID, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-05)
        self._initialize()

    def _initialize(self) -> None:
        # arcface_torch's own initialisation, and its frozen scale of the output batch norm
        nn.init.constant_(self.features.weight, 1.0)
        self.features.weight.requires_grad = False
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.dropout(self.bn2(x).flatten(1))
        return self.features(self.fc(x))


class IResNetEmbedder(ArcfaceEmbedder):
    """IResNet-18/34/50/100 as an embedder: the network's 512-d ``features``, then the projection.

    ``pretrained``: null or the path of an arcface_torch ``backbone.pth``. 112 x 112 input only.
    """

    def __init__(
        self,
        arch: str = "iresnet50",
        pretrained: bool | str | None = None,
        embedding_dim: int = 512,
        normalize: bool = True,
        in_channels: int = 3,
        dropout: float = 0.0,
        flip_average: bool = False,
    ) -> None:
        if arch not in LAYERS:
            raise ConfigError(f"backbone.arch must be one of {list(LAYERS)}, got {arch!r}")
        super().__init__(
            IResNet(LAYERS[arch]), pretrained, embedding_dim, normalize, in_channels, dropout, flip_average
        )

    @staticmethod
    def adapt_stem(net: nn.Module, in_channels: int) -> None:
        net.conv1 = adapt_first_conv(net.conv1, in_channels)
