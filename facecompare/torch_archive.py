"""Checks of a torch file on disk that torch.load leaves out or makes slow: that it is there (without
importing torch), and the CRC of its entries."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from facecompare.errors import FacecompareError


class DamagedFileError(FacecompareError):
    """A torch file's bytes changed after it was written (a bad disk, a broken copy, a partial download)."""


def existing_checkpoint(path: str | Path) -> Path:
    """``path``, or FacecompareError "<path>: checkpoint not found"."""
    path = Path(path)
    if not path.is_file():
        raise FacecompareError(f"{path}: checkpoint not found")
    return path


def check_torch_archive(path: str | Path) -> None:
    """Raise DamagedFileError naming ``path`` and the first entry whose data fails its CRC-32.

    torch.save writes a zip archive with a CRC-32 per entry, but torch.load does not compare them: flipped
    bytes in a tensor load as wrong weights without a word. Files that are not zip archives (torch's legacy
    format, a truncated file) are left to torch.load, whose own errors name them."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise DamagedFileError(f"{path}: damaged archive ({err})") from None
    if bad is not None:
        raise DamagedFileError(
            f"{path}: damaged, the data of {bad} fails its CRC-32 check (changed on disk after it was written)"
        )
