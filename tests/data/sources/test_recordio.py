"""RecordIO read without mxnet: records, their parts, headers and the index, and damaged files by name."""

import struct

import numpy as np
import pytest
from recordio_writer import MAGIC, pack, record_bytes, write_rec

from facecompare.data.sources.recordio import RecordIOError, RecordReader, read_index, read_property, unpack


def test_a_record_written_by_hand_is_read_back(tmp_path):
    # magic, length 29 (flag 0), IRHeader (flag 0, label 7.0, id 1, id2 0), 5 payload bytes, 3 bytes of padding;
    # then a second record at byte 40
    data = struct.pack("<IfQQ", 0, 7.0, 1, 0) + b"hello"
    blob = struct.pack("<II", MAGIC, 29) + data + b"\0\0\0"
    blob += struct.pack("<II", MAGIC, 24) + struct.pack("<IfQQ", 0, 8.0, 2, 0)
    (tmp_path / "train.rec").write_bytes(blob)
    (tmp_path / "train.idx").write_text("1\t0\n2\t40\n")
    reader = RecordReader(tmp_path / "train.rec", tmp_path / "train.idx")
    header, payload = unpack(reader.read(1))
    assert (header.flag, header.label, header.id, payload) == (0, 7.0, 1, b"hello")
    header, payload = unpack(reader.read(2))
    assert (header.label, header.id, payload) == (8.0, 2, b"")
    assert record_bytes(data) == blob[:40]  # the tests' writer writes what the hand did


def test_images_labels_and_keys_come_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(5)]
    labels = [0, 0, 1, [2.0, 9.0], 3]  # an array label: insightface takes its first value
    write_rec(tmp_path, images, labels)
    reader = RecordReader(tmp_path / "train.rec", tmp_path / "train.idx")
    assert reader.image_keys() == [1, 2, 3, 4, 5]  # record 0 is the header naming them
    header, _ = unpack(reader.read(4))
    assert header.flag == 2 and header.label.tolist() == [2.0, 9.0] and header.id == 4
    header, payload = unpack(reader.read(3))
    assert header.flag == 0 and header.label == 1.0 and payload[:4] == b"\x89PNG"
    reader.close()


def test_a_payload_holding_the_magic_number_is_rejoined_from_its_parts(tmp_path):
    magic = struct.pack("<I", MAGIC)
    payload = magic + b"abcd" + magic + b"xy"  # at offsets 24 and 32 of the record: 4-byte boundaries
    data = pack(5.0, payload, key=0)
    written = record_bytes(data)
    assert written.count(magic) == 3  # three parts, flags 1, 2 and 3, the inner magic numbers dropped
    (tmp_path / "train.rec").write_bytes(written)
    (tmp_path / "train.idx").write_text("0\t0\n")
    reader = RecordReader(tmp_path / "train.rec", tmp_path / "train.idx")
    header, back = unpack(reader.read(0))
    assert back == payload and header.label == 5.0
    assert reader.image_keys() == [0]  # no insightface header: every key


def test_damaged_files_are_named_with_the_byte(tmp_path):
    write_rec(tmp_path, [np.zeros((4, 4, 3), np.uint8)] * 2, [0, 1])
    blob = bytearray((tmp_path / "train.rec").read_bytes())
    offset = read_index(tmp_path / "train.idx")[2]
    blob[offset] ^= 0xFF
    (tmp_path / "train.rec").write_bytes(bytes(blob))
    reader = RecordReader(tmp_path / "train.rec", tmp_path / "train.idx")
    with pytest.raises(RecordIOError, match=rf"train\.rec: no record at byte {offset} \(record 2\): magic"):
        reader.read(2)
    (tmp_path / "train.rec").write_bytes(bytes(blob[: offset + 20]))
    reader = RecordReader(tmp_path / "train.rec", tmp_path / "train.idx")
    with pytest.raises(RecordIOError, match=r"train\.rec: (truncated at byte|no record at byte)"):
        reader.read(2)
    with pytest.raises(RecordIOError, match="no record 9 in its index"):
        reader.read(9)


def test_bad_index_and_property_lines_are_named(tmp_path):
    (tmp_path / "train.idx").write_text("0\t0\n1 oops\n")
    with pytest.raises(RecordIOError, match=r"train\.idx, line 2: expected 'key<TAB>offset'"):
        read_index(tmp_path / "train.idx")
    (tmp_path / "property").write_text("10,112")
    with pytest.raises(RecordIOError, match="expected 'identities,height,width', got 2 values"):
        read_property(tmp_path / "property")
    (tmp_path / "property").write_text("10575,112,112\n")
    assert read_property(tmp_path / "property") == (10575, 112, 112)
