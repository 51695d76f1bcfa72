"""Verification metrics and threshold choice, for any embedder's pair scores.

Imported on first use (facecompare/lazy_exports.py): ``PairMetrics`` is a torchmetrics Metric, and torchmetrics
takes seconds to import (scipy, matplotlib, torchvision), which a script that only reads a checkpoint's
settings, or refuses a bad file, should not pay before it says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facecompare.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from facecompare.evaluation.metrics import PairMetrics, roc_summary

__all__ = ["PairMetrics", "roc_summary"]
__getattr__ = lazy_exports(__name__, {name: "metrics" for name in __all__})
