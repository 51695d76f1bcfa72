import numpy as np
import pytest
import torch

from facecompare.data.sources.pair_sets import EvalSet
from facecompare.evaluation.quality_eval import quality_report
from facecompare.evaluation.report import _quality_section
from facecompare.inference.branch_quality import BranchQuality
from facecompare.inference.quality import EmbeddingQuality


@pytest.mark.slow
def test_quality_report_scores_the_test_faces_and_writes_its_figures(tmp_path):
    # 4 images in 2-d: quality 1, 0.4, 0 (the average face) and 1; image 4 is in no pair
    model = EmbeddingQuality(np.array([1.0, 0.0]), 0.0, 1.0, np.array([0.0, 1.0]), 0.5, 0.3)
    emb = torch.tensor([[-1.0, 0.0], [0.6, -0.8], [0.0, 1.0], [-1.0, 0.0]])
    pairs = np.array([[0, 1, 1], [0, 2, 0], [1, 3, 1], [2, 3, 0]])
    images = torch.zeros(5, 3, 8, 8, dtype=torch.uint8)
    test = EvalSet(
        images, ["a", "a", "b", "a", "c"], pairs, np.zeros(4), 0, "pairs.csv", [f"{i}.jpg" for i in range(5)]
    )
    scores = np.array([0.9, 0.2, 0.4, 0.1])
    # the learned one (a trained quality branch): the embedding's first component, -1 -> 0 and 1 -> 1
    layers = ((np.array([[1.0, 0.0]]), np.array([1.0])), (np.array([[1.0]]), np.array([0.0])))
    branch = BranchQuality(layers, 0.0, 2.0)
    q = quality_report(model, test, emb, np.arange(4), scores, seed=0, out=tmp_path, branch=branch)
    assert q["images"] == 4 and q["below_bar"] == 1 and abs(q["mean"] - 0.6) < 1e-6
    assert set(q["error_versus_reject"]["fnmr"]["0.01"]) == {
        "quality",
        "legibility only",
        "distinctiveness only",
        "learned (quality branch)",
        "random",
    }
    assert sorted(q["figures"]) == ["error_versus_reject", "quality", "worst_quality"]
    assert all((tmp_path / f).is_file() for f in q["figures"].values())
    lines = _quality_section({**q, "fitted_on": "dev.txt"}, "m.quality.json")
    assert lines[1].startswith("Face quality (embedding, fitted on `dev.txt`): mean 0.600 over 4 test images, 1 below")
    assert "| 0.01 | quality | " in "\n".join(lines) and lines[-1].startswith("The quality model is written to")


def test_a_branch_that_scores_every_crop_alike_gives_no_learned_quality(caplog):
    from facecompare.evaluation.quality_eval import fit_branch
    from facecompare.models.quality_branch import QualityBranch

    branch = QualityBranch(embedding_dim=4, hidden=2)
    torch.nn.init.zeros_(branch.layers[2].weight)  # output: the last bias, whatever the crop
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(4)).eval()
    images = torch.randint(0, 256, (12, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    assert fit_branch(branch, net, images, "dev.txt", None, seed=0) is None
    assert "no learned quality from the quality branch on dev.txt: the quality branch scores degraded" in caplog.text
