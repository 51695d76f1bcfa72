"""``facecompare search-video``: when a person appears in a video or a webcam stream."""

from __future__ import annotations

import argparse
import json
import sys

from facecompare.cli.common import EXIT_MATCH, EXIT_NO_MATCH, finder, open_bundle
from facecompare.errors import FacecompareError


def cmd_search_video(args: argparse.Namespace) -> int:
    from facecompare.inference.face_filter import VIDEO_MIN_PROB, FaceFilter
    from facecompare.inference.gallery import person_name, require_gallery
    from facecompare.inference.identify import open_gallery
    from facecompare.inference.video import search_video
    from facecompare.inference.video_clip import codec_note

    min_prob = VIDEO_MIN_PROB if args.min_prob is None else args.min_prob
    face_filter = FaceFilter(min_prob, args.min_size, args.min_inside, args.min_quality)
    if args.person is not None:
        require_gallery(args.gallery)
    bundle = open_bundle(args)
    face_finder = finder(args, bundle)
    if args.min_prob is None:  # a model trained only on surer faces keeps its own bar
        face_filter.min_prob = max(face_filter.min_prob, face_finder.min_prob)
    if args.image is not None:
        (face,) = face_finder.find([args.image])
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
        bundle, face_finder.detector, references, args.source, args.every, args.batch, args.threshold,
        face_filter, args.thumbnails, args.max_frames, live, args.annotate,
    )  # fmt: skip
    if args.json:
        found = {"frames_examined": examined, "sightings": [s.to_json() for s in sightings]}
        print(json.dumps({**found, "detections": face_filter.to_json()}, indent=1))
    else:
        print(f"{len(sightings)} of {examined} examined frames show the person", file=sys.stderr)
    if face_filter.summary():
        print(f"{face_filter.summary()} (--min-prob, --min-size, --min-inside, --min-quality)", file=sys.stderr)
    if args.annotate is not None:
        print(f"annotated clip: {args.annotate} ({codec_note(args.annotate)})", file=sys.stderr)
    return EXIT_MATCH if sightings else EXIT_NO_MATCH
