import numpy as np
import torch

from facecompare.evaluation.plots import (
    _roc,
    histogram_figure,
    mistakes_figure,
    roc_det_figure,
    save,
    training_curves_figure,
)

SCORES = np.array([0.9, 0.8, 0.7, 0.1])
SAME = np.array([1, 0, 1, 0])


def test_roc_by_hand() -> None:
    # descending scores: genuine, impostor, genuine, impostor
    fpr, tpr = _roc(SCORES, SAME)
    assert fpr.tolist() == [0, 0, 0.5, 0.5, 1] and tpr.tolist() == [0, 0.5, 0.5, 1, 1]


def test_roc_det_figure_draws_one_curve_per_score_set(tmp_path) -> None:
    fig = roc_det_figure({"model": (SCORES, SAME), "baseline": (SCORES[::-1], SAME)})
    roc, det = fig.axes
    assert [line.get_label() for line in roc.lines] == ["model", "baseline"] and len(det.lines) == 2
    assert roc.lines[0].get_ydata().tolist() == [0, 0.5, 0.5, 1, 1]
    path = save(fig, tmp_path / "roc.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_histogram_counts_genuine_and_impostor_pairs_and_marks_the_threshold() -> None:
    fig = histogram_figure(SCORES, SAME, threshold=0.75)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert sorted(labels) == ["genuine (2)", "impostor (2)", "threshold 0.750"]


def test_mistakes_are_the_worst_false_accepts_then_false_rejects() -> None:
    images = torch.zeros(4, 1, 8, 8)
    #                 genuine 0.2 (FR), impostor 0.95 (FA), impostor 0.6 (FA), genuine 0.9 (right)
    pairs = np.array([[0, 1, 1], [0, 2, 0], [1, 3, 0], [2, 3, 1]])
    scores = np.array([0.2, 0.95, 0.6, 0.9])
    fig = mistakes_figure(images, pairs, scores, threshold=0.5)
    titles = [ax.get_title(loc="left") for ax in fig.axes[::2]]
    assert titles == ["false accept 0.950", "false accept 0.600", "false reject 0.200"]


def test_training_curves_plot_the_tags_there_are() -> None:
    assert training_curves_figure({}) is None
    fig = training_curves_figure({"train/loss": [(0, 1.0), (10, 0.5)], "val/auc": [(10, 0.8)]})
    assert [ax.get_title() for ax in fig.axes] == ["train/loss", "val/auc"]
