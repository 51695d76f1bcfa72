"""Does a threshold calibrated on some of one's own people serve the others? (issue #25's calibration target)

    python benchmarks/calibration_transfer.py --ckpt RUN/checkpoints/last.ckpt \
        --folder orl=../shared/data/orl:mtcnn --synthetic 60 [--folds 10 --pairs 3000]

For each folder of people (NAME=PATH:DETECTOR; ``--synthetic N`` adds N built-in synthetic people of 10
photos, a camera no LFW model has seen, written to a temporary folder and removed afterwards) it runs
``scripts/evaluate.py data=folder`` and prints, from its metrics.json: the k-fold accuracy (each fold's
people at the threshold calibrated on the other folds), the best-threshold accuracy on the same pairs
(optimistic), the accuracy at the checkpoint's own training threshold, and the gaps to the best.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from facecompare.data.synthetic import render_dataset

ROOT = Path(__file__).resolve().parents[1]


def synthetic_folder(root: Path, people: int) -> Path:
    images, labels = render_dataset(people, 10, size=64, seed=12345)
    for k, (image, label) in enumerate(zip(images, labels, strict=True)):
        (root / f"person_{label:03d}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / f"person_{label:03d}" / f"{k:04d}.png")
    return root


def evaluate(ckpt: Path, name: str, folder: Path, detector: str, out: Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), f"ckpt={ckpt}", "data=folder",
               f"data.root={folder}", f"detector={detector}", f"num_pairs={args.pairs}",
               f"calibration.folds={args.folds}", "calibration.write=false", "bootstrap=0", "projector=0",
               "baselines.dlib=false", f"hydra.run.dir={out / name}"]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / name / "metrics.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, required=True)
    parser.add_argument("--folder", action="append", default=[], help="NAME=PATH:DETECTOR (mtcnn or none)")
    parser.add_argument("--synthetic", type=int, default=0, help="also N synthetic people (detector none)")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=Path("outputs/calibration_transfer"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        for spec in args.folder:
            name, rest = spec.split("=", 1)
            path, detector = rest.rsplit(":", 1)
            sets.append((name, Path(path), detector))
        if args.synthetic:
            folder = synthetic_folder(Path(tmp) / "synthetic", args.synthetic)
            sets.append((f"synthetic{args.synthetic}", folder, "none"))
        print("| set | pairs | k-fold at thresholds from the other folds | best threshold (optimistic) | "
              "training threshold | gap k-fold / training to best (points) |")  # fmt: skip
        print("|---|---|---|---|---|---|")
        for name, folder, detector in sets:
            m = evaluate(args.ckpt.resolve(), name, folder.resolve(), detector, args.out.resolve(), args)
            k, t = m["kfold"], m["test"]
            best, trained = t["acc_at_best"], t.get("acc_at_threshold", float("nan"))
            print(f"| {name} | {m['pairs']} | {k['mean']:.2%} ± {k['std']:.2%} ({len(k['fold_accuracy'])} folds) | "
                  f"{best:.2%} | {trained:.2%} (at {t.get('threshold', float('nan')):.4f}) | "
                  f"{100 * (best - k['mean']):.1f} / {100 * (best - trained):.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
