"""Decoding user photos into RGB uint8 arrays, with every failure turned into a named outcome."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Files that are clearly not photos and may be passed over without a report; anything else is reported.
IGNORED_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
IGNORED_EXTENSIONS = frozenset({".txt", ".md", ".csv", ".json", ".xml", ".ini", ".db", ".log", ".yaml", ".yml"})

# Well above any camera (a 100 MP phone sensor) and far below what a crafted file can ask PIL to allocate.
DEFAULT_MAX_PIXELS = 120_000_000
DEFAULT_MIN_SIDE = 20
# Files above this are identified from their header before being read whole: a phone's photo folder also
# holds videos of gigabytes, and reading one into memory only to reject it would stall the scan.
SNIFF_ABOVE_BYTES = 64 * 2**20


class ImageError(Exception):
    """A file that cannot be used; ``status`` is one of the manifest outcomes."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def is_ignored(path: Path) -> bool:
    """True for files that are clearly not images (notes, OS metadata); they are skipped silently."""
    name = path.name.lower()
    return name in IGNORED_NAMES or name.startswith("._") or path.suffix.lower() in IGNORED_EXTENSIONS


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # PIL's convert("RGB") clips 16-bit values to 255 (a white image); rescale to 8 bits instead.
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode == "F":
        img = Image.fromarray(np.clip(np.asarray(img), 0, 255).astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent pixels carry arbitrary colours; put them on white, as a viewer shows them.
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(canvas, rgba)
    return img.convert("RGB")


def decode_rgb(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, min_side: int = DEFAULT_MIN_SIDE) -> np.ndarray:
    """Decode image bytes to an (H, W, 3) uint8 array, upright per EXIF. Raises ImageError."""
    if not data:
        raise ImageError("unreadable", "empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > max_pixels:
                raise ImageError(
                    "unreadable",
                    f"refused: {width}x{height} = {width * height} pixels is over the limit of {max_pixels} "
                    "(a decompression bomb?)",
                )
            img.seek(0)  # animated GIF/WebP: the first frame
            img.load()
            img = ImageOps.exif_transpose(img)
            rgb = _to_rgb(img)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError("unreadable", f"refused: decompression bomb ({err})") from None
    except UnidentifiedImageError:
        raise ImageError("unreadable", "not an image PIL can read (unknown or corrupt format)") from None
    except (OSError, ValueError, SyntaxError, EOFError) as err:
        # truncated JPEGs end up here ("image file is truncated")
        raise ImageError("unreadable", f"corrupt image: {err}") from None
    except Exception as err:
        # Pillow's decoders raise whatever their parsing hits on damaged headers (a TypeError from a TIFF tag
        # was seen); one bad file must be a counted skip, not the end of the run
        raise ImageError("unreadable", f"corrupt image: {type(err).__name__}: {err}") from None
    if min(rgb.size) < min_side:
        raise ImageError("too_small", f"{rgb.size[0]}x{rgb.size[1]} is smaller than {min_side} px on a side")
    return np.asarray(rgb)


def read_image_bytes(path: Path) -> bytes:
    """The bytes of ``path``; a large file whose header is no image format PIL knows is refused without
    being read whole. Raises ImageError."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > SNIFF_ABOVE_BYTES:
            try:
                with Image.open(path):  # reads the header only
                    pass
            except UnidentifiedImageError:
                raise ImageError("unreadable", f"not an image PIL can read ({size / 2**20:.0f} MB; a video?)") from None
            except Exception:  # a known format with a damaged header: the full decode reports it
                pass
        return path.read_bytes()
    except OSError as err:
        raise ImageError("unreadable", f"cannot read file: {err.strerror or err}") from None


def read_rgb(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS, min_side: int = DEFAULT_MIN_SIDE) -> np.ndarray:
    return decode_rgb(read_image_bytes(path), max_pixels, min_side)


def center_square(image: np.ndarray, size: int) -> np.ndarray:
    """The largest centred square, resized to (size, size, 3)."""
    return np.asarray(ImageOps.fit(Image.fromarray(image), (size, size), Image.Resampling.BILINEAR))
