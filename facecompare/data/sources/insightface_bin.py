"""insightface's verification ``.bin`` files (lfw.bin, cfp_fp.bin, agedb_30.bin, calfw.bin, cplfw.bin): read
without running the pickle's code, and written from one's own pairs.

A ``.bin`` is a pickle of ``(images, issame)``: a list of 2N encoded images (JPEG or PNG bytes, aligned
112 x 112 faces), pair i being images 2i and 2i + 1, and N same-person flags (a list or a NumPy bool array).
Files written by Python 2 hold ``str`` where Python 3 has ``bytes``. A pickle can name any function to call
while loading; this reader allows only what such files use (bytes, lists, tuples, booleans, NumPy arrays) and
refuses anything else by name, so a crafted file cannot run a command.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from facecompare.data.images import center_square
from facecompare.errors import FacecompareError

ALLOWED = {
    ("_codecs", "encode"): "codecs",  # how protocol 2 stores bytes
    ("numpy", "ndarray"): "numpy",
    ("numpy", "dtype"): "numpy",
    ("numpy.core.multiarray", "_reconstruct"): "numpy._core.multiarray",  # NumPy 1's name, NumPy 2's module
    ("numpy._core.multiarray", "_reconstruct"): "numpy._core.multiarray",
    ("numpy.core.multiarray", "scalar"): "numpy._core.multiarray",
    ("numpy._core.multiarray", "scalar"): "numpy._core.multiarray",
}


class BinFileError(FacecompareError):
    """A .bin file that is not a set of image pairs, or asks to run anything while loading."""


class _Restricted(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, path: Path) -> None:
        super().__init__(file, encoding="bytes")  # Python 2's str are the encoded images: keep them bytes
        self.path = path

    def find_class(self, module: str, name: str) -> object:
        home = ALLOWED.get((module, name))
        if home is None:
            raise BinFileError(f"{self.path}: refused: the pickle asks for {module}.{name}, which no .bin file needs")
        import importlib

        return getattr(importlib.import_module(home), name)


def read_bin(path: str | Path) -> tuple[list[bytes], np.ndarray]:
    """(the 2N encoded images, the N same-person flags) of a ``.bin`` file, checked to pair up."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            loaded = _Restricted(f, path).load()
    except BinFileError:
        raise
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise BinFileError(f"{path}: not a readable .bin file ({type(err).__name__}: {err})") from None
    if not isinstance(loaded, (tuple, list)) or len(loaded) != 2:
        raise BinFileError(f"{path}: expected (images, issame), got a {type(loaded).__name__}")
    images, issame = loaded
    flags = np.asarray(issame)
    if not isinstance(images, (list, tuple)) or not all(isinstance(b, (bytes, bytearray)) for b in images):
        raise BinFileError(f"{path}: the images are not a list of encoded image bytes")
    if not len(flags):
        raise BinFileError(f"{path}: no pairs (an empty set)")
    if flags.ndim != 1 or flags.dtype.kind not in "bi" or not np.isin(flags, (0, 1)).all():
        raise BinFileError(f"{path}: the same-person flags are not a list of booleans")
    if len(images) != 2 * len(flags):
        raise BinFileError(f"{path}: {len(images)} images for {len(flags)} pairs; each pair needs two (2 x pairs)")
    return [bytes(b) for b in images], flags.astype(bool)


def decode(path: Path, images: list[bytes], size: int) -> np.ndarray:
    """The images as (2N, size, size, 3) uint8 RGB, resized from their aligned size as facecompare resizes
    aligned crops (``detector=none``); an image that does not decode is an error naming the file, the image and
    its pair."""
    out = np.empty((len(images), size, size, 3), np.uint8)
    for i, data in enumerate(images):
        try:
            with Image.open(io.BytesIO(data)) as im:
                face = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError, ValueError) as err:
            raise BinFileError(f"{path}: image {i} (pair {i // 2 + 1}) does not decode ({err})") from None
        out[i] = face if face.shape[:2] == (size, size) else center_square(face, size)
    return out


def encode_jpeg(image: np.ndarray, quality: int = 95) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def write_bin(path: str | Path, images: list[bytes], issame: list[bool]) -> Path:
    """A ``.bin`` of image pairs (2N encoded images, pair i = images 2i, 2i + 1) that insightface's loaders
    and ``read_bin`` read. Written whole or not at all."""
    if len(images) != 2 * len(issame) or not issame:
        raise FacecompareError(f"{path}: {len(images)} images for {len(issame)} pairs; a .bin needs 2 per pair")
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        pickle.dump(([bytes(b) for b in images], [bool(s) for s in issame]), f, protocol=4)
    tmp.replace(path)
    return path
