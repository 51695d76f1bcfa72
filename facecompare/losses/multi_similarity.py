"""Multi-similarity loss (Wang et al. 2019) on P x K batches, with pytorch-metric-learning's mining and maths."""

from __future__ import annotations

from typing import ClassVar

from pytorch_metric_learning import distances, losses, miners, reducers
from torch import Tensor

from facecompare.losses.base import check_labelled_batch, check_positive
from facecompare.losses.distance_criterion import DistanceCriterion


class MultiSimilarityLoss(DistanceCriterion):
    """Per anchor i, with cosine similarities ``S``, positives P_i and negatives N_i of the batch::

        1/alpha * log(1 + sum_{p in P_i} exp(-alpha (S_ip - base)))
      + 1/beta  * log(1 + sum_{n in N_i} exp( beta (S_in - base)))

    averaged over every anchor of the batch (the paper's mean; an anchor left without pairs counts 0).

    Every pair of the batch is weighed by how hard it is relative to the others, which is what makes it
    learn from the small LFW identities where random pairs (contrastive) give one signal per pair and
    batch-hard triplets collapse from scratch. With ``mining`` (the paper's pair mining, PML's
    ``MultiSimilarityMiner``), a negative is kept only if it is more similar than the anchor's least
    similar positive minus ``epsilon``, and a positive only if it is less similar than the anchor's most
    similar negative plus ``epsilon``.

    Pairs are scored like the other cosine losses: ``(1 + cos(a, b)) / 2``.

    Args:
        alpha, beta: > 0; the sharpness of the positive and the negative terms (paper: 2 and 50).
        base: the cosine similarity both terms pivot on (paper: 0.5).
        mining: the paper's pair mining before the loss.
        epsilon: the mining's slack, > 0.
    """

    batch_kind: ClassVar[str] = "pk"
    distance: ClassVar[str] = "cosine"

    def __init__(
        self, alpha: float = 2.0, beta: float = 50.0, base: float = 0.5, mining: bool = True, epsilon: float = 0.1
    ) -> None:
        super().__init__()
        self.alpha, self.beta = check_positive("alpha", alpha), check_positive("beta", beta)
        self.base, self.mining = float(base), bool(mining)
        self.epsilon = check_positive("epsilon", epsilon)
        similarity = distances.CosineSimilarity()
        self.miner = miners.MultiSimilarityMiner(epsilon=self.epsilon, distance=similarity) if self.mining else None
        self.loss_fn = losses.MultiSimilarityLoss(
            alpha=self.alpha, beta=self.beta, base=self.base, distance=similarity, reducer=reducers.MeanReducer()
        )

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        """embeddings: (N, D); labels: (N,) identity ids. Returns a scalar."""
        check_labelled_batch(type(self).__name__, embeddings, labels)
        # Differences of similarities times beta = 50 are what the loss lives on: too fine for bf16.
        embeddings = embeddings.float()
        pairs = self.miner(embeddings, labels) if self.miner is not None else None
        return self.loss_fn(embeddings, labels, indices_tuple=pairs)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, beta={self.beta}, base={self.base}, mining={self.mining}, epsilon={self.epsilon}"
