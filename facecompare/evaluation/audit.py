"""Data audit with a trained model: images that look like someone other than their folder says, and
near-duplicate images filed under different people. Works on embeddings and crops only; knows no files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

Scorer = Callable[[Tensor, Tensor], Tensor]


def _scores_to(scorer: Scorer, emb: Tensor, i: int, others: np.ndarray) -> Tensor:
    return scorer(emb[i].expand(len(others), -1), emb[torch.from_numpy(others)])


def _centroids(emb: Tensor, labels: np.ndarray) -> tuple[Tensor, np.ndarray]:
    people = np.unique(labels)
    index = torch.from_numpy(np.searchsorted(people, labels))
    sums = torch.zeros(len(people), emb.shape[1]).index_add_(0, index, emb)
    return F.normalize(sums, dim=1), people


@torch.no_grad()
def label_suspects(
    emb: Tensor, labels: np.ndarray, scorer: Scorer, threshold: float, candidates: int = 3
) -> list[dict[str, Any]]:
    """For every image of a person with 2+ images: ``own`` = median model score against the person's other
    images (the median, so a few wrong images in a folder do not hide each other); among the ``candidates``
    other people whose mean embedding is closest, the one with the highest median score (``nearest``,
    ``other``). Returns the images with ``own`` below ``threshold``, most suspicious (``other - own``) first;
    ``flagged`` when the model would accept the image as that other person and prefers them to its own."""
    labels = np.asarray(labels)
    centroids, people = _centroids(emb, labels)
    members = {p: np.flatnonzero(labels == p) for p in people}
    similarity = emb @ centroids.T  # (N, people): cosine to each person's mean face
    similarity[torch.arange(len(labels)), torch.from_numpy(np.searchsorted(people, labels))] = -np.inf
    closest = similarity.topk(min(candidates, len(people) - 1), dim=1).indices.numpy()
    out = []
    for i, p in enumerate(labels):
        mates = members[p][members[p] != i]
        if len(mates) == 0 or closest.shape[1] == 0:
            continue
        own = float(_scores_to(scorer, emb, i, mates).median())
        if own >= threshold:
            continue
        others = {int(people[c]): float(_scores_to(scorer, emb, i, members[people[c]]).median()) for c in closest[i]}
        nearest = max(others, key=others.get)
        other = others[nearest]
        flagged = other >= threshold and other > own
        out.append({"index": i, "own": own, "nearest": nearest, "other": other, "flagged": flagged})
    return sorted(out, key=lambda r: r["own"] - r["other"])


def _pixel_vectors(crops: Tensor, size: int = 32) -> Tensor:
    """Grey, small, zero-mean and unit-norm: the dot product of two is their pixel correlation, which
    ignores re-encoding, resizing and brightness changes but not a different photo."""
    grey = crops.float().mean(1, keepdim=True)
    small = F.interpolate(grey, size=(size, size), mode="area").flatten(1)
    return F.normalize(small - small.mean(1, keepdim=True), dim=1)


@torch.no_grad()
def cross_person_duplicates(
    emb: Tensor,
    crops: Tensor,
    labels: np.ndarray,
    scorer: Scorer,
    min_pixel_similarity: float = 0.95,
    neighbours: int = 5,
    chunk: int = 2048,
) -> list[dict[str, Any]]:
    """Pairs (i, j), i < j, of images under different people whose aligned crops are nearly the same picture.
    Candidates are each image's ``neighbours`` nearest other-person images by embedding (a duplicate has a
    near-identical embedding under any model), confirmed by pixel correlation. Most similar first."""
    labels_t = torch.as_tensor(np.asarray(labels))
    pixels = _pixel_vectors(crops)
    k = min(neighbours, len(labels) - 1)
    candidates = set()
    for start in range(0, len(emb), chunk):
        sim = emb[start : start + chunk] @ emb.T
        sim[labels_t[start : start + chunk, None] == labels_t[None, :]] = -np.inf  # same person, self included
        top = sim.topk(k, dim=1)
        for r, (values, cols) in enumerate(zip(top.values, top.indices, strict=True)):
            i = start + r
            candidates.update((min(i, int(j)), max(i, int(j))) for v, j in zip(values, cols, strict=True) if v > -1.1)
    if not candidates:
        return []
    pairs = torch.tensor(sorted(candidates))
    pixel = (pixels[pairs[:, 0]] * pixels[pairs[:, 1]]).sum(1)
    keep = pairs[pixel >= min_pixel_similarity]
    model = scorer(emb[keep[:, 0]], emb[keep[:, 1]]) if len(keep) else torch.zeros(0)
    rows = [
        {"a": int(a), "b": int(b), "pixel_similarity": float(s), "score": float(m)}
        for (a, b), s, m in zip(keep.tolist(), pixel[pixel >= min_pixel_similarity], model, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["pixel_similarity"])
