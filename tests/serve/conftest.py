"""The tiny bundle's service, over a gallery of its own for each test."""

from __future__ import annotations

import pytest

from facecompare.app.service import FaceService
from facecompare.inference import Bundle, load_bundle
from facecompare.inference.faces import FaceFinder, make_detector


@pytest.fixture(scope="session")
def tiny_model(tiny_bundle) -> tuple[Bundle, FaceFinder]:
    bundle = load_bundle(tiny_bundle)
    return bundle, FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size)


@pytest.fixture
def service(tiny_model, tmp_path) -> FaceService:
    """The tiny bundle's service over a gallery that does not exist yet."""
    return FaceService(*tiny_model, tmp_path / "gallery.db")
