"""The local web app: ``facecompare app --model bundle/``. ``service`` holds what it does (no web framework
needed to test it), ``web`` lays it out in Gradio, which is imported only when the app starts."""

from facecompare.app.service import FaceService, Upload

__all__ = ["FaceService", "Upload"]
