"""arcface_torch's IResNet and MobileFaceNet written out independently of facecompare's modules: the key
names and shapes of their state dicts, and a functional forward pass over such a state dict. Both follow
insightface's recognition/arcface_torch/backbones/iresnet.py and mobilefacenet.py."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

Spec = dict[str, tuple[int, ...]]


def _bn(name: str, c: int) -> Spec:
    return {f"{name}.{k}": (c,) for k in ("weight", "bias", "running_mean", "running_var")} | {
        f"{name}.num_batches_tracked": ()
    }


def iresnet_spec(layers: tuple[int, ...]) -> Spec:
    spec = {"conv1.weight": (64, 3, 3, 3), **_bn("bn1", 64), "prelu.weight": (64,)}
    inplanes = 64
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers, strict=True), start=1):
        for j in range(blocks):
            p, cin = f"layer{stage}.{j}", inplanes if j == 0 else planes
            spec |= {**_bn(f"{p}.bn1", cin), f"{p}.conv1.weight": (planes, cin, 3, 3), **_bn(f"{p}.bn2", planes)}
            spec |= {f"{p}.prelu.weight": (planes,), f"{p}.conv2.weight": (planes, planes, 3, 3)}
            spec |= _bn(f"{p}.bn3", planes)
            if j == 0:
                spec |= {f"{p}.downsample.0.weight": (planes, cin, 1, 1), **_bn(f"{p}.downsample.1", planes)}
        inplanes = planes
    return spec | {**_bn("bn2", 512), "fc.weight": (512, 512 * 7 * 7), "fc.bias": (512,), **_bn("features", 512)}


def mbf_spec(blocks: tuple[int, ...] = (1, 4, 6, 2), scale: int = 2) -> Spec:
    spec: Spec = {}

    def conv_block(p: str, cin: int, cout: int, k: int, groups: int = 1, act: bool = True) -> None:
        spec[f"{p}.layers.0.weight"] = (cout, cin // groups, k, k)
        spec.update(_bn(f"{p}.layers.1", cout))
        if act:
            spec[f"{p}.layers.2.weight"] = (cout,)

    def depthwise(p: str, cin: int, cout: int, groups: int) -> None:
        conv_block(f"{p}.layers.0", cin, groups, 1)
        conv_block(f"{p}.layers.1", groups, groups, 3, groups)
        conv_block(f"{p}.layers.2", groups, cout, 1, act=False)

    c1, c2 = 64 * scale, 128 * scale
    conv_block("layers.0", 3, c1, 3)
    assert blocks[0] == 1  # get_mbf's layout: a grouped conv rather than a residual stage
    conv_block("layers.1", c1, c1, 3, groups=64)
    for index, (cin, cout, groups, count, inner) in enumerate(
        [(c1, c1, 128, blocks[1], 128), (c1, c2, 256, blocks[2], 256), (c2, c2, 512, blocks[3], 256)]
    ):
        depthwise(f"layers.{2 + 2 * index}", cin, cout, groups)
        for j in range(count):
            depthwise(f"layers.{3 + 2 * index}.layers.{j}", cout, cout, inner)
    conv_block("conv_sep", c2, 512, 1)
    conv_block("features.layers.0", 512, 512, 7, groups=512, act=False)
    return spec | {"features.layers.2.weight": (512, 512), **_bn("features.layers.3", 512)}


def random_state(spec: Spec, seed: int) -> dict[str, Tensor]:
    """Every tensor random (a skipped key keeps the network's own value and shows), at scales that keep a
    deep network's activations finite."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in spec.items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(100)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=g) + 0.5
        elif len(shape) > 1:  # conv and linear weights
            state[key] = torch.randn(shape, generator=g) / math.prod(shape[1:]) ** 0.5
        elif key.endswith(".weight") and key.removesuffix("weight") + "running_var" in spec:  # batch norm scales
            state[key] = 1 + 0.1 * torch.randn(shape, generator=g)
        else:  # biases, running means, PReLU slopes
            state[key] = 0.1 * torch.randn(shape, generator=g)
    return state


def _conv(x: Tensor, w: Tensor, stride: int = 1) -> Tensor:
    # every 3 x 3 conv pads by 1, the 1 x 1 ones and the 7 x 7 global one not at all
    return F.conv2d(x, w, stride=stride, padding=1 if w.shape[-1] == 3 else 0, groups=x.shape[1] // w.shape[1])


def _norm(s: dict[str, Tensor], x: Tensor, p: str) -> Tensor:
    return F.batch_norm(x, s[f"{p}.running_mean"], s[f"{p}.running_var"], s[f"{p}.weight"], s[f"{p}.bias"], eps=1e-5)


def iresnet_forward(s: dict[str, Tensor], x: Tensor, layers: tuple[int, ...]) -> Tensor:
    x = F.prelu(_norm(s, _conv(x, s["conv1.weight"]), "bn1"), s["prelu.weight"])
    for stage, blocks in enumerate(layers, start=1):
        for j in range(blocks):
            p, stride = f"layer{stage}.{j}", 2 if j == 0 else 1
            out = _norm(s, _conv(_norm(s, x, f"{p}.bn1"), s[f"{p}.conv1.weight"]), f"{p}.bn2")
            out = _norm(s, _conv(F.prelu(out, s[f"{p}.prelu.weight"]), s[f"{p}.conv2.weight"], stride), f"{p}.bn3")
            shortcut = _norm(s, _conv(x, s[f"{p}.downsample.0.weight"], 2), f"{p}.downsample.1") if j == 0 else x
            x = out + shortcut
    x = _norm(s, x, "bn2").flatten(1)
    return _norm(s, F.linear(x, s["fc.weight"], s["fc.bias"]), "features")


def mbf_forward(s: dict[str, Tensor], x: Tensor, blocks: tuple[int, ...] = (1, 4, 6, 2)) -> Tensor:
    def conv_block(x: Tensor, p: str, stride: int = 1, act: bool = True) -> Tensor:
        x = _norm(s, _conv(x, s[f"{p}.layers.0.weight"], stride), f"{p}.layers.1")
        return F.prelu(x, s[f"{p}.layers.2.weight"]) if act else x

    def depthwise(x: Tensor, p: str, stride: int = 1, residual: bool = False) -> Tensor:
        y = conv_block(conv_block(x, f"{p}.layers.0"), f"{p}.layers.1", stride)
        y = conv_block(y, f"{p}.layers.2", act=False)
        return x + y if residual else y

    x = conv_block(conv_block(x, "layers.0", stride=2), "layers.1")
    for index, count in enumerate(blocks[1:]):
        x = depthwise(x, f"layers.{2 + 2 * index}", stride=2)
        for j in range(count):
            x = depthwise(x, f"layers.{3 + 2 * index}.layers.{j}", residual=True)
    x = conv_block(conv_block(x, "conv_sep"), "features.layers.0", act=False).flatten(1)
    return _norm(s, F.linear(x, s["features.layers.2.weight"]), "features.layers.3")
