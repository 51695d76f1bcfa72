"""``facecompare enroll``, ``identify`` (with access control) and ``gallery``: the gallery of enrolled people."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from facecompare.cli.common import EXIT_MATCH, EXIT_NO_MATCH, finder, open_bundle
from facecompare.errors import FacecompareError
from facecompare.inference.face_quality import quality_text

if TYPE_CHECKING:
    from pathlib import Path

    from facecompare.inference.access import AccessDecision
    from facecompare.inference.bundle import Bundle
    from facecompare.inference.gallery import Gallery
    from facecompare.inference.identify import Identification


def open_gallery_noted(path: Path, bundle: Bundle) -> Gallery:
    """The gallery at ``path``, saying on stderr what opening it did (e.g. an older gallery given checksums)."""
    from facecompare.inference.identify import open_gallery

    gallery = open_gallery(path, bundle)
    if gallery.notice:
        print(f"note: {gallery.notice}", file=sys.stderr)
    return gallery


def cmd_enroll(args: argparse.Namespace) -> int:
    from facecompare.inference.face_quality import default_min_quality
    from facecompare.inference.gallery import person_name
    from facecompare.inference.identify import enroll

    bundle = open_bundle(args)
    min_quality = default_min_quality(bundle) if args.min_quality is None else args.min_quality
    with open_gallery_noted(args.gallery, bundle) as gallery:
        count = enroll(bundle, finder(args, bundle), gallery, args.name, args.images, min_quality or None)
    print(f"enrolled {len(args.images)} image(s) of {person_name(args.name)!r}: {count} in {args.gallery}")
    return EXIT_MATCH


def cmd_identify(args: argparse.Namespace) -> int:
    from facecompare.inference.access import decide_access, read_allow_list
    from facecompare.inference.gallery import require_gallery
    from facecompare.inference.identify import identify

    if args.top < 1:
        raise FacecompareError(f"--top must be at least 1, got {args.top}")
    require_gallery(args.gallery)
    allowed = list(args.allow or [])
    if args.allow_file is not None:
        allowed += read_allow_list(args.allow_file)  # read first: a bad list fails before any work
    bundle = open_bundle(args)
    with open_gallery_noted(args.gallery, bundle) as gallery:
        faces = finder(args, bundle)
        # with an allow list the threshold must be one the tool can vouch for, else it refuses (exit 2)
        found = identify(
            bundle, faces, gallery, args.image, args.top, args.threshold, args.search, args.fpir, bool(allowed)
        )
        access = decide_access(found, allowed, [p for p, _ in gallery.people()]) if allowed else None
    if access is not None and access.not_enrolled:
        names = ", ".join(repr(n) for n in access.not_enrolled)
        print(f"warning: on the allow list but not in {args.gallery}: {names}", file=sys.stderr)
    if found.warning:
        print(f"warning: {found.warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(found.to_json() | ({"access": access.to_json()} if access else {}), indent=1))
    else:
        plain = f"{found.best or 'UNKNOWN'}  {_threshold(found)}  ({found.gallery_size()})"
        print(_access_line(access) if access else plain)
        for rank, match in enumerate(found.matches, 1):
            print(f"  {rank}. {match.person}  {match.score:.4f}")
        print(f"  face: {found.face.path}{quality_text(found.face)}")
    if access is not None:
        return EXIT_MATCH if access.granted else EXIT_NO_MATCH
    return EXIT_MATCH if found.best else EXIT_NO_MATCH


def _access_line(access: AccessDecision) -> str:
    found = access.identification
    top = found.matches[0] if found.matches else None
    score = f"score {top.score:.4f}  {_threshold(found)}" if top else "empty gallery"
    word, who = access.verdict
    best = f"best {top.person}, " if top and access.reason == "unknown" else ""
    return f"{word}  {who}  {best}{score}"


def _threshold(found: Identification) -> str:
    return f"threshold {found.threshold:.4f} [{found.threshold_rule}]"


def cmd_gallery(args: argparse.Namespace) -> int:
    from facecompare.inference.gallery import person_name, require_gallery

    if args.action == "remove" and not (args.name and person_name(args.name)):
        raise FacecompareError("gallery remove needs the NAME of the person to remove")
    require_gallery(args.gallery)
    bundle = open_bundle(args)
    with open_gallery_noted(args.gallery, bundle) as gallery:
        if args.action == "remove":
            removed = gallery.remove(args.name)
            print(f"removed {person_name(args.name)!r} ({removed} embedding(s)) from {args.gallery}")
        else:
            people = gallery.people()
            for name, count in people:
                print(f"{name}\t{count}")
            print(f"{len(people)} people in {args.gallery}", file=sys.stderr)
    return EXIT_MATCH
