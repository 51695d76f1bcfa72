"""dlib's face-recognition weights (a ``.dat`` file) onto :class:`DlibResNet`, checked layer by layer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from facecompare.models.dlib_format import DlibFormatError, DlibNetwork, read_dlib_network
from facecompare.models.dlib_resnet import NATIVE_SIZE, DlibResNet
from facecompare.models.weights import WeightsError

DAT_NAME = "dlib_face_recognition_resnet_model_v1.dat"
INSTALL = "pip install face-recognition-models"


def installed_dat() -> Path:
    """The ``.dat`` file inside the installed ``face_recognition_models`` package (found without importing it:
    its ``__init__`` needs the deprecated ``pkg_resources``)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            f"backbone.pretrained=true reads dlib's {DAT_NAME} from the face_recognition_models package, which is "
            f"not installed: {INSTALL} (or set backbone.pretrained=/path/to/{DAT_NAME})"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / DAT_NAME
    if not path.is_file():
        raise WeightsError(f"{path}: missing from the face_recognition_models package; reinstall it: {INSTALL}")
    return path


def expected_kinds(trunk: DlibResNet) -> list[str]:
    kinds = ["con", "affine", "relu", "max_pool"]
    for block in trunk.blocks:
        kinds += ["con", "affine", "relu", "con", "affine", *(["avg_pool"] if block.down else []), "add_prev", "relu"]
    return [*kinds, "avg_pool", "fc"]


def load_dlib_weights(trunk: DlibResNet, path: str | Path) -> torch.Tensor:
    """Copy the ``.dat`` file's weights into ``trunk`` and return its last layer's weight as a (128, 256)
    projection. Anything that is not dlib's face ResNet is an error naming the file and the first layer
    that differs."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise WeightsError(f"{path}: dlib weights file not found")
    try:
        network = read_dlib_network(path)
    except DlibFormatError as err:
        raise WeightsError(str(err)) from None
    _check_shape(network, trunk, path)
    parametric = [layer for layer in network.layers if layer.kind in ("con", "affine", "fc")]
    state: dict[str, torch.Tensor] = {}
    for (name, module), layer in zip(trunk.dlib_order(), parametric, strict=False):
        if isinstance(module, nn.Conv2d):
            settings = layer.settings
            if (settings["stride_y"], settings["padding_y"]) != (module.stride[0], module.padding[0]):
                raise WeightsError(f"{path}: layer {name}: stride/padding {settings} differ from dlib's face ResNet")
            state[f"{name}.weight"] = torch.from_numpy(layer.params["weight"].copy())
            state[f"{name}.bias"] = torch.from_numpy(layer.params["bias"].copy())
        else:
            state[f"{name}.weight"] = torch.from_numpy(layer.params["gamma"].copy())
            state[f"{name}.bias"] = torch.from_numpy(layer.params["beta"].copy())
    own = trunk.state_dict()
    wrong = {k: tuple(v.shape) for k, v in state.items() if v.shape != own[k].shape}
    if wrong:
        raise WeightsError(f"{path}: weights of other shapes than dlib's face ResNet: {dict(list(wrong.items())[:3])}")
    trunk.load_state_dict(state)
    return torch.from_numpy(parametric[-1].params["weight"].T.copy())


def _check_shape(network: DlibNetwork, trunk: DlibResNet, path: Path) -> None:
    kinds = [layer.kind for layer in network.layers]
    want = expected_kinds(trunk)
    if kinds != want:
        at = next((i for i, (a, b) in enumerate(zip(kinds, want, strict=False)) if a != b), min(len(kinds), len(want)))
        found = kinds[at] if at < len(kinds) else "the end"
        raise WeightsError(
            f"{path}: a dlib network, but not dlib's face ResNet: layer {at} is {found}, expected "
            f"{want[at] if at < len(want) else 'the end'} ({len(kinds)} layers, expected {len(want)})"
        )
    fc = network.layers[-1]
    if fc.settings["inputs"] != trunk.out_features or "bias" in fc.params:
        raise WeightsError(f"{path}: its last layer is not a {trunk.out_features}-input fc without bias")
    if network.input_size not in (None, (NATIVE_SIZE, NATIVE_SIZE)):
        raise WeightsError(f"{path}: a network for {network.input_size} inputs, not {NATIVE_SIZE} x {NATIVE_SIZE}")
