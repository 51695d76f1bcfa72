"""Pretrained-weight loading shared by the backbones: hub downloads with an offline fallback to files."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from facecompare.errors import FacecompareError
from facecompare.torch_archive import check_torch_archive


class WeightsError(FacecompareError, RuntimeError):
    """Pretrained weights could not be obtained or do not fit the network."""


def load_weights_file(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a state dict with ``weights_only=True`` (never an arbitrary pickle)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise WeightsError(f"{path}: pretrained weights file not found")
    check_torch_archive(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's message goes on to suggest weights_only=False: never for a file
        raise WeightsError(  # from elsewhere
            f"{path}: not a plain weights file (it holds objects other than tensors and containers, never loaded)"
        ) from None
    except Exception as err:  # torch raises several types for a bad file; its first line says which
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise WeightsError(f"{path}: not a loadable weights file ({type(err).__name__}: {first})") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise WeightsError(f"{path}: expected a state dict, found {type(state).__name__}")
    # Checkpoints saved from DataParallel/DDP prefix every key with "module.".
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_into(module: nn.Module, state: dict[str, Any], source: str, ignore_prefixes: tuple[str, ...] = ()) -> None:
    """Load ``state`` into ``module``; heads listed in ``ignore_prefixes`` (classifiers) may differ."""
    state = {k: v for k, v in state.items() if not k.startswith(ignore_prefixes)}
    own = module.state_dict()
    found = {
        "missing": [k for k in own if k not in state and not k.startswith(ignore_prefixes)],
        "unexpected": [k for k in state if k not in own],
        "other shape": [
            f"{k} {_shape(v)} (network: {_shape(own[k])})"
            for k, v in state.items()
            if k in own and _shape(v) != _shape(own[k])
        ],
    }
    if any(found.values()):
        listed = "; ".join(f"{name} {_some(keys)}" for name, keys in found.items() if keys)
        raise WeightsError(f"{source}: weights do not match the network ({listed})")
    module.load_state_dict(state, strict=False)


def _shape(value: Any) -> tuple[int, ...] | None:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def _some(keys: list[str], shown: int = 3) -> str:
    """``(2): a, b`` or ``(40): a, b, c, ...``: how many, and the first few."""
    return f"({len(keys)}): {', '.join(keys[:shown])}{', ...' if len(keys) > shown else ''}"


def adapt_first_conv(conv: nn.Conv2d, in_channels: int) -> nn.Conv2d:
    """Rebuild a 3-channel stem conv for ``in_channels``; grayscale sums the RGB filters so pretrained
    responses to a gray image are preserved."""
    if in_channels == conv.in_channels:
        return conv
    new = nn.Conv2d(
        in_channels,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        conv.dilation,
        conv.groups,
        conv.bias is not None,
    )
    with torch.no_grad():
        new.weight.copy_(conv.weight.sum(dim=1, keepdim=True).expand_as(new.weight))
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    return new


def torchvision_model(arch: str, pretrained: bool | str | None, head_prefixes: tuple[str, ...]) -> nn.Module:
    """Build a torchvision classifier with ``pretrained`` = false, true (ImageNet, downloaded or taken from
    the torch hub cache) or a path to a local weights file."""
    import torchvision

    if pretrained is None or pretrained is False:
        return torchvision.models.get_model(arch, weights=None)
    if pretrained is True:
        weights = torchvision.models.get_model_weights(arch).DEFAULT
        try:
            return torchvision.models.get_model(arch, weights=weights)
        except Exception as err:  # offline hosts fail with URLError, socket or SSL errors
            raise WeightsError(
                f"could not fetch ImageNet weights for {arch} ({type(err).__name__}); without network, "
                f"download {weights.url} elsewhere and set backbone.pretrained=/path/to/that/file"
            ) from err
    model = torchvision.models.get_model(arch, weights=None)
    load_into(model, load_weights_file(pretrained), str(pretrained), ignore_prefixes=head_prefixes)
    return model
