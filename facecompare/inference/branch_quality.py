"""The learned face quality of a model trained with a quality branch (facecompare/models/quality_branch.py,
``face_quality=branch``), run in NumPy from the weights ``model.json`` carries: the branch's prediction of the
crop's cosine to its identity's centre, put on the training-free score's scale (0 at the median of degraded
copies of real crops, 1 at the clean crops' median) so that a bar means the same for both methods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from facecompare.inference.quality import Embed, degrade, enrolment_bar, unit_rows


def branch_layers(branch: Any) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The (weight, bias) arrays of a trained ``QualityBranch`` (or any module of linear layers), in order."""
    linear = [m for m in branch.modules() if hasattr(m, "weight") and hasattr(m, "bias") and m.weight.dim() == 2]
    return tuple((m.weight.detach().double().numpy(), m.bias.detach().double().numpy()) for m in linear)


@dataclass(frozen=True)
class BranchQuality:
    """``layers``: [(weight (H, D), bias (H,)), (weight (1, H), bias (1,))] of the trained branch."""

    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    low: float = 0.0
    high: float = 1.0
    refuse_below: float = 0.0

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        """(N,) the branch's raw output: the predicted cosine to the identity's centre."""
        (w1, b1), (w2, b2) = self.layers
        hidden = np.maximum(unit_rows(embeddings) @ w1.T + b1, 0.0)
        return (hidden @ w2.T + b2)[:, 0]

    def quality(self, embeddings: np.ndarray) -> np.ndarray:
        return np.clip((self.predict(embeddings) - self.low) / (self.high - self.low), 0.0, 1.0)

    @classmethod
    def fit(cls, layers: tuple[tuple[np.ndarray, np.ndarray], ...], embed: Embed, crops: np.ndarray) -> BranchQuality:
        """The scale and enrolment bar from clean crops (a few hundred of the kind the model sees)."""
        clean, bad = embed(crops), embed(degrade(crops))
        raw = cls(layers)
        low, high = float(np.median(raw.predict(bad))), float(np.median(raw.predict(clean)))
        if high <= low:
            raise ValueError("the quality branch scores degraded copies no lower than clean crops: no quality scale")
        scaled = cls(layers, low, high)
        return cls(layers, low, high, enrolment_bar(scaled.quality(clean), scaled.quality(bad)))

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "learned",
            "layers": [{"weight": w.tolist(), "bias": b.tolist()} for w, b in self.layers],
            "low": self.low,
            "high": self.high,
            "refuse_below": self.refuse_below,
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> BranchQuality:
        layers = tuple((np.asarray(x["weight"], float), np.asarray(x["bias"], float)) for x in record["layers"])
        if len(layers) != 2 or layers[0][0].ndim != 2 or layers[1][0].shape != (1, layers[0][0].shape[0]):
            raise ValueError("layers must be two: (H, D) and (1, H) weights with their biases")
        low, high, refuse_below = (float(record[k]) for k in ("low", "high", "refuse_below"))
        if not high > low:
            raise ValueError(f"high {high} must be above low {low}")
        return cls(layers, low, high, refuse_below)
