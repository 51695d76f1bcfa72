"""Argument values and combinations that argparse cannot refuse, checked before any model is loaded."""

from __future__ import annotations

import argparse

from facecompare.errors import FacecompareError


def check_arguments(args: argparse.Namespace) -> None:
    """Raise a one-line FacecompareError for an argument that would be ignored or could never work."""
    threshold = getattr(args, "threshold", None)
    # every bundle scores in [0, 1] (cosine and learned heads clipped or squashed, euclidean 1 / (1 + d)): a
    # threshold above 1 refuses everyone and one below 0 accepts everyone, whatever the faces
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise FacecompareError(f"--threshold {threshold:g}: scores are in [0, 1] (1: the same face); give one in it")
    if args.command == "verify" and args.aggregate is not None and args.anchors is None:
        raise FacecompareError(f"--aggregate {args.aggregate} combines scores against --anchors DIR, which is missing")
    if args.command == "gallery" and args.action == "list" and args.name is not None:
        raise FacecompareError(f"gallery list takes no NAME, got {args.name!r} (gallery remove NAME removes one)")
    if args.command == "calibrate":
        if args.folds < 1 or args.pairs < 2:
            raise FacecompareError(f"--folds {args.folds} --pairs {args.pairs}: need at least 1 fold and 2 pairs")
        if not 0.0 <= args.far < 1.0:
            raise FacecompareError(f"--far {args.far:g}: a false accept rate is in [0, 1)")
    min_quality = getattr(args, "min_quality", None)
    if min_quality is not None and not 0.0 <= min_quality <= 1.0:
        raise FacecompareError(f"--min-quality {min_quality:g}: face quality is in [0, 1]; give one in it")
