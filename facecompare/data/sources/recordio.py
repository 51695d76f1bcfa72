"""MXNet's RecordIO files, read without mxnet: the ``train.rec`` / ``train.idx`` / ``property`` triple that
insightface ships its aligned training sets in (CASIA-WebFace, MS1MV3, Glint360K, WebFace42M...).

The layout follows dmlc-core's ``recordio.cc`` and ``mxnet/recordio.py``:
- a record is a magic number (0xced7230a), a 32-bit word holding a continuation flag (top 3 bits) and the
  length (low 29 bits), the bytes, and zero padding to 4 bytes. A payload that holds the magic number at a
  4-byte boundary is written in parts (flag 1 first, 2 middle, 3 last), the magic dropped between them;
- a payload starts with an ``IRHeader``, struct ``IfQQ`` (flag, label, id, id2, little-endian). With
  ``flag > 0`` the label is the ``flag`` float32 values that follow the header instead;
- ``train.idx`` has one ``key<TAB>offset`` line per record;
- insightface's record 0 is a header whose first label value ends the range of image keys (1 to it).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecompare.errors import FacecompareError

MAGIC = 0xCED7230A
HEADER = struct.Struct("<IfQQ")
LENGTH_BITS = 29


class RecordIOError(FacecompareError):
    """A .rec, .idx or property file that is not what the format says, named with the offset or line."""


@dataclass(frozen=True)
class IRHeader:
    flag: int
    label: float | np.ndarray
    id: int
    id2: int


def unpack(record: bytes) -> tuple[IRHeader, bytes]:
    """The header and the payload (an encoded image) of one record, as ``mxnet.recordio.unpack`` gives them."""
    if len(record) < HEADER.size:
        raise ValueError(f"a record of {len(record)} bytes is shorter than its {HEADER.size}-byte header")
    flag, label, id1, id2 = HEADER.unpack_from(record)
    rest = record[HEADER.size :]
    if flag > 0:
        if len(rest) < 4 * flag:
            raise ValueError(f"the header announces {flag} label values but the record ends before them")
        return IRHeader(flag, np.frombuffer(rest, np.float32, flag).copy(), id1, id2), rest[4 * flag :]
    return IRHeader(flag, label, id1, id2), rest


def read_index(path: Path) -> dict[int, int]:
    """``train.idx``: {record key: byte offset in train.rec}."""
    index = {}
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise RecordIOError(f"{path}: cannot be read as a RecordIO index ({err})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        try:
            key, offset = int(parts[0]), int(parts[1])
        except (IndexError, ValueError):
            raise RecordIOError(f"{path}, line {number}: expected 'key<TAB>offset', got {line[:60]!r}") from None
        index[key] = offset
    if not index:
        raise RecordIOError(f"{path}: the index lists no records")
    return index


class RecordReader:
    """Random access to the records of a ``.rec`` file through its ``.idx``; one open file per reader (give
    each loader worker its own)."""

    def __init__(self, rec: Path, idx: Path) -> None:
        self.path = Path(rec)
        self.index = read_index(idx)
        self.size = self.path.stat().st_size
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed by close(), the reader outlives a with-block

    def close(self) -> None:
        self._file.close()

    def read(self, key: int) -> bytes:
        """The payload of record ``key``, its parts joined as dmlc-core's reader joins them."""
        if key not in self.index:
            raise RecordIOError(f"{self.path}: no record {key} in its index")
        offset, parts = self.index[key], []
        while True:
            self._file.seek(offset)
            head = self._file.read(8)
            if len(head) < 8:
                raise RecordIOError(f"{self.path}: truncated at byte {offset} (record {key}'s header)")
            magic, word = struct.unpack("<II", head)
            if magic != MAGIC:
                raise RecordIOError(f"{self.path}: no record at byte {offset} (record {key}): magic {magic:#010x}")
            flag, length = word >> LENGTH_BITS, word & ((1 << LENGTH_BITS) - 1)
            data = self._file.read(length)
            if len(data) < length:
                raise RecordIOError(f"{self.path}: truncated at byte {offset + 8 + len(data)} (record {key})")
            parts.append(data)
            if flag in (0, 3):
                return struct.pack("<I", MAGIC).join(parts)
            if flag not in (1, 2):
                raise RecordIOError(f"{self.path}: record {key} has continuation flag {flag} at byte {offset}")
            offset += 8 + ((length + 3) // 4) * 4

    def image_keys(self) -> list[int]:
        """The keys of the image records: insightface's 1..N-1 named by record 0, else every key."""
        if 0 in self.index:
            header, _ = unpack(self.read(0))
            if header.flag > 0:
                end = int(header.label[0])
                return [k for k in range(1, end) if k in self.index]
        return sorted(self.index)


def read_property(path: Path) -> tuple[int, int, int]:
    """insightface's ``property`` file: (identities, height, width)."""
    try:
        values = [int(v) for v in Path(path).read_text().strip().split(",")]
    except (OSError, ValueError) as err:
        raise RecordIOError(f"{path}: expected 'identities,height,width' ({err})") from None
    if len(values) != 3:
        raise RecordIOError(f"{path}: expected 'identities,height,width', got {len(values)} values")
    return values[0], values[1], values[2]
