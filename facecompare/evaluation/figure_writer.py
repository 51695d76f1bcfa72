"""Writing an evaluation's figures: PNGs in the run folder, the same figures and a projector in TensorBoard."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from torch import nn

from facecompare.data.sources.pair_sets import EvalSet
from facecompare.evaluation.embedding import embed_images
from facecompare.evaluation.figures import (
    histogram_figure,
    mistakes_figure,
    roc_det_figure,
    save,
    training_curves_figure,
)

log = logging.getLogger(__name__)


def _training_scalars(ckpt: Path) -> dict[str, list[tuple[int, float]]]:
    """The logged scalars (TensorBoard or CSV logger) of the run that wrote ``ckpt`` (``<run>/checkpoints/``)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars: dict[str, list[tuple[int, float]]] = {}
    csv_file = ckpt.parent.parent / "csv" / "metrics.csv"  # logger=csv
    if csv_file.is_file():
        import csv

        with open(csv_file, newline="") as f:
            for row in csv.DictReader(f):
                for tag, value in row.items():
                    if tag not in ("step", "epoch") and value not in ("", None):
                        scalars.setdefault(tag, []).append((int(row["step"]), float(value)))
    for events in sorted((ckpt.parent.parent / "tensorboard").glob("events.out.tfevents.*")):
        acc = EventAccumulator(str(events), size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            scalars.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
    return scalars


def write_figures(
    out: Path,
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    test: EvalSet,
    scores: np.ndarray,
    threshold: float,
    ckpt: Path,
    net: nn.Module,
    projector: int,
) -> dict[str, str]:
    """ROC/DET, score histogram, worst mistakes, training curves; returns {name: png file name}. With
    ``projector`` > 0, that many test images go to TensorBoard's projector, their crops as the sprite."""
    from torch.utils.tensorboard import SummaryWriter

    same = test.pairs[:, 2]
    figures = {
        "roc_det": roc_det_figure(curves),
        "scores": histogram_figure(scores, same, threshold),
        "mistakes": mistakes_figure(test.images, test.pairs, scores, threshold, test.files),
    }
    training = training_curves_figure(_training_scalars(ckpt))
    if training is None:
        log.info("no TensorBoard logs beside %s: no training curves in the report", ckpt)
    else:
        figures["training"] = training
    written = {}
    with SummaryWriter(str(out / "tensorboard")) as writer:
        for name, fig in figures.items():
            writer.add_figure(f"evaluation/{name}", fig, close=False)
            written[name] = save(fig, out / f"{name}.png").name
        if projector > 0:
            n = min(projector, len(test.images))
            emb = embed_images(net, test.images[:n])
            writer.add_embedding(emb, metadata=test.names[:n], label_img=test.images[:n].float() / 255, tag="faces")
    return written
