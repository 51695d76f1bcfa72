"""How long the five small insightface .bin sets take to evaluate (issue #27's target: at most 2 minutes for
five sets of about 12k images on the 2-core CPU, each image embedded once per flip).

    python benchmarks/bins_speed.py --ckpt RUN/checkpoints/last.ckpt [--sets 5 --pairs 6000 --runs 3]
    python benchmarks/bins_speed.py --write /tmp/bins --sets 3   # only the sets, for callbacks.val_sets.sets

Writes ``--sets`` synthetic .bin files of ``--pairs`` pairs (112 px JPEG faces, as insightface's) to a
temporary folder, then times ``scripts/evaluate.py bins=[...]``'s work (evaluate_bins, in this process:
decode, resize, embed with flip-sum, score, 10-fold) over all of them, ``--runs`` times; prints each and the
median.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import open_dict

from facecompare.data.sources.insightface_bin import encode_jpeg, write_bin
from facecompare.data.synthetic import render_dataset
from facecompare.evaluation.bins import evaluate_bins

CONF = Path(__file__).resolve().parents[1] / "conf"


def synthetic_bins(folder: Path, sets: int, pairs: int) -> list[Path]:
    """``sets`` .bin files of ``pairs`` pairs of 112 px synthetic faces, as insightface's small sets."""
    images, _ = render_dataset(pairs // 5, 10, size=112, seed=3)  # identity i: images 10i .. 10i + 9
    faces = [encode_jpeg(im) for im in images]
    n, encoded, same = len(faces), [], []
    for k in range(pairs):  # alternately two photos of one person and photos of two people
        a = 2 * k
        b = a + 1 if k % 2 == 0 else (a + 10 * 7) % n
        encoded += [faces[a], faces[b]]
        same.append(k % 2 == 0)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_bin(folder / f"set{k}.bin", encoded, same) for k in range(sets)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, help="time evaluate's scoring of the sets with this checkpoint")
    parser.add_argument("--write", type=Path, help="only write the sets into this folder (for callbacks.val_sets)")
    parser.add_argument("--sets", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=6000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.write is not None:
        print(",".join(str(p) for p in synthetic_bins(args.write, args.sets, args.pairs)))
        return
    if args.ckpt is None:
        parser.error("give --ckpt (time the scoring) or --write (only write the sets)")
    with tempfile.TemporaryDirectory() as tmp:
        paths = synthetic_bins(Path(tmp), args.sets, args.pairs)
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            cfg = compose("evaluate", overrides=[f"ckpt={args.ckpt.resolve()}", f"bins=[{','.join(map(str, paths))}]"])
        with open_dict(cfg):
            cfg.paths.output_dir = str(Path(tmp) / "out")
        times = []
        for run in range(args.runs):
            start = time.perf_counter()
            evaluate_bins(cfg)
            times.append(time.perf_counter() - start)
            print(f"run {run + 1}: {times[-1]:.1f} s for {args.sets} sets of {2 * args.pairs} images")
    print(f"median {statistics.median(times):.1f} s")


if __name__ == "__main__":
    main()
