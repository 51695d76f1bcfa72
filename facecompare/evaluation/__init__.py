"""Verification metrics and threshold choice, for any embedder's pair scores."""

from facecompare.evaluation.metrics import PairMetrics, roc_summary

__all__ = ["PairMetrics", "roc_summary"]
