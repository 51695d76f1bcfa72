"""The CRC check of a torch file that torch.load leaves out."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from facecompare.errors import FacecompareError


class DamagedFileError(FacecompareError):
    """A torch file's bytes changed after it was written (a bad disk, a broken copy, a partial download)."""


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
