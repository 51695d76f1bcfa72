"""Training criteria. Each is a :class:`PairCriterion`: a loss plus a [0, 1] same-person score."""

from facecompare.losses.base import PairCriterion
from facecompare.losses.binary import BinaryPairLoss
from facecompare.losses.contrastive import ContrastiveLoss
from facecompare.losses.distance_criterion import DistanceCriterion
from facecompare.losses.margin_softmax import MarginSoftmaxLoss
from facecompare.losses.multi_similarity import MultiSimilarityLoss
from facecompare.losses.pair_head import PairHead
from facecompare.losses.partial_fc import PartialFCLoss
from facecompare.losses.triplet import TripletLoss

__all__ = [
    "BinaryPairLoss",
    "ContrastiveLoss",
    "DistanceCriterion",
    "MarginSoftmaxLoss",
    "MultiSimilarityLoss",
    "PairCriterion",
    "PairHead",
    "PartialFCLoss",
    "TripletLoss",
]
