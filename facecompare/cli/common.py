"""What every subcommand shares: exit codes and the face finder built from a bundle and the face options."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from facecompare.inference.bundle import Bundle
    from facecompare.inference.faces import FaceFinder

EXIT_MATCH, EXIT_NO_MATCH, EXIT_BAD_INPUT, EXIT_NO_FACE = 0, 1, 2, 3


def open_bundle(args: argparse.Namespace) -> Bundle:
    """The bundle ``--model`` names, scoring face quality by ``--quality`` where the command has it."""
    from facecompare.inference.bundle import load_bundle

    bundle = load_bundle(args.model)
    bundle.use_quality(getattr(args, "quality", None))
    return bundle


def finder(args: argparse.Namespace, bundle: Bundle) -> FaceFinder:
    """The face finder the options ask for, taking by default the face of a photo the bundle's training took."""
    from facecompare.inference.faces import FaceFinder, make_detector

    detector = make_detector(
        args.detector, bundle.meta, args.device, max_side=args.max_side, min_face_size=args.min_face
    )
    policy = bundle.face_policy
    several = policy["several_faces"] if args.faces == "auto" else args.faces
    if several not in ("largest", "central"):  # trained with several_faces=skip: no face was taken from those
        several = "largest"
    return FaceFinder(detector, bundle.size, bundle.margin, min_prob=policy["min_prob"], several_faces=several)
