"""``facecompare verify``: two images, or a probe against a folder of anchors."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from facecompare.cli.common import EXIT_MATCH, EXIT_NO_MATCH, finder, open_bundle
from facecompare.errors import FacecompareError
from facecompare.inference.face_quality import quality_text

if TYPE_CHECKING:
    from facecompare.inference.verify import Verdict


def cmd_verify(args: argparse.Namespace) -> int:
    from facecompare.inference.verify import anchor_images, verify, verify_anchors

    if args.anchors is None and len(args.images) != 2:
        raise FacecompareError("verify takes two images, or one probe image with --anchors")
    if args.anchors is not None and len(args.images) != 1:
        raise FacecompareError("with --anchors, give exactly one probe image")
    bundle = open_bundle(args)
    face_finder = finder(args, bundle)
    if args.anchors is None:
        verdict = verify(bundle, face_finder, args.images[0], args.images[1], args.threshold)
    else:
        anchors = anchor_images(args.anchors)
        aggregate = args.aggregate or "mean"
        verdict = verify_anchors(bundle, face_finder, args.images[0], anchors, aggregate, args.threshold)
        for reason in verdict.skipped:
            print(f"warning: {reason}; skipped", file=sys.stderr)
        if verdict.skipped:
            print(f"used {len(verdict.scores)} of {len(anchors)} anchors", file=sys.stderr)
    if args.json:
        print(json.dumps(verdict.to_json() | _votes(verdict), indent=1))
    else:
        verdict_word = "MATCH" if verdict.match else "NO MATCH"
        print(f"{verdict_word}  {_verdict_line(verdict)}")
        for face in [verdict.probe, *verdict.references]:
            where = (
                "whole image (detector none)" if face.box is None else "box " + " ".join(f"{v:.0f}" for v in face.box)
            )
            extra = f", {face.faces_found} faces, used the {face.took} one" if face.faces_found > 1 else ""
            prob = "" if face.prob is None else f" p={face.prob:.3f}"
            print(f"  {face.path}: {where}{prob}{extra}{quality_text(face)}")
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
