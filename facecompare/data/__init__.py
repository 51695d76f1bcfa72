"""Face data: sources (synthetic, folders), in-memory face sets, pair and P x K samplers, the data module."""

from facecompare.data.datamodule import FaceDataModule
from facecompare.data.faceset import FaceSet, SplitFaces

__all__ = ["FaceDataModule", "FaceSet", "SplitFaces"]
