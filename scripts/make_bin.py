"""Write an insightface ``.bin`` verification set from aligned face crops and a pairs file.

    python scripts/make_bin.py --images outputs/lfw_aligned64/images --pairs /path/to/lfw/pairs.txt --out lfw.bin
    python scripts/make_bin.py --images /path/to/people-aligned --pairs pairs.csv --out ours.bin

``--images``: crops already aligned (scripts/align.py writes them), one folder per person. ``--pairs``: an LFW
pairs file (View 1 or View 2; its numbers are the ``Name_0001.jpg`` files) or a pair list (``.csv``,
``file_a,file_b,same``, paths relative to ``--images``). JPEG and PNG photos are stored as they are. The pairs
keep their order, so View 2's ten folds stay the ten consecutive blocks that insightface's evaluation splits
them into.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from facecompare.data.pair_list import read_pair_list
from facecompare.data.sources.insightface_bin import encode_jpeg, write_bin
from facecompare.data.sources.lfw_protocol import image_path, read_pairs
from facecompare.errors import FacecompareError


def pair_files(images: Path, pairs: Path) -> list[tuple[Path, Path, bool]]:
    if pairs.suffix.lower() == ".csv":
        return [(images / p.file_a, images / p.file_b, p.same) for p in read_pair_list(pairs)]
    return [(image_path(images, p.name_a, p.num_a), image_path(images, p.name_b, p.num_b), p.same)
            for p in read_pairs(pairs)]  # fmt: skip


def encoded(path: Path) -> bytes:
    """The photo's own bytes where it is a JPEG or PNG (no second lossy encoding), else JPEG-encoded."""
    try:
        with Image.open(path) as im:
            if im.format in ("JPEG", "PNG"):
                return path.read_bytes()
            return encode_jpeg(np.asarray(im.convert("RGB")))
    except (OSError, ValueError) as err:
        raise FacecompareError(f"{path}: not a readable image ({err})") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True, help="aligned crops, one folder per person")
    parser.add_argument("--pairs", type=Path, required=True, help="LFW pairs file or a pairs .csv")
    parser.add_argument("--out", type=Path, required=True, help="the .bin to write")
    args = parser.parse_args(argv)
    try:
        located = pair_files(args.images, args.pairs)
        missing = sorted({str(f) for a, b, _ in located for f in (a, b) if not f.is_file()})
        if missing:
            raise FacecompareError(f"{args.pairs}: {len(missing)} image(s) it names are not under {args.images}, "
                                   f"e.g. {missing[0]}")  # fmt: skip
        write_bin(args.out, [encoded(f) for a, b, _ in located for f in (a, b)], [same for *_, same in located])
    except FacecompareError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {len(located)} pairs ({sum(s for *_, s in located)} same-person)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
