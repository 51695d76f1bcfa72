"""A reader for dlib's serialized DNNs (``dlib::serialize(net)``, the ``.dat`` files of dlib-models), so that
dlib's face networks load into PyTorch without dlib. It follows dlib's sources: ``dlib/serialize.h``
(integers, strings, bools), ``dlib/float_details.h`` (floats), ``dlib/cuda/tensor.h`` (tensors),
``dlib/dnn/core.h`` (the layer wrappers) and ``dlib/dnn/layers.h``, ``input.h``, ``loss.h`` (the layers)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facecompare.errors import FacecompareError


class DlibFormatError(FacecompareError, ValueError):
    """The file is not a dlib network this reader knows, or it is damaged."""


@dataclass
class DlibLayer:
    """One computational layer, in input-to-output order: its dlib name (``con_4``, ``affine_``, ...), its
    integer settings, and its parameters as float32 arrays in dlib's layout."""

    kind: str
    settings: dict[str, int] = field(default_factory=dict)
    params: dict[str, np.ndarray] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def fail(self, what: str, at: int | None = None) -> DlibFormatError:
        return DlibFormatError(
            f"{self.path}: not a dlib network this reader knows: {what} at byte {self.pos if at is None else at}"
        )

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise self.fail(f"the file ends early (truncated? {len(self.data)} bytes, needed {self.pos + n})")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int(self) -> int:  # serialize.h pack_int: a control byte (size | 0x80 if negative), then LE bytes
        control = self.take(1)[0]
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            raise self.fail(f"bad integer control byte 0x{control:02x}", self.pos - 1)
        value = int.from_bytes(self.take(size), "little")
        return -value if control & 0x80 else value

    def string(self) -> str:
        size, start = self.int(), self.pos
        if size > 1024:
            raise self.fail(f"implausible string length {size}", start)
        try:
            return self.take(size).decode("ascii")
        except UnicodeDecodeError:
            raise self.fail("a layer name that is not text", start) from None

    def bool(self) -> bool:
        at, char = self.pos, self.take(1)
        if char not in (b"0", b"1"):
            raise self.fail(f"bad bool {char!r}", at)
        return char == b"1"

    def float(self) -> float:  # float_details.h: mantissa (int64) * 2 ** exponent (int16); 32000+ are inf/nan
        mantissa, exponent = self.int(), self.int()
        special = {32000: math.inf, 32001: -math.inf, 32002: math.nan}
        return special[exponent] if exponent in special else math.ldexp(mantissa, exponent)

    def tensor(self) -> np.ndarray:  # tensor.h: version 2, four dimensions, raw little-endian float32
        at = self.pos
        if (version := self.int()) != 2:
            raise self.fail(f"tensor version {version}, expected 2", at)
        shape = tuple(self.int() for _ in range(4))
        if any(d < 0 for d in shape):
            raise self.fail(f"negative tensor shape {shape}", at)
        count = math.prod(shape)
        return np.frombuffer(self.take(4 * count), dtype="<f4").reshape(shape).astype(np.float32)

    def alias(self) -> tuple[int, ...]:  # an alias_tensor: the shape of a view into a layer's params
        at = self.pos
        if (version := self.int()) != 1:
            raise self.fail(f"alias_tensor version {version}, expected 1", at)
        return tuple(self.int() for _ in range(4))

    def peek_input_layer(self) -> bool:
        saved = self.pos
        try:
            return self.string().startswith("input_")
        except DlibFormatError:
            return False
        finally:
            self.pos = saved


def _view(params: np.ndarray, shape: tuple[int, ...], offset: int) -> np.ndarray:
    flat = params.reshape(-1)
    return flat[offset : offset + math.prod(shape)].reshape(shape)


@dataclass
class DlibNetwork:
    """A deserialized dlib network: its loss and input layers' names, the input's mean pixel (R, G, B) and
    size, and its computational layers from input to output (tags and skips leave no trace here)."""

    loss: str
    input: str
    input_mean: tuple[float, float, float]
    input_size: tuple[int, int] | None
    layers: list[DlibLayer]


