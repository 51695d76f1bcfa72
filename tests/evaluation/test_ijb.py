from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facecompare.data.alignment import template
from facecompare.evaluation.ijb import IJBError, ijb_scores, template_features

# five templates: image name, template, medium; template 1 has two media (the second with two frames)
MEDIA = [("1.jpg", 1, 10), ("2.jpg", 1, 11), ("3.jpg", 1, 11), ("4.jpg", 2, 20), ("5.jpg", 3, 30), ("6.jpg", 4, 40)]
COLOURS = {"1.jpg": (200, 0, 0), "2.jpg": (200, 0, 0), "3.jpg": (0, 200, 0), "4.jpg": (200, 0, 0),
           "5.jpg": (0, 0, 200), "6.jpg": (0, 200, 0)}  # fmt: skip
PAIRS = [(1, 2, 1), (1, 3, 0), (3, 4, 0), (2, 4, 0)]


def write_layout(root: Path, missing: str | None = None) -> Path:
    (root / "meta").mkdir(parents=True)
    (root / "loose_crop").mkdir()
    marks = template(112) + 20  # landmarks of a face in a 152 px photo
    for name, colour in COLOURS.items():
        if name != missing:
            Image.fromarray(np.full((152, 152, 3), colour, np.uint8)).save(root / "loose_crop" / name)
    (root / "meta" / "ijbc_face_tid_mid.txt").write_text("".join(f"{n} {t} {m}\n" for n, t, m in MEDIA))
    points = " ".join(f"{v:.2f}" for v in marks.ravel())
    (root / "meta" / "ijbc_name_5pts_score.txt").write_text("".join(f"{n} {points} 0.9\n" for n, *_ in MEDIA))
    (root / "meta" / "ijbc_template_pair_label.txt").write_text("".join(f"{a} {b} {s}\n" for a, b, s in PAIRS))
    return root


def test_media_are_averaged_then_summed_per_template():
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 3.0], [5.0, 0.0]])
    templates, media = np.array([1, 1, 1, 2]), np.array([10, 11, 11, 20])
    ids, features = template_features(emb, templates, media)
    # template 1: (1, 0) + mean((0, 1), (0, 3)) = (1, 2), normalised
    assert ids.tolist() == [1, 2] and features[0] == pytest.approx(np.array([1.0, 2.0]) / np.sqrt(5))
    assert features[1] == pytest.approx([1.0, 0.0])


def test_template_pairs_are_scored_from_aligned_crops(tmp_path):
    root = write_layout(tmp_path / "IJBC")
    seen = []

    def embed(crops: np.ndarray) -> np.ndarray:  # the crop's mean colour: the "identity"
        seen.append(crops.shape)
        return crops.reshape(len(crops), -1, 3).mean(1) / 200

    scores, same = ijb_scores(embed, root, "IJBC", 32)
    assert seen == [(6, 32, 32, 3)] and same.tolist() == [1, 0, 0, 0]
    # template 1 = red + mean(red, green) = (1.5, 0.5, 0); template 2 = red; 3 = blue; 4 = green
    t1 = np.array([1.5, 0.5, 0.0]) / np.sqrt(2.5)
    assert scores == pytest.approx([t1[0], 0.0, 0.0, 0.0], abs=0.01)  # JPEG bleeds a little colour


def test_missing_media_and_unknown_templates_are_named(tmp_path):
    root = write_layout(tmp_path / "IJBC", missing="5.jpg")
    with pytest.raises(IJBError, match=r"ijbc_face_tid_mid\.txt:5: .*loose_crop/5\.jpg is missing"):
        ijb_scores(lambda c: c.reshape(len(c), -1).astype(float), root, "IJBC", 32)
    with pytest.raises(IJBError, match=r"meta/ijbb_face_tid_mid\.txt: missing"):
        ijb_scores(lambda c: c, root, "IJBB", 32)
