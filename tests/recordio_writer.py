"""A small writer of MXNet RecordIO files, after dmlc-core's RecordIOWriter::WriteRecord and
mxnet.recordio.pack, for tests that need train.rec / train.idx / property without mxnet."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

MAGIC = 0xCED7230A


def pack(label: float | list[float], payload: bytes, key: int = 0) -> bytes:
    """IRHeader ('IfQQ': flag, label, id, id2) then the payload; an array label is stored after the header
    with its length as the flag, as mxnet.recordio.pack does."""
    if isinstance(label, (int, float)):
        return struct.pack("<IfQQ", 0, float(label), key, 0) + payload
    values = np.asarray(label, np.float32)
    return struct.pack("<IfQQ", values.size, 0.0, key, 0) + values.tobytes() + payload


def record_bytes(data: bytes) -> bytes:
    """One record: split at each magic number found on a 4-byte boundary (flags 1, 2, 3), padded to 4."""
    magic = struct.pack("<I", MAGIC)
    out, start = b"", 0
    for i in range(0, len(data) // 4 * 4, 4):
        if data[i : i + 4] == magic:
            out += magic + struct.pack("<I", ((1 if start == 0 else 2) << 29) | (i - start)) + data[start:i]
            start = i + 4
    tail = data[start:]
    out += magic + struct.pack("<I", ((3 if start else 0) << 29) | len(tail)) + tail
    return out + b"\0" * (-len(tail) % 4)


def write_rec(folder: Path, images: list[np.ndarray], labels: list, fmt: str = ".png", header: bool = True) -> Path:
    """train.rec / train.idx / property in ``folder``: insightface's layout (record 0 a header naming the
    image keys 1..N) with ``header``, else the images from key 0. ``images`` are RGB (H, W, 3) uint8."""
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    first = 1 if header else 0
    if header:
        records.append((0, pack([float(len(images) + 1), float(len(images) + 1)], b"")))
    for k, (image, label) in enumerate(zip(images, labels, strict=True)):
        ok, encoded = cv2.imencode(fmt, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        assert ok
        records.append((first + k, pack(label, encoded.tobytes(), first + k)))
    offset, index, blob = 0, [], b""
    for key, data in records:
        index.append(f"{key}\t{offset}")
        chunk = record_bytes(data)
        blob += chunk
        offset += len(chunk)
    (folder / "train.rec").write_bytes(blob)
    (folder / "train.idx").write_text("\n".join(index) + "\n")
    size = images[0].shape[0]
    classes = len({int(np.atleast_1d(label)[0]) for label in labels})
    (folder / "property").write_text(f"{classes},{size},{size}")
    return folder
