"""A writer of dlib's serialization format for the tests (dlib/serialize.h, float_details.h, tensor.h,
dnn/core.h), independent of the reader: tiny networks written here must read back as written."""

from __future__ import annotations

import math

import numpy as np


def integer(value: int) -> bytes:
    magnitude = abs(value)
    body = magnitude.to_bytes(max(1, (magnitude.bit_length() + 7) // 8), "little")
    return bytes([len(body) | (0x80 if value < 0 else 0)]) + body


def string(text: str) -> bytes:
    return integer(len(text)) + text.encode()


def boolean(value: bool) -> bytes:
    return b"1" if value else b"0"


def floating(value: float) -> bytes:  # float_details: mantissa * 2 ** exponent, 63 bits of mantissa
    mantissa, exponent = math.frexp(value)
    return integer(int(mantissa * (1 << 63))) + integer(exponent - 63)


def tensor(array: np.ndarray) -> bytes:
    shape = ([*list(array.shape), 1, 1, 1, 1])[:4] if array.size else [0, 0, 0, 0]
    return integer(2) + b"".join(integer(d) for d in shape) + array.astype("<f4").tobytes()


def alias(*shape: int) -> bytes:
    return integer(1) + b"".join(integer(d) for d in ([*list(shape), 1, 1, 1, 1])[:4])


EMPTY = tensor(np.zeros(0, np.float32))
TAIL = boolean(True) + boolean(False) + boolean(False) + EMPTY * 3  # an add_layer's training state


def con(weight: np.ndarray, bias: np.ndarray, stride: int, padding: int) -> bytes:
    out, cin, nr, nc = weight.shape
    params = np.concatenate([weight.reshape(-1), bias])
    settings = b"".join(integer(v) for v in (out, nr, nc, stride, stride, padding, padding))
    return (
        string("con_4") + tensor(params) + settings + alias(out, cin, nr, nc) + alias(1, out)
        + b"".join(floating(v) for v in (1.0, 1.0, 1.0, 0.0))
    )  # fmt: skip


def avg_pool_everything() -> bytes:
    return string("avg_pool_2") + b"".join(integer(v) for v in (0, 0, 1, 1, 0, 0))


def fc_no_bias(weight_in_out: np.ndarray) -> bytes:
    inputs, outputs = weight_in_out.shape
    return (
        string("fc_2") + integer(outputs) + integer(inputs) + tensor(weight_in_out.reshape(-1))
        + alias(inputs, outputs) + alias(1, outputs) + integer(1)
        + b"".join(floating(v) for v in (1.0, 1.0, 1.0, 0.0))
    )  # fmt: skip


def tiny_network(conv_w: np.ndarray, conv_b: np.ndarray, fc_w: np.ndarray) -> bytes:
    """loss_metric<fc_no_bias<avg_pool_everything<con<input_rgb_image_sized<8>>>>>: the sub-network first, as
    core.h writes it (add_loss_layer, then add_layer versions from the outside in, then the layers inside out)."""
    head = integer(1) + string("loss_metric_2") + floating(0.04) + floating(0.6)
    wrappers = integer(2) * 3  # fc, avg_pool, con: add_layer version 2 each, the innermost over the input
    inputs = string("input_rgb_image_sized") + floating(122.782) + floating(117.001) + floating(104.298)
    inputs += integer(8) + integer(8)
    return (
        head
        + wrappers
        + inputs
        + con(conv_w, conv_b, 1, 1)
        + TAIL
        + avg_pool_everything()
        + TAIL
        + (fc_no_bias(fc_w) + TAIL)
    )
