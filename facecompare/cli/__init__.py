"""The ``facecompare`` command: use an exported bundle (``scripts/export.py``) on image files.

    facecompare verify A.jpg B.jpg --model bundle/ [--json] [--threshold T]
    facecompare verify probe.jpg --anchors person_dir/ --model bundle/ [--aggregate mean|max|vote]
    facecompare enroll NAME img1.jpg img2.jpg --model bundle/ [--gallery gallery.db]
    facecompare identify img.jpg --model bundle/ [--gallery gallery.db] [--top 5] [--allow NAME | --allow-file F]
                [--fpir RATE | --threshold T]
    facecompare gallery list|remove [NAME] --model bundle/ [--gallery gallery.db]
    facecompare calibrate PEOPLE_DIR --model bundle/ [--out calibrated/] [--folds 10] [--method accuracy|far]
    facecompare search-video video.mp4 (--person NAME | --image ref.jpg) --model bundle/ [--every 5]
    facecompare app --model bundle/ [--gallery gallery.db] [--host 127.0.0.1] [--port 7860] [--auth-file F]
                [--fpir RATE | --threshold T]
    facecompare serve --model bundle/ [--gallery gallery.db] [--host 127.0.0.1] [--port 8000] [--token-file F]

Exit codes: 0 MATCH / identified / GRANTED / done, 1 NO MATCH / UNKNOWN / DENIED, 2 bad input (unreadable
image or video, bad bundle, missing or bad gallery, allow list or arguments; an access decision without a
threshold fitted to the gallery or given), 3 no face found in an image.
Only enroll creates a gallery. Imports neither Lightning nor Hydra.
"""

from __future__ import annotations

import sys

from facecompare.cli.app import cmd_app
from facecompare.cli.arguments import check_arguments
from facecompare.cli.calibrate import cmd_calibrate
from facecompare.cli.common import EXIT_BAD_INPUT, EXIT_MATCH, EXIT_NO_FACE, EXIT_NO_MATCH
from facecompare.cli.gallery import cmd_enroll, cmd_gallery, cmd_identify
from facecompare.cli.parser import build_parser
from facecompare.cli.serve import cmd_serve
from facecompare.cli.verify import cmd_verify
from facecompare.cli.video import cmd_search_video
from facecompare.errors import FacecompareError

__all__ = ["EXIT_BAD_INPUT", "EXIT_MATCH", "EXIT_NO_FACE", "EXIT_NO_MATCH", "main"]

COMMANDS = {
    "verify": cmd_verify,
    "enroll": cmd_enroll,
    "identify": cmd_identify,
    "gallery": cmd_gallery,
    "search-video": cmd_search_video,
    "app": cmd_app,
    "serve": cmd_serve,
    "calibrate": cmd_calibrate,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser(__doc__).parse_args(argv)
    from facecompare.inference.faces import NoFaceError

    try:
        check_arguments(args)
        return COMMANDS[args.command](args)
    except NoFaceError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_NO_FACE
    except FacecompareError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
