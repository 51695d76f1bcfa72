"""Render a grid of synthetic faces (one row per identity) for the README: scripts/make_synthetic_grid.py --out X.png"""

import argparse
from pathlib import Path

from PIL import Image

from facecompare.data.synthetic import render_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/synthetic_faces.png"))
    parser.add_argument("--identities", type=int, default=8)
    parser.add_argument("--per-identity", type=int, default=8)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--zoom", type=int, default=2, help="nearest-neighbour upscaling so pixels stay visible")
    args = parser.parse_args()

    images, _ = render_dataset(args.identities, args.per_identity, args.size, args.seed)
    rows, cols, s = args.identities, args.per_identity, args.size
    grid = images.reshape(rows, cols, s, s, 3).transpose(0, 2, 1, 3, 4).reshape(rows * s, cols * s, 3)
    img = Image.fromarray(grid)
    img = img.resize((img.width * args.zoom, img.height * args.zoom), Image.Resampling.NEAREST)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    img.save(args.out)
    print(f"wrote {args.out} ({rows} identities x {cols} images, {s}px)")


if __name__ == "__main__":
    main()
