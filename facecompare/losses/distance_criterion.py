"""The criteria that score a pair by the distance between its embeddings (all but the binary head's)."""

from __future__ import annotations

from torch import Tensor

from facecompare.losses.base import PairCriterion, check_pair_batch
from facecompare.losses.distances import distance_to_score, pair_distance


class DistanceCriterion(PairCriterion):
    """A :class:`PairCriterion` whose ``score`` is ``distance_to_score`` of the embeddings' ``distance``
    (``"euclidean"`` or ``"cosine"``, an attribute the subclass sets), so that validation and inference
    rank pairs by the geometry the loss trained."""

    distance: str

    def score(self, a: Tensor, b: Tensor) -> Tensor:
        check_pair_batch(type(self).__name__, a, b)
        return distance_to_score(pair_distance(a, b, self.distance), self.distance)
