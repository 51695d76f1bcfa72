"""The ``facecompare`` command: use an exported bundle (``scripts/export.py``) on image files.

    facecompare verify A.jpg B.jpg --model bundle/ [--json] [--threshold T]
    facecompare verify probe.jpg --anchors person_dir/ --model bundle/ [--aggregate mean|max|vote]
    facecompare enroll NAME img1.jpg img2.jpg --model bundle/ [--gallery gallery.db]
    facecompare identify img.jpg --model bundle/ [--gallery gallery.db] [--top 5] [--allow NAME | --allow-file F]
    facecompare gallery list|remove [NAME] --model bundle/ [--gallery gallery.db]
    facecompare search-video video.mp4 (--person NAME | --image ref.jpg) --model bundle/ [--every 5]
    facecompare app --model bundle/ [--gallery gallery.db] [--host 127.0.0.1] [--port 7860] [--auth-file F]

Exit codes: 0 MATCH / identified / GRANTED / done, 1 NO MATCH / UNKNOWN / DENIED, 2 bad input (unreadable
image or video, bad bundle, missing or bad gallery, allow list or arguments), 3 no face found in an image.
Only enroll creates a gallery. Imports neither Lightning nor Hydra.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from facecompare.errors import FacecompareError

if TYPE_CHECKING:
    from facecompare.inference.access import AccessDecision
    from facecompare.inference.verify import Verdict

EXIT_MATCH, EXIT_NO_MATCH, EXIT_BAD_INPUT, EXIT_NO_FACE = 0, 1, 2, 3


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


def _gallery_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True, help=MODEL_HELP)
    parser.add_argument("--gallery", type=Path, default=Path("gallery.db"), help="SQLite gallery file")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facecompare", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="is it the same person? (exit 0 MATCH, 1 NO MATCH, 3 no face)")
    verify.add_argument("images", nargs="+", type=Path, help="A.jpg B.jpg, or one probe with --anchors")
    verify.add_argument("--model", type=Path, required=True, help=MODEL_HELP)
    verify.add_argument("--anchors", type=Path, help="folder of images of one person to compare the probe with")
    verify.add_argument("--aggregate", choices=["mean", "max", "vote"], default="mean", help="with --anchors")
    verify.add_argument("--threshold", type=float, help="override the bundle's calibrated threshold")
    _face_options(verify)
    verify.add_argument("--json", action="store_true", help="machine-readable output")

    enroll = commands.add_parser("enroll", help="add a person's photos to the gallery (no retraining)")
    enroll.add_argument("name")
    enroll.add_argument("images", nargs="+", type=Path)
    _gallery_options(enroll)
    _face_options(enroll)

    identify = commands.add_parser("identify", help="best matches in the gallery (exit 0 found, 1 UNKNOWN)")
    identify.add_argument("image", type=Path)
    identify.add_argument("--top", type=int, default=5, help="how many people to list")
    identify.add_argument("--threshold", type=float, help="override the bundle's calibrated threshold")
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
    _gallery_options(app)
    _face_options(app)

    gallery = commands.add_parser("gallery", help="list or remove enrolled people")
    gallery.add_argument("action", choices=["list", "remove"])
    gallery.add_argument("name", nargs="?", help="the person to remove")
    _gallery_options(gallery)
    return parser


def _finder(args: argparse.Namespace, bundle):
    from facecompare.inference.faces import FaceFinder, make_detector

    detector = make_detector(
        args.detector, bundle.meta, args.device, max_side=args.max_side, min_face_size=args.min_face
    )
    policy = bundle.face_policy
    several = policy["several_faces"] if args.faces == "auto" else args.faces
    if several not in ("largest", "central"):  # trained with several_faces=skip: no face was taken from those
        several = "largest"
    return FaceFinder(detector, bundle.size, bundle.margin, min_prob=policy["min_prob"], several_faces=several)


def _verify(args: argparse.Namespace) -> int:
    from facecompare.inference.bundle import load_bundle
    from facecompare.inference.verify import anchor_images, verify, verify_anchors

    if args.anchors is None and len(args.images) != 2:
        raise FacecompareError("verify takes two images, or one probe image with --anchors")
    if args.anchors is not None and len(args.images) != 1:
        raise FacecompareError("with --anchors, give exactly one probe image")
    bundle = load_bundle(args.model)
    finder = _finder(args, bundle)
    if args.anchors is None:
        verdict = verify(bundle, finder, args.images[0], args.images[1], args.threshold)
    else:
        anchors = anchor_images(args.anchors)
        verdict = verify_anchors(bundle, finder, args.images[0], anchors, args.aggregate, args.threshold)
    if args.json:
        print(json.dumps(verdict.to_json() | _votes(verdict), indent=1))
    else:
        verdict_word = "MATCH" if verdict.match else "NO MATCH"
        print(f"{verdict_word}  {_verdict_line(verdict)}")
        for face in [verdict.probe, *verdict.references]:
            where = (
                "whole image (detector none)" if face.box is None else "box " + " ".join(f"{v:.0f}" for v in face.box)
            )
            extra = f", {face.faces_found} faces, used the largest" if face.faces_found > 1 else ""
            prob = "" if face.prob is None else f" p={face.prob:.3f}"
            print(f"  {face.path}: {where}{prob}{extra}")
    return EXIT_MATCH if verdict.match else EXIT_NO_MATCH


def _votes(verdict: Verdict) -> dict[str, int]:
    """For ``vote``: how many anchors matched on their own and how many a MATCH needs (more than half). Its
    ``score`` is that share and ``threshold`` the one each anchor's score met, not a bar for the share."""
    if verdict.aggregate != "vote":
        return {}
    anchors = len(verdict.scores)
    # the share verify_anchors computed, back to a count: recounting here (float64) could disagree with its
    # float32 comparison for a score at the threshold
    return {"votes": round(verdict.score * anchors), "anchors": anchors, "votes_needed": anchors // 2 + 1}


def _verdict_line(verdict: Verdict) -> str:
    if verdict.aggregate == "vote":
        v = _votes(verdict)
        return (
            f"vote: {v['votes']} of {v['anchors']} anchors match at threshold {verdict.threshold:.4f} "
            f"(needs {v['votes_needed']})"
        )
    label = f"{verdict.aggregate} of {len(verdict.scores)} anchors" if verdict.aggregate else "score"
    return f"{label} {verdict.score:.4f}  threshold {verdict.threshold:.4f}"


def _enroll(args: argparse.Namespace) -> int:
    from facecompare.inference.bundle import load_bundle
    from facecompare.inference.gallery import person_name
    from facecompare.inference.identify import enroll, open_gallery

    bundle = load_bundle(args.model)
    with open_gallery(args.gallery, bundle) as gallery:
        count = enroll(bundle, _finder(args, bundle), gallery, args.name, args.images)
    print(f"enrolled {len(args.images)} image(s) of {person_name(args.name)!r}: {count} in {args.gallery}")
    return EXIT_MATCH


def _identify(args: argparse.Namespace) -> int:
    from facecompare.inference.access import decide_access, read_allow_list
    from facecompare.inference.bundle import load_bundle
    from facecompare.inference.gallery import require_gallery
    from facecompare.inference.identify import identify, open_gallery

    if args.top < 1:
        raise FacecompareError(f"--top must be at least 1, got {args.top}")
    require_gallery(args.gallery)
    allowed = list(args.allow or [])
    if args.allow_file is not None:
        allowed += read_allow_list(args.allow_file)  # read first: a bad list fails before any work
    bundle = load_bundle(args.model)
    with open_gallery(args.gallery, bundle) as gallery:
        result = identify(bundle, _finder(args, bundle), gallery, args.image, args.top, args.threshold, args.search)
        access = decide_access(result, allowed, [p for p, _ in gallery.people()]) if allowed else None
    if access is not None and access.not_enrolled:
        names = ", ".join(repr(n) for n in access.not_enrolled)
        print(f"warning: on the allow list but not in {args.gallery}: {names}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json() | ({"access": access.to_json()} if access else {}), indent=1))
    else:
        plain = f"{result.best or 'UNKNOWN'}  threshold {result.threshold:.4f}  ({result.people} people in the gallery)"
        print(_access_line(access) if access else plain)
        for rank, match in enumerate(result.matches, 1):
            print(f"  {rank}. {match.person}  {match.score:.4f}")
    if access is not None:
        return EXIT_MATCH if access.granted else EXIT_NO_MATCH
    return EXIT_MATCH if result.best else EXIT_NO_MATCH


def _access_line(access: AccessDecision) -> str:
    found = access.identification
    top = found.matches[0] if found.matches else None
    score = f"score {top.score:.4f}  threshold {found.threshold:.4f}" if top else "empty gallery"
    word, who = access.verdict
    best = f"best {top.person}, " if top and access.reason == "unknown" else ""
    return f"{word}  {who}  {best}{score}"


def _gallery(args: argparse.Namespace) -> int:
    from facecompare.inference.bundle import load_bundle
    from facecompare.inference.gallery import person_name, require_gallery
    from facecompare.inference.identify import open_gallery

    if args.action == "remove" and not (args.name and person_name(args.name)):
        raise FacecompareError("gallery remove needs the NAME of the person to remove")
    require_gallery(args.gallery)
    bundle = load_bundle(args.model)
    with open_gallery(args.gallery, bundle) as gallery:
        if args.action == "remove":
            removed = gallery.remove(args.name)
            print(f"removed {person_name(args.name)!r} ({removed} embedding(s)) from {args.gallery}")
        else:
            people = gallery.people()
            for name, count in people:
                print(f"{name}\t{count}")
            print(f"{len(people)} people in {args.gallery}", file=sys.stderr)
    return EXIT_MATCH


def _search_video(args: argparse.Namespace) -> int:
    from facecompare.inference.bundle import load_bundle
    from facecompare.inference.gallery import person_name, require_gallery
    from facecompare.inference.identify import open_gallery
    from facecompare.inference.video import search_video

    if args.person is not None:
        require_gallery(args.gallery)
    bundle = load_bundle(args.model)
    finder = _finder(args, bundle)
    if args.image is not None:
        (face,) = finder.find([args.image])
        references = bundle.embed(face.crop[None])
    else:
        with open_gallery(args.gallery, bundle) as gallery:
            references, _ = gallery.matrix(args.person)
        if not len(references):
            name = person_name(args.person)
            raise FacecompareError(f"{args.gallery}: no person named {name!r}; enroll them first")

    def live(s) -> None:
        if not args.json:
            print(f"{s.seconds:10.2f} s  frame {s.frame:>7}  score {s.score:.4f}", flush=True)

    sightings, examined = search_video(
        bundle, finder.detector, references, args.source, args.every, args.batch, args.threshold,
        finder.min_prob, args.thumbnails, args.max_frames, live, args.annotate,
    )  # fmt: skip
    if args.json:
        print(json.dumps({"frames_examined": examined, "sightings": [s.to_json() for s in sightings]}, indent=1))
    else:
        print(f"{len(sightings)} of {examined} examined frames show the person", file=sys.stderr)
    if args.annotate is not None:
        print(f"annotated clip: {args.annotate}", file=sys.stderr)
    return EXIT_MATCH if sightings else EXIT_NO_MATCH


def _app(args: argparse.Namespace) -> int:
    from facecompare.app.auth import is_loopback, read_auth_file
    from facecompare.app.service import FaceService
    from facecompare.app.web import serve
    from facecompare.inference.bundle import load_bundle

    auth = read_auth_file(args.auth_file) if args.auth_file else None
    if auth is None and not is_loopback(args.host):
        if not args.allow_no_auth:
            # the app takes face photos and, with a gallery, names people: not for anyone on the network
            raise FacecompareError(
                f"--host {args.host} makes the app reachable from the network, where anyone could upload faces "
                "and query the gallery: give --auth-file FILE (lines user:password), or --allow-no-auth"
            )
        print(
            f"warning: serving on {args.host} without a login: anyone who can reach it can upload faces",
            file=sys.stderr,
        )
    bundle = load_bundle(args.model)
    service = FaceService(bundle, _finder(args, bundle), args.gallery, args.search)
    serve(service, args.host, args.port, args.max_upload_mb, auth=auth)
    return EXIT_MATCH


COMMANDS = {
    "verify": _verify,
    "enroll": _enroll,
    "identify": _identify,
    "gallery": _gallery,
    "search-video": _search_video,
    "app": _app,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from facecompare.inference.faces import NoFaceError

    try:
        return COMMANDS[args.command](args)
    except NoFaceError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_NO_FACE
    except FacecompareError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
