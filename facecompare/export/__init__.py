"""Checkpoint -> deployable bundle (ONNX, TorchScript, model.json). Reading a bundle is facecompare.inference."""

from facecompare.export.bundle import export_bundle

__all__ = ["export_bundle"]
