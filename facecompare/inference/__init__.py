"""Using a trained model: load an exported bundle and embed, score and verify faces.

Nothing here imports Lightning or Hydra: a deployment needs numpy, onnxruntime and, for detection, torch
with facenet-pytorch.
"""

from facecompare.inference.bundle import Bundle, BundleError, load_bundle

__all__ = ["Bundle", "BundleError", "load_bundle"]