def read_dlib_network(path: str | Path) -> DlibNetwork:
    """Parse a file written by ``dlib::serialize(net)``; a :class:`DlibFormatError` names the file and the
    byte offset where it stops making sense."""
    path = Path(path)
    try:
        reader = _Reader(path.read_bytes(), path)
    except OSError as err:
        raise DlibFormatError(f"{path}: cannot read ({err.strerror or err})") from None
    if (version := reader.int()) != 1:
        raise reader.fail(f"loss layer version {version}, expected 1 (is this a dlib network file?)", 0)
    loss_at, loss = reader.pos, reader.string()
    if loss == "loss_metric_2":
        reader.float(), reader.float()  # margin, distance threshold: training settings only
    elif not loss.startswith("loss_"):
        raise reader.fail(f"expected a loss layer, found {loss!r}", loss_at)
    elif loss != "loss_metric_":
        raise reader.fail(f"loss layer {loss!r} (only metric-learning networks are read)", loss_at)
    # core.h writes a layer's sub-network before the layer itself, so the input comes first in the file
    # after the nest of wrapper versions: add_layer 2, add_tag_layer and add_skip_layer 1.
    wrappers: list[int] = []
    while True:
        at, version = reader.pos, reader.int()
        if version in (2, 3) and reader.peek_input_layer():
            break
        if version not in (1, 2) or len(wrappers) > 10_000:
            raise reader.fail(f"layer wrapper version {version}", at)
        wrappers.append(version)
    name_at, name = reader.pos, reader.string()
    if name not in ("input_rgb_image", "input_rgb_image_sized"):
        raise reader.fail(f"input layer {name!r} (only RGB image inputs are read)", name_at)
    mean = (reader.float(), reader.float(), reader.float())
    size = (reader.int(), reader.int()) if name == "input_rgb_image_sized" else None
    layers = [_layer(reader)]
    _wrapper_tail(reader, grad_name=True)
    if version == 3:
        reader.int()  # sample expansion factor
    for wrapper in reversed(wrappers):
        if wrapper == 2:  # an add_layer: its layer, then its training state
            layers.append(_layer(reader))
            _wrapper_tail(reader, grad_name=False)
    if reader.pos != len(reader.data):
        raise reader.fail(f"{len(reader.data) - reader.pos} bytes left over after the network")
    return DlibNetwork(loss, name, mean, size, layers)


def _wrapper_tail(reader: _Reader, grad_name: bool) -> None:
    # this_layer_setup_called, gradient_input_is_stale, get_output_and_gradient_input_disabled, then x_grad,
    # cached_output and params_grad (grad_final for the input layer's wrapper): empty in saved networks
    for _ in range(3):
        reader.bool()
    for _ in range(3):
        reader.tensor()


def _layer(reader: _Reader) -> DlibLayer:
    at, kind = reader.pos, reader.string()
    if kind in ("con_4", "con_5", "con_6"):
        params = reader.tensor()
        names = ("num_filters", "nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")
        settings = {name: reader.int() for name in names}
        filters, biases = reader.alias(), reader.alias()
        for _ in range(4):
            reader.float()  # learning-rate and weight-decay multipliers
        use_bias = reader.bool() if kind != "con_4" else True
        if kind == "con_6" and reader.bool():
            raise reader.fail("a convolution with a fused ReLU (con_6 use_relu) is not supported", at)
        weights = {"weight": _view(params, filters, 0)}
        if use_bias:
            weights["bias"] = _view(params, biases, math.prod(filters)).reshape(-1)
        return DlibLayer("con", settings, weights)
    if kind in ("affine_", "affine_2"):
        params, gamma, beta = reader.tensor(), reader.alias(), reader.alias()
        settings = {"mode": reader.int()}
        if kind == "affine_2" and reader.bool():
            settings["disabled"] = 1
        weights = {
            "gamma": _view(params, gamma, 0).reshape(-1),
            "beta": _view(params, beta, math.prod(gamma)).reshape(-1),
        }
        return DlibLayer("affine", settings, weights)
    if kind in ("relu_", "relu_2"):
        if kind == "relu_2" and reader.bool():
            return DlibLayer("identity")  # a disabled relu passes its input through
        return DlibLayer("relu")
    if kind in ("max_pool_2", "avg_pool_2"):
        names = ("nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")
        return DlibLayer(kind.removesuffix("_2"), {name: reader.int() for name in names})
    if kind in ("fc_2", "fc_3"):
        outputs, inputs, params = reader.int(), reader.int(), reader.tensor()
        weights_shape, biases_shape, bias_mode = reader.alias(), reader.alias(), reader.int()
        for _ in range(4):
            reader.float()
        use_bias = (reader.bool() if kind == "fc_3" else True) and bias_mode == 0
        weights = {"weight": _view(params, weights_shape, 0).reshape(inputs, outputs)}
        if use_bias:
            weights["bias"] = _view(params, biases_shape, math.prod(weights_shape)).reshape(-1)
        return DlibLayer("fc", {"outputs": outputs, "inputs": inputs}, weights)
    if kind == "add_prev_":
        return DlibLayer("add_prev")
    if kind.startswith("bn_"):
        raise reader.fail(
            f"a batch-norm layer {kind!r} (a network saved for training; dlib runs it with affine layers instead)",
            at,
        )
    raise reader.fail(f"unknown layer {kind!r}", at)
