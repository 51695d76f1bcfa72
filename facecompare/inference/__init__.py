"""Using a trained model: load an exported bundle and embed, score and verify faces.

Nothing here imports Lightning or Hydra: a deployment needs numpy, onnxruntime and, for detection, torch
with facenet-pytorch. The bundle reader is imported on first use (facecompare/lazy_exports.py), so that the
gallery alone needs numpy only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facecompare.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from facecompare.inference.bundle import Bundle, BundleError, load_bundle

__all__ = ["Bundle", "BundleError", "load_bundle"]
__getattr__ = lazy_exports(__name__, {name: "bundle" for name in __all__})
