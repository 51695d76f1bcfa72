import numpy as np
import torch

from facecompare.evaluation.quality_eval import quality_report
from facecompare.evaluation.report import _quality_section
from facecompare.evaluation.sets import EvalSet
from facecompare.inference.quality import EmbeddingQuality


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
    q = quality_report(model, test, emb, np.arange(4), scores, seed=0, out=tmp_path)
    assert q["images"] == 4 and q["below_bar"] == 1 and abs(q["mean"] - 0.6) < 1e-6
    assert set(q["error_versus_reject"]["fnmr"]["0.01"]) == {
        "quality",
        "legibility only",
        "distinctiveness only",
        "random",
    }
    assert sorted(q["figures"]) == ["error_versus_reject", "quality", "worst_quality"]
    assert all((tmp_path / f).is_file() for f in q["figures"].values())
    lines = _quality_section({**q, "fitted_on": "dev.txt"}, "m.quality.json")
    assert lines[1].startswith("Face quality (embedding, fitted on `dev.txt`): mean 0.600 over 4 test images, 1 below")
    assert "| 0.01 | quality | " in "\n".join(lines) and lines[-1].startswith("The quality model is written to")
