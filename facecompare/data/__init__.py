"""Face data: sources (synthetic, folders), in-memory face sets, pair and P x K samplers, the data module.

Nothing is imported here (facecompare/lazy_exports.py): the inference path uses ``facecompare.data.detection``
and ``facecompare.data.alignment`` and must pull in neither Lightning nor, for a gallery, torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facecompare.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from facecompare.data.datamodule import FaceDataModule
    from facecompare.data.faceset import FaceSet, SplitFaces

__all__ = ["FaceDataModule", "FaceSet", "SplitFaces"]
__getattr__ = lazy_exports(__name__, {"FaceDataModule": "datamodule", "FaceSet": "faceset", "SplitFaces": "faceset"})
