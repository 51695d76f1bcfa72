"""The audit's two lists on embeddings placed by hand: a mislabeled image and a cross-person duplicate."""

import numpy as np
import torch
import torch.nn.functional as F

from facecompare.evaluation.audit import cross_person_duplicates, label_suspects


def cosine_score(a, b):
    return (1 + F.cosine_similarity(a, b, dim=1)) / 2


def embeddings():
    """Three people along three axes, 3 images each, slightly spread; image 2 is filed under person 0 but
    sits on person 1's axis."""
    rng = np.random.default_rng(0)
    axes = np.eye(3)[[0, 0, 1, 1, 1, 1, 2, 2, 2]]
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    emb = torch.tensor(axes + 0.05 * rng.standard_normal(axes.shape), dtype=torch.float32)
    return F.normalize(emb, dim=1), labels


def test_mislabeled_image_is_flagged_with_who_it_looks_like():
    emb, labels = embeddings()
    suspects = label_suspects(emb, labels, cosine_score, threshold=0.8)
    first = suspects[0]
    assert first["index"] == 2 and first["flagged"] and first["nearest"] == 1
    # own score: median of its scores with images 0 and 1, about (1 + cos 90°) / 2 = 0.5; with person 1: ~1
    assert abs(first["own"] - 0.5) < 0.1 and first["other"] > 0.95
    # images 0 and 1 have one good mate and one wrong one: the median of two is their mean, ~0.75 < 0.8
    assert {s["index"] for s in suspects} == {0, 1, 2}
    assert not any(s["flagged"] for s in suspects if s["index"] != 2)  # they look like nobody else
    assert label_suspects(emb, labels, cosine_score, threshold=0.4) == []


def test_single_image_people_are_not_checked():
    emb, labels = embeddings()
    labels = labels.copy()
    labels[8] = 3  # alone
    assert 8 not in {s["index"] for s in label_suspects(emb, labels, cosine_score, threshold=0.99)}


def test_duplicates_across_people_only():
    emb, labels = embeddings()
    rng = np.random.default_rng(1)
    crops = torch.from_numpy(rng.integers(0, 256, (9, 3, 16, 16), dtype=np.uint8))
    crops[7] = (crops[4].int() * 9 // 10 + 10).to(torch.uint8)  # person 1's image re-saved darker under person 2
    emb = emb.clone()
    emb[7] = emb[4]
    crops[5] = crops[3]  # the same picture twice under one person is not a cross-person duplicate
    found = cross_person_duplicates(emb, crops, labels, cosine_score, min_pixel_similarity=0.95)
    assert [(d["a"], d["b"]) for d in found] == [(4, 7)]
    assert found[0]["pixel_similarity"] > 0.99 and abs(found[0]["score"] - 1.0) < 1e-5
