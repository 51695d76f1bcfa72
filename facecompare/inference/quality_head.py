"""A learned face quality: a ridge regression from the embedding to how close the crop lies to its own
identity's centre (the idea of CR-FIQA and SDD-FIQA: a face that sits near its person's other photos is one the
model recognises well), fitted on labelled crops after training, with the network frozen.

Beside the training-free ``EmbeddingQuality`` (quality.py) it answers whether learning the quality from
identities does better than geometry alone; benchmarks/RESULTS.md has the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from facecompare.inference.quality import unit_rows

RIDGE = 1.0  # the regression's penalty on its weights (the features are unit embeddings)


def centre_similarity(embeddings: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, targets): each crop of a person with two or more crops, and its cosine to the mean of that
    person's other crops (leaving itself out, so that a person of two photos is not scored against itself)."""
    e, labels = unit_rows(embeddings), np.asarray(labels)
    rows, targets = [], []
    for person in np.unique(labels):
        members = np.flatnonzero(labels == person)
        if len(members) < 2:
            continue
        total = e[members].sum(0)
        for i in members:
            others = unit_rows(total - e[i])[0]
            rows.append(i)
            targets.append(float(e[i] @ others))
    return np.asarray(rows, np.int64), np.asarray(targets)


@dataclass(frozen=True)
class LearnedQuality:
    """quality = clip((unit(embedding) . weights + bias - low) / (high - low), 0, 1); ``low`` and ``high``:
    the 5th and 95th percentiles of the predictions on the crops it was fitted on."""

    weights: np.ndarray
    bias: float
    low: float
    high: float
    refuse_below: float = 0.0

    @classmethod
    def fit(cls, embeddings: np.ndarray, labels: np.ndarray) -> LearnedQuality:
        rows, targets = centre_similarity(embeddings, labels)
        if len(rows) < 10:
            raise ValueError(f"{len(rows)} crops of people with two or more: too few to learn a quality from")
        x = unit_rows(embeddings)[rows]
        mean_x, mean_t = x.mean(0), targets.mean()
        xc = x - mean_x
        weights = np.linalg.solve(xc.T @ xc + RIDGE * np.eye(x.shape[1]), xc.T @ (targets - mean_t))
        bias = float(mean_t - mean_x @ weights)
        predicted = x @ weights + bias
        low, high = (float(v) for v in np.percentile(predicted, [5, 95]))
        if high <= low:
            raise ValueError("the learned quality predicts one value for every crop: no quality scale")
        return cls(weights, bias, low, high, 0.0)

    def quality(self, embeddings: np.ndarray) -> np.ndarray:
        predicted = unit_rows(embeddings) @ self.weights + self.bias
        return np.clip((predicted - self.low) / (self.high - self.low), 0.0, 1.0)

    def to_json(self) -> dict[str, Any]:
        return {"method": "ridge", "weights": self.weights.tolist(), "bias": self.bias, "low": self.low,
                "high": self.high, "refuse_below": self.refuse_below}  # fmt: skip

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> LearnedQuality:
        weights = np.asarray(record["weights"], np.float64)
        low, high, refuse_below = (float(record[k]) for k in ("low", "high", "refuse_below"))
        return cls(weights, float(record["bias"]), low, high, refuse_below)
