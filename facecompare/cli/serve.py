"""``facecompare serve``: the JSON HTTP service for doors, lifts and attendance terminals."""

from __future__ import annotations

import argparse

from facecompare.cli.common import EXIT_MATCH, finder, open_bundle
from facecompare.errors import FacecompareError


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from facecompare.serve.form import Limits
        from facecompare.serve.server import Listen, serve_forever
        from facecompare.serve.token import read_token
    except ImportError as err:
        raise FacecompareError(
            f"the service needs FastAPI and uvicorn ({err.name} is missing): pip install 'facecompare[serve]'"
        ) from None
    from facecompare.app.service import FaceService

    if args.max_upload_mb <= 0 or args.max_images < 1:
        raise FacecompareError("--max-upload-mb must be positive and --max-images at least 1")
    token = read_token(args.token_file) if args.token_file else None  # read first: a bad file fails at once
    listen = Listen(args.host, args.port, token, str(args.token_file) if args.token_file else None)
    limits = Limits(int(args.max_upload_mb * 2**20), args.max_images)
    bundle = open_bundle(args)
    service = FaceService(bundle, finder(args, bundle), args.gallery, args.search, args.fpir, args.threshold)
    serve_forever(service, listen, limits)
    return EXIT_MATCH
