"""Checkpoint -> deployable bundle (ONNX, TorchScript, model.json). Reading a bundle is facecompare.inference."""

from facecompare.export.bundle_writer import export_bundle

__all__ = ["export_bundle"]
