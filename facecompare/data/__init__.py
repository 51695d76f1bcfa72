"""Face data: sources (synthetic, folders), in-memory face sets, pair and P x K samplers, the data module.

The data module is imported on first use, not here: the inference path uses ``facecompare.data.detection``
and ``facecompare.data.alignment`` and must not pull in Lightning through this package.
"""

from facecompare.data.faceset import FaceSet, SplitFaces

__all__ = ["FaceDataModule", "FaceSet", "SplitFaces"]


def __getattr__(name: str):
    if name == "FaceDataModule":
        from facecompare.data.datamodule import FaceDataModule

        return FaceDataModule
    raise AttributeError(f"module 'facecompare.data' has no attribute {name!r}")
