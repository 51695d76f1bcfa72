"""What an evaluation measured: the fields of metrics.json, which report.md shows section by section."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class EvaluationResult:
    """One checkpoint scored on one protocol's pairs (``evaluation/evaluate.py``).

    ``test``: ``summarise_scores``'s figures on the test pairs (AUC, EER, accuracies, ``tar@far...``), at the
    calibration threshold where there are calibration pairs, else at the training's own. ``calibration``: the
    threshold for the tools, from the calibration pairs (``calibrated_apart``) or, without any, from all test
    pairs, checked fold by fold on unseen people in ``kfold``. ``baselines``: methods that need no training,
    by name. The ``*_file`` fields name what was written beside the checkpoint for the tools.
    """

    protocol: str
    checkpoint: str
    flip: str | None
    faces: dict[str, Any] | None
    pairs: int
    unique_images: int
    embeddings: int
    pairs_without_face: int
    test: dict[str, Any]
    calibration: dict[str, Any]
    calibrated_apart: bool
    leakage: dict[str, Any]
    kfold: dict[str, Any] | None = None
    acc_at_validation_threshold: float | None = None
    open_set: dict[str, Any] | None = None
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    groups: list[dict[str, Any]] | None = None
    groups_threshold: float | None = None
    figures: dict[str, str] = field(default_factory=dict)
    quality: dict[str, Any] | None = None
    calibration_file: str | None = None
    far_curve_file: str | None = None
    quality_file: str | None = None
    branch_file: str | None = None

    @property
    def threshold_used(self) -> float:
        """The threshold the test figures, groups and figures are at: the fixed one, else the best on the pairs."""
        return float(self.test.get("threshold", self.test["best_threshold"]))

    def to_json(self) -> dict[str, Any]:
        """metrics.json: every field, ``null`` where there is nothing to say."""
        return asdict(self)
