"""``facecompare app``: the local web app."""

from __future__ import annotations

import argparse
import sys

from facecompare.cli.common import EXIT_MATCH, finder, open_bundle
from facecompare.cli.gallery import open_gallery_noted
from facecompare.errors import FacecompareError


def cmd_app(args: argparse.Namespace) -> int:
    from facecompare.app.auth import is_loopback, read_auth_file
    from facecompare.app.launch import serve
    from facecompare.app.service import FaceService

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
    bundle = open_bundle(args)
    if args.gallery.is_file():  # at start-up: an older gallery is given checksums, and says so, here
        open_gallery_noted(args.gallery, bundle).close()
    service = FaceService(bundle, finder(args, bundle), args.gallery, args.search, args.fpir, args.threshold)
    serve(service, args.host, args.port, args.max_upload_mb, auth=auth)
    return EXIT_MATCH
