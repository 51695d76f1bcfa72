"""``python -m facecompare.cli``: the same as the ``facecompare`` command."""

import sys

from facecompare.cli import main

sys.exit(main())
