import numpy as np
import torch

from facecompare.evaluation.figures import (
    _roc,
    histogram_figure,
    mistakes_figure,
    roc_det_figure,
    save,
    short_name,
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
    files = ["/data/lfw/images/Tony_Blair/Tony_Blair_0008.jpg", "/people/ann/IMG_2041.jpg",
             "/people/Condoleezza Rice/holiday photos from the summer of 2019 - 4.jpeg", "b.png"]  # fmt: skip
    fig = mistakes_figure(images, pairs, scores, threshold=0.5, files=files)
    titles = [ax.get_title(loc="left") for ax in fig.axes[::2]]
    assert titles == ["false accept 0.950", "false accept 0.600", "false reject 0.200"]
    # each image says which file it is: the rows are pairs (0, 2), (1, 3), (0, 1)
    names = [[t.get_text() for t in ax.texts] for ax in fig.axes[:6]]
    long = "Condoleezza Ric…of 2019 - 4.jpeg"  # 32 characters: the start and the end
    assert names == [["Tony_Blair_0008.jpg"], [long], ["ann/IMG_2041.jpg"], ["b.png"],
                     ["Tony_Blair_0008.jpg"], ["ann/IMG_2041.jpg"]]  # fmt: skip


def test_short_names_keep_the_person_and_the_end_of_the_file_name() -> None:
    assert short_name("lfw/Tony_Blair/Tony_Blair_0008.jpg") == "Tony_Blair_0008.jpg"  # the folder is repeated
    assert short_name("people/ann/IMG_2041.jpg") == "ann/IMG_2041.jpg"
    assert short_name("x" * 40 + "_0001.jpg", width=20) == "x" * 9 + "…" + "x_0001.jpg"
    assert len(short_name("a/" + "b" * 100, width=32)) == 32


def test_training_curves_plot_the_tags_there_are() -> None:
    assert training_curves_figure({}) is None
    fig = training_curves_figure({"train/loss": [(0, 1.0), (10, 0.5)], "val/auc": [(10, 0.8)]})
    assert [ax.get_title() for ax in fig.axes] == ["train/loss", "val/auc"]
