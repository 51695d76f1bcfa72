"""Fixed evaluation pairs without repeats: each pair counts once in the metrics and the threshold."""

from __future__ import annotations

import numpy as np

from facecompare.data.pairs import draw_balanced_pairs

# Draw rounds before falling back to listing every pair of the kind; enough when pairs are plentiful.
ROUNDS = 20


def _key(pairs: np.ndarray) -> np.ndarray:
    a, b = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    return a * (int(pairs[:, :2].max(initial=0)) + 1) + b


def _all_pairs(labels: np.ndarray, same: bool) -> np.ndarray:
    """Every pair of the kind. Only reached when few exist (the draws kept repeating), so the lists are short:
    genuine pairs are listed person by person, impostor pairs over all images (few images, then)."""
    if same:
        rows = []
        for who in np.unique(labels):
            members = np.flatnonzero(labels == who)
            i, j = np.triu_indices(len(members), k=1)
            rows.append(np.stack([members[i], members[j]], 1))
        both = np.concatenate(rows) if rows else np.zeros((0, 2), np.int64)
    else:
        i, j = np.triu_indices(len(labels), k=1)
        keep = labels[i] != labels[j]
        both = np.stack([i[keep], j[keep]], 1)
    return np.concatenate([both, np.full((len(both), 1), int(same))], 1).astype(np.int64)


def _distinct(labels: np.ndarray, wanted: int, same: bool, rng: np.random.Generator) -> np.ndarray:
    """``wanted`` distinct pairs of one kind, drawn as draw_balanced_pairs draws them (identities uniformly)."""
    kept = np.zeros((0, 3), np.int64)
    for _ in range(ROUNDS):
        drawn = draw_balanced_pairs(labels, 4 * wanted + 2, rng)
        kept = np.concatenate([kept, drawn[drawn[:, 2] == int(same)]])
        _, first = np.unique(_key(kept), return_index=True)
        kept = kept[np.sort(first)]  # the order drawn, repeats dropped
        if len(kept) >= wanted:
            return kept[:wanted]
    # few pairs of this kind exist and uniform draws keep finding the same ones: take them from the full list
    every = _all_pairs(labels, same)
    return every[rng.choice(len(every), wanted, replace=False)]


def draw_distinct_pairs(labels: np.ndarray, num_pairs: int, rng: np.random.Generator) -> np.ndarray:
    """Like ``draw_balanced_pairs`` (rows [i, j, same], half genuine, shuffled), but no pair twice, in either
    order. Drawn with replacement, 60 people of 2 or 4 photos gave 500 genuine pairs of which 161 were distinct:
    the repeats weighed in the metrics and made bootstrap intervals too narrow. Where fewer distinct pairs of
    a kind exist than half of ``num_pairs``, every one of them is used and as many of the other kind: fewer
    pairs, still balanced (the caller says so)."""
    labels = np.asarray(labels)
    draw_balanced_pairs(labels, num_pairs, np.random.default_rng(0))  # the same errors for impossible draws
    _, counts = np.unique(labels, return_counts=True)
    genuine = int((counts * (counts - 1) // 2).sum())
    impostor = len(labels) * (len(labels) - 1) // 2 - genuine
    num_pos = min(num_pairs // 2, genuine, impostor)
    # an odd count gets one more impostor pair, as draw_balanced_pairs does; a capped one stays balanced
    num_neg = min(num_pairs - num_pos if num_pos == num_pairs // 2 else num_pos, impostor)
    pos, neg = _distinct(labels, num_pos, True, rng), _distinct(labels, num_neg, False, rng)
    pairs = np.concatenate([pos, neg])
    return pairs[rng.permutation(len(pairs))]


def draw_fold_pairs(
    labels: np.ndarray, fold_of_label: np.ndarray, num_pairs: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``draw_distinct_pairs`` within each fold's people (``fold_of_label[label]``), about ``num_pairs / k``
    per fold: rows [i, j, same] into ``labels`` and each row's fold. No pair crosses folds, so a threshold
    chosen on the other folds never saw a person of the fold it is scored on."""
    labels, fold_of_label = np.asarray(labels), np.asarray(fold_of_label)
    folds = np.unique(fold_of_label[labels])
    rows, fold_ids = [], []
    for n, fold in enumerate(folds):
        members = np.flatnonzero(fold_of_label[labels] == fold)
        # whole genuine + impostor couples per fold, so that all folds together stay balanced
        half, k = num_pairs // 2, len(folds)
        wanted = 2 * (half // k + int(n < half % k)) + int(n == k - 1 and num_pairs % 2 == 1)
        drawn = draw_distinct_pairs(labels[members], wanted, rng)
        rows.append(np.concatenate([members[drawn[:, :2]], drawn[:, 2:]], axis=1))
        fold_ids.append(np.full(len(drawn), fold, np.int64))
    return np.concatenate(rows), np.concatenate(fold_ids)
