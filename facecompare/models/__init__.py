"""Embedding networks: a trunk, a projection to ``embedding_dim`` and optional L2 normalisation."""

from facecompare.models.cnn import CompactCNN
from facecompare.models.dlib_embedder import DlibResNetEmbedder
from facecompare.models.embedder import Embedder
from facecompare.models.inception_resnet import InceptionResnetEmbedder
from facecompare.models.iresnet import IResNetEmbedder
from facecompare.models.mobilefacenet import MobileFaceNetEmbedder
from facecompare.models.mobilenet import MobileNetEmbedder
from facecompare.models.resnet import ResNetEmbedder
from facecompare.models.vgg import VGGEmbedder

__all__ = [
    "CompactCNN",
    "DlibResNetEmbedder",
    "Embedder",
    "IResNetEmbedder",
    "InceptionResnetEmbedder",
    "MobileFaceNetEmbedder",
    "MobileNetEmbedder",
    "ResNetEmbedder",
    "VGGEmbedder",
]
