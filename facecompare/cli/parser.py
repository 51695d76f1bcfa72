"""The ``facecompare`` command line: its subcommands and their options."""

from __future__ import annotations

import argparse
from pathlib import Path

from facecompare.cli.calibrate import add_parser as add_calibrate_parser

MODEL_HELP = "bundle folder written by scripts/export.py"


def _face_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--detector", choices=["auto", "mtcnn", "none"], default="auto",
        help="auto: as the model was trained (MTCNN, or fixed centre crops); none: images are already face crops",
    )  # fmt: skip
    parser.add_argument("--device", default="cpu", help="where MTCNN runs: cpu or cuda")
    parser.add_argument("--max-side", type=int, help="shrink photos to this longer side for detection (faster)")
    parser.add_argument("--min-face", type=int, help="smallest face in pixels MTCNN looks for (larger = faster)")
    parser.add_argument(
        "--faces", choices=["auto", "largest", "central"], default="auto",
        help="which face of a photo with several: auto = the one the model's training took (LFW: central)",
    )  # fmt: skip
    parser.add_argument(
        "--quality", choices=["embedding", "learned"],
        help="face quality method: embedding (training-free) or learned (a model trained with face_quality=branch); "
        "default: embedding where the model has it",
    )  # fmt: skip


def _gallery_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True, help=MODEL_HELP)
    parser.add_argument("--gallery", type=Path, default=Path("gallery.db"), help="SQLite gallery file")


