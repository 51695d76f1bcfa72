"""Where faces come from. Each source builds identity-disjoint train/val/test FaceSets."""

from facecompare.data.sources.base import FaceSource
from facecompare.data.sources.folder import FolderSource
from facecompare.data.sources.lfw import LFWSource
from facecompare.data.sources.rec import RecordIOSource
from facecompare.data.sources.store import StoreSource
from facecompare.data.sources.synthetic import SyntheticSource

__all__ = ["FaceSource", "FolderSource", "LFWSource", "RecordIOSource", "StoreSource", "SyntheticSource"]
