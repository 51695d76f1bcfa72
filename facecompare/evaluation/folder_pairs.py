"""Drawing evaluation pairs over a folder of people, in folds of people for k-fold calibration, saved as a pair
list that ``pairs_file=`` repeats."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from facecompare.data.pair_list import PathPair, relative, write_pair_list
from facecompare.data.sources.folder_scan import person_listing
from facecompare.evaluation.kfold import fold_pairs

log = logging.getLogger(__name__)


def folder_pairs(root: Path, num_pairs: int, seed: int, out: Path, folds: int = 10) -> list[PathPair]:
    """Identity-balanced genuine/impostor pairs over a folder of people, drawn within ``folds`` folds of
    people (each pair's two people in one fold, for k-fold calibration; 0 or 1: one fold) and saved as a pair
    list (``out``, a ``.csv`` naming files by path, with each pair's fold) so that evaluating them again needs
    only ``pairs_file=out``."""
    files = person_listing(root)
    people = sorted(files)
    flat = [relative(f, root) for p in people for f in files[p]]
    labels = np.array([k for k, p in enumerate(people) for _ in files[p]])
    asked = num_pairs - num_pairs % 2
    rows, pair_folds, folds = fold_pairs(people, labels, asked, folds, seed, str(root))
    pairs = [
        PathPair(flat[i], flat[j], bool(same), int(fold))
        for (i, j, same), fold in zip(rows.tolist(), pair_folds.tolist(), strict=True)
    ]
    write_pair_list(out, pairs)
    genuine = sum(p.same for p in pairs)
    drew = f"drew {len(pairs)} balanced pairs ({genuine} genuine, {len(pairs) - genuine} impostor) over {root}"
    if folds > 1:
        drew += f" in {folds} folds of people"
    saved = f"saved as {out} (pairs_file=... repeats them)"
    if len(pairs) < asked:
        log.warning("%s, not %d: no pair twice, and its people have no more genuine pairs; %s", drew, asked, saved)
    else:
        log.info("%s, %s", drew, saved)
    return pairs
