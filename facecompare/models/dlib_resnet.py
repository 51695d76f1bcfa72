"""dlib's metric-learning face ResNet (``dlib_face_recognition_resnet_model_v1``, dlib's
``examples/dnn_face_recognition_ex.cpp``) in PyTorch: 150 x 150 RGB in, a 256-wide pooled feature out, which
dlib's last layer (``fc_no_bias<128>``) projects to its 128-d face descriptor."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# (width, blocks, first block halves the size): dlib's alevel4 ... alevel0, from the input side
LEVELS = ((32, 3, False), (64, 4, True), (128, 3, True), (256, 3, True), (256, 1, True))
NATIVE_SIZE = 150


class Affine(nn.Module):
    """dlib's ``affine`` layer: a learned per-channel scale and shift. dlib trains with batch norm and saves
    the network with each batch norm folded into one of these, so fine-tuning starts with frozen statistics."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def add_zero_padded(a: Tensor, b: Tensor) -> Tensor:
    """dlib's ``add_prev``: a sum over the larger of the two shapes, the smaller tensor padded with zeros at
    the end of each dimension. It happens where a 3 x 3 stride-2 convolution without padding (3 x 3 out of
    8 x 8) meets the 2 x 2 average pool of the shortcut (4 x 4)."""
    if a.shape == b.shape:
        return a + b
    c, h, w = (max(x, y) for x, y in zip(a.shape[1:], b.shape[1:], strict=True))

    def pad(t: Tensor) -> Tensor:
        return F.pad(t, (0, w - t.shape[3], 0, h - t.shape[2], 0, c - t.shape[1]))

    return pad(a) + pad(b)


class DlibBlock(nn.Module):
    """A residual block: conv, affine, ReLU, conv, affine, plus the input (average-pooled 2 x 2 when the
    block halves the size), then ReLU. dlib pads a stride-1 3 x 3 convolution by 1 and a stride-2 one by 0."""

    def __init__(self, in_channels: int, channels: int, down: bool) -> None:
        super().__init__()
        stride, padding = (2, 0) if down else (1, 1)
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, padding)
        self.affine1 = Affine(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.affine2 = Affine(channels)
        self.down = down

    def forward(self, x: Tensor) -> Tensor:
        y = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)))))
        return F.relu(add_zero_padded(y, F.avg_pool2d(x, 2, 2) if self.down else x))


class DlibResNet(nn.Module):
    """The trunk: a 7 x 7 stride-2 stem, a 3 x 3 stride-2 max pool, 14 residual blocks and a global average
    pool. Its input is ``(pixel - dlib's mean pixel) / 256``, which :class:`DlibResNetEmbedder` applies."""

    def __init__(self, in_channels: int = 3) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_channels, 32, 7, 2, 0)
        self.stem_affine = Affine(32)
        blocks, width = [], 32
        for channels, count, down in LEVELS:
            for i in range(count):
                blocks.append(DlibBlock(width, channels, down and i == 0))
                width = channels
        self.blocks = nn.Sequential(*blocks)
        self.out_features = width

    def forward(self, x: Tensor) -> Tensor:
        x = F.max_pool2d(F.relu(self.stem_affine(self.stem(x))), 3, 2)
        return self.blocks(x).mean(dim=(2, 3))

    def dlib_order(self) -> list[tuple[str, nn.Module]]:
        """The parametric layers in the order dlib writes them (input first): how a ``.dat`` file maps on."""
        order: list[tuple[str, nn.Module]] = [("stem", self.stem), ("stem_affine", self.stem_affine)]
        for i, block in enumerate(self.blocks):
            order += [(f"blocks.{i}.{name}", getattr(block, name)) for name in ("conv1", "affine1", "conv2", "affine2")]
        return order
