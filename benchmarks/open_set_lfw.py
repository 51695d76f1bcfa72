"""Do gallery thresholds keep their promise? Galleries of LFW View 1 test people, strangers from the rest.

The bundle's open-set curve (from scripts/evaluate.py) promises that at the threshold `identify --fpir RATE`
picks for a gallery of N embeddings, at most RATE of strangers are taken for someone. This draws galleries of N
people of peopleDevTest.txt (one photo each, as a door's gallery might hold), probes them with every photo of
the test people left out (strangers) and with each enrolled person's second photo (genuine), and measures:

- FPIR: the fraction of strangers whose best gallery score reaches the threshold;
- FNIR: the fraction of enrolled people whose second photo is not found as themselves at rank 1 above it.

The test people are neither trained on nor in the curve's calibration pairs. Faces are found and embedded as
the tools do it (FaceFinder and the bundle's ONNX model).

    python benchmarks/open_set_lfw.py --bundle bundle/ --lfw ../shared/data/lfw [--galleries 10 100 400]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from facecompare.cli.common import finder as face_finder
from facecompare.data.sources.lfw_layout import find_layout
from facecompare.data.sources.lfw_protocol import image_path, read_people
from facecompare.inference import load_bundle
from facecompare.inference.faces import NoFaceError
from facecompare.inference.open_set import FarCurve, OpenSetError


def embed_people(bundle, finder, images: Path, people) -> tuple[dict[str, list[np.ndarray]], int]:
    """Each person's embeddings, in photo order; photos without a face are counted and left out."""
    out, no_face = {}, 0
    for person in people:
        for number in range(1, person.num_images + 1):
            try:
                face = finder.find([image_path(images, person.name, number)])[0]
            except NoFaceError:
                no_face += 1
                continue
            out.setdefault(person.name, []).append(bundle.embed(face.crop[None])[0])
    return out, no_face


def scores_against(bundle, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """(probes, gallery) score matrix, by the bundle's own score."""
    return np.stack([bundle.score(probes, g[None]) for g in gallery], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, required=True, help="a bundle exported after scripts/evaluate.py")
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--galleries", type=int, nargs="+", default=[10, 100, 400])
    parser.add_argument("--fpir", type=float, nargs="+", default=[0.01, 0.001])
    parser.add_argument("--draws", type=int, default=20, help="galleries drawn per size")
    args = parser.parse_args()
    bundle = load_bundle(args.bundle)
    curve = FarCurve.from_meta(bundle.meta)
    if curve is None:
        raise SystemExit(f"{args.bundle}: no open-set curve; run scripts/evaluate.py on LFW View 1, export again")
    layout = find_layout(args.lfw)
    options = argparse.Namespace(detector="auto", device="cpu", max_side=None, min_face=None, faces="auto")
    start = time.perf_counter()
    embedded, no_face = embed_people(bundle, face_finder(options, bundle), layout.images,
                                     read_people(layout.file("peopleDevTest.txt")))  # fmt: skip
    print(f"embedded {sum(map(len, embedded.values()))} photos of {len(embedded)} people "
          f"({no_face} without a face) in {time.perf_counter() - start:.0f} s; curve: {curve.impostor_pairs:,} "
          f"impostor pairs of {curve.on}")  # fmt: skip
    names = sorted(embedded)
    twice = [n for n in names if len(embedded[n]) >= 2]
    print("| gallery | threshold rule | threshold (median) | FPIR bound | FPIR measured: median (max) | FNIR median |")
    print("|---|---|---|---|---|---|")
    for size in args.galleries:
        rows: dict[str, list[tuple[float, float, float, float]]] = {}
        for draw in range(args.draws):
            rng = np.random.default_rng(draw)
            chosen = sorted(rng.choice(len(twice), size, replace=False))
            members = [twice[i] for i in chosen]
            gallery = np.stack([embedded[n][0] for n in members])
            genuine = scores_against(bundle, np.stack([embedded[n][1] for n in members]), gallery)
            inside = set(members)
            strangers = np.stack([e for n in names if n not in inside for e in embedded[n]])
            best_stranger = scores_against(bundle, strangers, gallery).max(axis=1)
            found_self = genuine.argmax(axis=1) == np.arange(size)
            rules = {"bundle's 1:1 threshold": bundle.threshold}
            for rate in args.fpir:
                try:
                    rules[f"--fpir {rate:g}"] = curve.threshold_for(rate, size)[0]
                except OpenSetError as err:
                    print(f"gallery {size}, --fpir {rate:g}: {err}")
            for rule, t in rules.items():
                fpir = float(np.mean(best_stranger >= t))
                fnir = float(np.mean(~(found_self & (genuine[np.arange(size), np.arange(size)] >= t))))
                rows.setdefault(rule, []).append((t, curve.fpir_bound(t, size), fpir, fnir))
        for rule, values in rows.items():
            t, bound, fpir, fnir = (np.array(v) for v in zip(*values, strict=True))
            print(f"| {size} | {rule} | {np.median(t):.4f} | {np.median(bound):.2%} | "
                  f"{np.median(fpir):.2%} ({fpir.max():.2%}) | {np.median(fnir):.1%} |")  # fmt: skip


if __name__ == "__main__":
    main()
