import io
import os
import pickle

import numpy as np
import pytest
from PIL import Image

from facecompare.data.sources.insightface_bin import BinFileError, decode, encode_jpeg, read_bin, write_bin


def jpeg(value: int, size: int = 16) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), value, np.uint8)).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_written_sets_read_back_with_their_flags_and_pixels(tmp_path):
    images = [np.full((16, 16, 3), v, np.uint8) for v in (10, 60, 110, 160)]
    path = write_bin(tmp_path / "mine.bin", [encode_jpeg(im) for im in images], [True, False])
    encoded, same = read_bin(path)
    assert same.tolist() == [True, False] and len(encoded) == 4
    crops = decode(path, encoded, 8)  # resized from 16 px
    assert (
        crops.shape == (4, 8, 8, 3)
        and np.abs(crops.astype(int) - [[[[10]]], [[[60]]], [[[110]]], [[[160]]]]).max() <= 2
    )
    assert not (tmp_path / "mine.bin.tmp").exists()


def test_python2_style_files_with_numpy_flags_are_read(tmp_path):
    # protocol 2 as insightface's Python 2 tools wrote them; the flags as a NumPy bool array
    path = tmp_path / "lfw.bin"
    path.write_bytes(pickle.dumps(([jpeg(1), jpeg(2)], np.array([True])), protocol=2))
    encoded, same = read_bin(path)
    assert same.tolist() == [True] and encoded[0] == jpeg(1)


class Boom:
    def __reduce__(self):
        return (os.system, (f"touch {Boom.marker}",))


def test_a_pickle_that_would_run_a_command_is_refused_and_runs_nothing(tmp_path):
    Boom.marker = tmp_path / "pwned"
    path = tmp_path / "evil.bin"
    path.write_bytes(pickle.dumps(([jpeg(1), jpeg(2)], [Boom()])))
    with pytest.raises(BinFileError, match=r"evil\.bin: refused: the pickle asks for posix\.system"):
        read_bin(path)
    assert not Boom.marker.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (([b"x"] * 3, [True]), r"3 images for 1 pairs; each pair needs two"),
        (([], []), "no pairs"),
        (([b"x", b"y"], ["yes"]), "flags are not a list of booleans"),
        ("just text", "expected \\(images, issame\\)"),
    ],
)
def test_sets_that_do_not_pair_up_are_named(tmp_path, content, message):
    path = tmp_path / "bad.bin"
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(BinFileError, match=message):
        read_bin(path)


def test_truncated_files_and_undecodable_images_are_named(tmp_path):
    path = tmp_path / "cut.bin"
    path.write_bytes(pickle.dumps(([jpeg(1), jpeg(2)], [True]))[:40])
    with pytest.raises(BinFileError, match=r"cut\.bin: not a readable \.bin file"):
        read_bin(path)
    with pytest.raises(BinFileError, match=r"x\.bin: image 3 \(pair 2\) does not decode"):
        decode(tmp_path / "x.bin", [jpeg(1), jpeg(2), jpeg(3), b"not an image"], 8)
