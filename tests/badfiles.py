"""Generators for the awkward files users have: every case of the bad-input list, written by the tests."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def photo(h: int = 48, w: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)


def jpeg_bytes(array: np.ndarray, **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def exif_rotated_jpeg(path: Path) -> None:
    """A 40 wide x 24 high image stored with EXIF orientation 6 (display rotated 90° clockwise): upright it
    is 24 wide x 40 high, with the red stored-left half on top."""
    array = np.zeros((24, 40, 3), np.uint8)
    array[:, :20] = (255, 0, 0)
    array[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(array).save(path, "JPEG", exif=exif.tobytes(), quality=95)


def write_bad_files(folder: Path) -> dict[str, str]:
    """Write one file per case into ``folder``; returns file name -> expected manifest status."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    (folder / "zero.jpg").write_bytes(b"")
    expected["zero.jpg"] = "unreadable"
    (folder / "truncated.jpg").write_bytes(jpeg_bytes(photo(64, 64))[:300])
    expected["truncated.jpg"] = "unreadable"
    (folder / "text.jpg").write_text("this is not a picture\n")
    expected["text.jpg"] = "unreadable"
    Image.fromarray(photo()).convert("CMYK").save(folder / "cmyk.jpg", "JPEG")
    expected["cmyk.jpg"] = "ok"
    Image.fromarray(np.dstack([photo(), np.full((48, 40), 128, np.uint8)]), "RGBA").save(folder / "rgba.png")
    expected["rgba.png"] = "ok"
    Image.fromarray(photo()).convert("P", palette=Image.Palette.ADAPTIVE).save(folder / "palette.png")
    expected["palette.png"] = "ok"
    Image.fromarray(photo()[..., 0].astype(np.uint16) * 257).save(folder / "sixteen.png")
    expected["sixteen.png"] = "ok"
    Image.fromarray(photo()[..., 0], "L").save(folder / "gray.jpg")
    expected["gray.jpg"] = "ok"
    exif_rotated_jpeg(folder / "rotated.jpg")
    expected["rotated.jpg"] = "ok"
    # 144 M pixels in a few kB: a decompression bomb
    Image.new("1", (12_000, 12_000)).save(folder / "bomb.png")
    expected["bomb.png"] = "unreadable"
    Image.fromarray(photo(8, 8)).save(folder / "tiny.png")
    expected["tiny.png"] = "too_small"
    Image.fromarray(photo()).save(folder / "photo.webp")
    expected["photo.webp"] = "ok"
    Image.fromarray(photo()).save(folder / "photo.bmp")
    expected["photo.bmp"] = "ok"
    Image.fromarray(photo()).save(folder / "photo.gif")
    expected["photo.gif"] = "ok"
    Image.fromarray(photo()[..., 0], "L").save(folder / "photo.pgm")
    expected["photo.pgm"] = "ok"
    # a damaged TIFF header (StripOffsets typed RATIONAL): Pillow raises TypeError, not OSError
    tiff = io.BytesIO()
    Image.fromarray(photo(64, 64)).save(tiff, "TIFF")
    damaged = bytearray(tiff.getvalue())
    assert damaged[70:73] == b"\x11\x01\x04"  # the tag, then its type LONG
    damaged[72] = 5
    (folder / "bad_tag.tif").write_bytes(bytes(damaged))
    expected["bad_tag.tif"] = "unreadable"
    (folder / "data.bin").write_bytes(b"\x00\x01binary")
    expected["data.bin"] = "unreadable"
    # clearly not images: passed over without a report
    (folder / "notes.txt").write_text("who is who\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return expected


def flip_bytes_in_largest_entry(src: Path, dst: Path) -> str:
    """A copy of ``src`` with 8 bytes of 0xff in the middle of its largest entry's data; returns that entry."""
    shutil.copy(src, dst)
    with zipfile.ZipFile(dst) as archive:
        entry = max(archive.infolist(), key=lambda info: info.file_size)
    with open(dst, "r+b") as f:
        f.seek(entry.header_offset + 26)  # the local header's name and extra-field lengths
        name_len, extra_len = struct.unpack("<HH", f.read(4))
        f.seek(entry.header_offset + 30 + name_len + extra_len + entry.file_size // 2)
        f.write(b"\xff" * 8)
    return entry.filename