def build_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facecompare", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="is it the same person? (exit 0 MATCH, 1 NO MATCH, 3 no face)")
    verify.add_argument("images", nargs="+", type=Path, help="A.jpg B.jpg, or one probe with --anchors")
    verify.add_argument("--model", type=Path, required=True, help=MODEL_HELP)
    verify.add_argument("--anchors", type=Path, help="folder of images of one person to compare the probe with")
    verify.add_argument("--aggregate", choices=["mean", "max", "vote"], help="with --anchors (default mean)")
    verify.add_argument("--threshold", type=float, help="override the bundle's calibrated threshold")
    _face_options(verify)
    verify.add_argument("--json", action="store_true", help="machine-readable output")

    enroll = commands.add_parser("enroll", help="add a person's photos to the gallery (no retraining)")
    enroll.add_argument("name")
    enroll.add_argument("images", nargs="+", type=Path)
    enroll.add_argument(
        "--min-quality", type=float, metavar="Q",
        help="refuse a photo whose face quality (0-1) is below Q (default: the bundle's calibrated bar; 0: none)",
    )  # fmt: skip
    _gallery_options(enroll)
    _face_options(enroll)

    identify = commands.add_parser("identify", help="best matches in the gallery (exit 0 found, 1 UNKNOWN)")
    identify.add_argument("image", type=Path)
    identify.add_argument("--top", type=int, default=5, help="how many people to list")
    limit = identify.add_mutually_exclusive_group()
    limit.add_argument("--threshold", type=float, help="decide at this threshold, chosen by you")
    limit.add_argument(
        "--fpir",
        type=float,
        metavar="RATE",
        help="fit the threshold to this gallery's size: at most RATE of strangers are taken for someone (default "
        "0.001 when the bundle has an open-set curve from scripts/evaluate.py; without one, --allow refuses)",
    )
    identify.add_argument("--search", choices=["numpy", "faiss"], default="numpy", help="faiss: pip install faiss-cpu")
    identify.add_argument(
        "--allow",
        action="append",
        metavar="NAME",
        help="access control: GRANTED (exit 0) only when the face is identified as one of these people (repeat)",
    )
    identify.add_argument("--allow-file", type=Path, help="access control: the allowed people, one name per line")
    _gallery_options(identify)
    _face_options(identify)
    identify.add_argument("--json", action="store_true", help="machine-readable output")

    video = commands.add_parser("search-video", help="when does a person appear in a video (exit 0 seen, 1 not)")
    video.add_argument("source", help="video file, or a webcam index such as 0")
    who = video.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", help="an enrolled person (uses --gallery)")
    who.add_argument("--image", type=Path, help="a photo of the person")
    video.add_argument("--every", type=int, default=5, help="examine every Nth frame")
    video.add_argument("--batch", type=int, default=16, help="frames detected together")
    video.add_argument("--threshold", type=float, help="override the bundle's calibrated threshold")
    video.add_argument("--thumbnails", type=Path, help="write the matched face crops to this folder")
    video.add_argument("--annotate", type=Path, help="write the examined frames, faces boxed and scored (.mp4/.avi)")
    video.add_argument("--max-frames", type=int, help="stop after this many frames (for a webcam)")
    video.add_argument("--min-prob", type=float, help="ignore less sure detections (default 0.95, or the model's)")
    video.add_argument("--min-size", type=float, default=40.0, help="ignore faces smaller than this, in pixels")
    video.add_argument("--min-inside", type=float, default=0.75, help="ignore faces less inside the frame than this")
    video.add_argument(
        "--min-quality", type=float, default=0.0, help="skip faces of lower quality (0-1; needs a calibrated bundle)"
    )
    _gallery_options(video)
    _face_options(video)
    video.add_argument("--json", action="store_true", help="machine-readable output at the end")

    app = commands.add_parser("app", help="the local web app: compare two faces, identify against the gallery")
    app.add_argument("--host", default="127.0.0.1", help="address to bind; 0.0.0.0 exposes it to the network")
    app.add_argument(
        "--auth-file", type=Path, help="user:password lines; the app then asks for a login (needed off 127.0.0.1)"
    )
    app.add_argument(
        "--allow-no-auth", action="store_true", help="serve on a network address without a login (not advised)"
    )
    app.add_argument("--port", type=int, default=7860)
    app.add_argument("--max-upload-mb", type=float, default=10.0, help="larger uploads are refused")
    app.add_argument("--search", choices=["numpy", "faiss"], default="numpy", help="gallery search backend")
    app_limit = app.add_mutually_exclusive_group()
    app_limit.add_argument(
        "--fpir",
        type=float,
        metavar="RATE",
        help="identify tab: fit the threshold to the gallery's size, as identify --fpir does (default 0.001 when "
        "the bundle has an open-set curve)",
    )
    app_limit.add_argument(
        "--threshold", type=float, help="identify tab: decide at this threshold, access decisions included"
    )
    _gallery_options(app)
    _face_options(app)

    serve = commands.add_parser("serve", help="JSON HTTP service: verify, identify, enroll, remove, list, health")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind; any other than 127.0.0.1 needs a token")
    serve.add_argument("--port", type=int, default=8000, help="0: any free port (the start-up line gives it)")
    serve.add_argument("--token-file", type=Path, help="one line: the token clients send as Authorization: Bearer")
    serve.add_argument("--max-upload-mb", type=float, default=10.0, help="larger images are refused (413)")
    serve.add_argument("--max-images", type=int, default=10, help="most images in one request (enroll)")
    serve.add_argument("--search", choices=["numpy", "faiss"], default="numpy", help="gallery search backend")
    serve_limit = serve.add_mutually_exclusive_group()
    serve_limit.add_argument(
        "--fpir",
        type=float,
        metavar="RATE",
        help="identify: fit the threshold to the gallery's size, as identify --fpir does (default 0.001 when the "
        "bundle has an open-set curve)",
    )
    serve_limit.add_argument(
        "--threshold", type=float, help="identify: decide at this threshold, access decisions included"
    )
    _gallery_options(serve)
    _face_options(serve)

    add_calibrate_parser(commands, _face_options, MODEL_HELP)

    gallery = commands.add_parser("gallery", help="list or remove enrolled people")
    gallery.add_argument("action", choices=["list", "remove"])
    gallery.add_argument("name", nargs="?", help="the person to remove")
    _gallery_options(gallery)
    return parser
