"""``facecompare calibrate``: fit a bundle's threshold and open-set curve to a folder of one's own people."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from facecompare.cli.common import EXIT_MATCH, finder, open_bundle


def cmd_calibrate(args: argparse.Namespace) -> int:
    from facecompare.evaluation.people_calibration import calibrate, embed_people
    from facecompare.inference.bundle_copy import copy_with_threshold
    from facecompare.inference.quality import EmbeddingQuality

    bundle = open_bundle(args)
    out = args.out or bundle.path.with_name(f"{bundle.path.name}-calibrated")
    embeddings, names, skipped, sample = embed_people(bundle, finder(args, bundle), args.people)
    for reason in skipped:
        print(f"warning: {reason}; skipped", file=sys.stderr)
    record = calibrate(
        bundle, embeddings, names, str(args.people), args.folds, args.pairs, args.seed, args.method, args.far
    )
    record["calibration"]["skipped_images"] = len(skipped)
    try:
        quality: dict | None = EmbeddingQuality.fit(bundle.embed, sample).to_json()
        quality["on"] = f"{len(sample)} photos of {args.people}"
    except ValueError as err:  # the model's embeddings do not tell degraded faces apart: no quality score
        print(f"warning: no face quality model from these photos: {err}", file=sys.stderr)
        quality = None
    learned = _refit_learned(bundle, sample, str(args.people))
    copy_with_threshold(bundle, record, out, quality, learned)
    c = record["calibration"]
    if args.json:
        print(json.dumps({"bundle": str(out), **record, "quality": quality, "quality_learned": learned}, indent=1))
        return EXIT_MATCH
    print(f"{c['images']} photos of {c['people']} people ({len(skipped)} skipped), {c['pairs']} pairs")
    if "kfold" in c:
        k = c["kfold"]
        print(
            f"{c['folds']}-fold, each fold's people at the threshold calibrated on the others: "
            f"accuracy {k['mean']:.2%} ± {k['std']:.2%}"
        )
    print(f"threshold {c['previous_threshold']:.4f} (the bundle's): accuracy {c['accuracy_at_previous_threshold']:.2%}")
    print(f"threshold {record['value']:.4f} (calibrated, by {c['method']}): accuracy {c['accuracy_at_threshold']:.2%}")
    curve = record.get("far_curve")
    print(
        f"open-set curve: {curve['impostor_pairs']:,} impostor pairs"
        if curve
        else "no open-set curve (too few people): identify fits no threshold to a gallery from this bundle"
    )
    if quality is not None:
        print(f"face quality fitted on {quality['on']}: enrolment refuses faces below {quality['refuse_below']:.2f}")
    print(f"written: {out}  (use it as --model {out})")
    return EXIT_MATCH


def _refit_learned(bundle, sample, people: str) -> dict | None:
    """The learned quality (a trained branch, inference/branch_quality.py) put on its scale again on these
    photos; None, keeping the bundle's, where the bundle has none or these photos cannot give a scale."""
    from facecompare.inference.branch_quality import BranchQuality

    if not bundle.meta.get("quality_learned"):
        return None
    layers = BranchQuality.from_json(bundle.meta["quality_learned"]).layers
    try:
        return BranchQuality.fit(layers, bundle.embed, sample).to_json() | {"on": f"{len(sample)} photos of {people}"}
    except ValueError as err:
        print(f"warning: the learned face quality keeps the bundle's scale: {err}", file=sys.stderr)
        return None


def add_parser(commands: argparse._SubParsersAction, face_options, model_help: str) -> None:
    calibrate = commands.add_parser(
        "calibrate", help="fit the threshold to your own people and camera; writes a calibrated copy of the bundle"
    )
    calibrate.add_argument("people", type=Path, help="folder with one sub-folder of photos per person")
    calibrate.add_argument("--model", type=Path, required=True, help=model_help)
    calibrate.add_argument("--out", type=Path, help="the calibrated bundle's folder (default: BUNDLE-calibrated)")
    calibrate.add_argument("--folds", type=int, default=10, help="folds of people for the check (default 10)")
    calibrate.add_argument("--pairs", type=int, default=3000, help="balanced pairs to draw (default 3000)")
    calibrate.add_argument("--method", choices=["accuracy", "far"], default="accuracy", help="how to pick it")
    calibrate.add_argument("--far", type=float, default=1e-3, help="with --method far: the false accept rate")
    calibrate.add_argument("--seed", type=int, default=0)
    face_options(calibrate)
    calibrate.add_argument("--json", action="store_true", help="machine-readable output")
