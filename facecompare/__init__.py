"""facecompare: training and shipping face-verification models, and the tools that use them."""

import os

# onnxruntime's POSIX builds write a device id and the machine's details under ~/.cache/Microsoft and a .ses
# file in $TMPDIR as soon as the module is imported; only this variable, set before that import, stops it.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
