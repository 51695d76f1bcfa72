"""The ``facecompare`` command: use an exported bundle (``scripts/export.py``) on image files.

    facecompare verify A.jpg B.jpg --model bundle/ [--json] [--threshold T]
    facecompare verify probe.jpg --anchors person_dir/ --model bundle/ [--aggregate mean|max|vote]

Exit codes: 0 MATCH, 1 NO MATCH, 2 bad input (unreadable image, bad bundle or arguments), 3 no face found in
an image. Imports neither Lightning nor Hydra.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from facecompare.errors import FacecompareError

EXIT_MATCH, EXIT_NO_MATCH, EXIT_BAD_INPUT, EXIT_NO_FACE = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facecompare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="is it the same person? (exit 0 MATCH, 1 NO MATCH, 3 no face)")
    verify.add_argument("images", nargs="+", type=Path, help="A.jpg B.jpg, or one probe with --anchors")
    verify.add_argument("--model", type=Path, required=True, help="bundle folder written by scripts/export.py")
    verify.add_argument("--anchors", type=Path, help="folder of images of one person to compare the probe with")
    verify.add_argument("--aggregate", choices=["mean", "max", "vote"], default="mean", help="with --anchors")
    verify.add_argument("--threshold", type=float, help="override the bundle's calibrated threshold")
    verify.add_argument("--detector", choices=["mtcnn", "none"], default="mtcnn", help="none: already face crops")
    verify.add_argument("--device", default="cpu", help="where MTCNN runs: cpu or cuda")
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _verify(args: argparse.Namespace) -> int:
    from facecompare.inference.bundle import load_bundle
    from facecompare.inference.faces import FaceFinder, make_detector
    from facecompare.inference.verify import anchor_images, verify, verify_anchors

    if args.anchors is None and len(args.images) != 2:
        raise FacecompareError("verify takes two images, or one probe image with --anchors")
    if args.anchors is not None and len(args.images) != 1:
        raise FacecompareError("with --anchors, give exactly one probe image")
    bundle = load_bundle(args.model)
    margin = float(bundle.meta["alignment"].get("margin", 0.0))
    finder = FaceFinder(make_detector(args.detector, bundle.meta, args.device), bundle.size, margin)
    if args.anchors is None:
        verdict = verify(bundle, finder, args.images[0], args.images[1], args.threshold)
    else:
        anchors = anchor_images(args.anchors)
        verdict = verify_anchors(bundle, finder, args.images[0], anchors, args.aggregate, args.threshold)
    if args.json:
        print(json.dumps(verdict.to_json(), indent=1))
    else:
        label = f"{args.aggregate} of {len(verdict.scores)} anchors" if verdict.aggregate else "score"
        verdict_word = "MATCH" if verdict.match else "NO MATCH"
        print(f"{verdict_word}  {label} {verdict.score:.4f}  threshold {verdict.threshold:.4f}")
        for face in [verdict.probe, *verdict.references]:
            where = (
                "whole image (detector none)" if face.box is None else "box " + " ".join(f"{v:.0f}" for v in face.box)
            )
            extra = f", {face.faces_found} faces, used the largest" if face.faces_found > 1 else ""
            prob = "" if face.prob is None else f" p={face.prob:.3f}"
            print(f"  {face.path}: {where}{prob}{extra}")
    return EXIT_MATCH if verdict.match else EXIT_NO_MATCH


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from facecompare.inference.faces import NoFaceError

    try:
        return _verify(args)
    except NoFaceError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_NO_FACE
    except FacecompareError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
