"""Evaluation sets: images (each once) and the pairs over them, from LFW pairs files or a folder of people."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from facecompare.data.faceset import FaceSet
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.folder import scan_people
from facecompare.data.sources.lfw_protocol import Pair, image_path, read_pairs
from facecompare.errors import ConfigError
from facecompare.evaluation.kfold import fold_pairs
from facecompare.evaluation.pair_list import PathPair, read_pair_list, relative, write_pair_list

log = logging.getLogger(__name__)
NO_FOLD = -1  # a pair list without a fold column: folds are then dealt by person (evaluation/kfold.py)


@dataclass
class EvalSet:
    """``pairs`` (M, 3) [i, j, same] index ``images`` (N, C, H, W) uint8; ``names[i]`` is image i's person;
    ``folds`` (M,) the protocol fold of each pair; ``without_face`` pairs were dropped: an image gave no crop;
    ``files[i]`` is image i's file."""

    images: torch.Tensor
    names: list[str]
    pairs: np.ndarray
    folds: np.ndarray
    without_face: int
    source: str
    files: list[str]


def from_file_pairs(
    located: list[tuple[Path, Path, bool, int]],
    person: dict[Path, str],
    pre: Preprocessor,
    size: int,
    channels: int,
    source: str,
) -> EvalSet:
    """``located`` rows (file a, file b, same, fold); ``person[f]`` is the name of file f's person."""
    absent = sorted(f for f in person if not f.is_file())
    if absent:
        raise ConfigError(f"{source}: {len(absent)} image(s) named by the pairs file do not exist, e.g. {absent[0]}")
    records = pre.run(sorted(person.items()), size)
    crops = {r.path: r.crop for r in records if r.used}
    index = {f: i for i, f in enumerate(crops)}
    rows, folds = [], []
    for a, b, same, fold in located:
        if a in index and b in index:
            rows.append((index[a], index[b], int(same)))
            folds.append(fold)
    if not rows:
        raise ConfigError(f"{source}: no pair has a face in both images; the evaluation set is empty")
    images = FaceSet.from_hwc(np.stack(list(crops.values())), np.zeros(len(crops), np.int64), ["?"], channels)
    names = [person[f] for f in crops]
    pairs = np.asarray(rows, np.int64)
    files = [str(f) for f in crops]
    return EvalSet(images.images, names, pairs, np.asarray(folds), len(located) - len(rows), source, files)


def from_protocol_pairs(
    protocol: list[Pair],
    resolve: Callable[[str, int], Path],
    pre: Preprocessor,
    size: int,
    channels: int,
    source: str,
) -> EvalSet:
    """``resolve(name, number)`` gives the image file a pairs-file entry means."""
    located, person = [], {}
    for p in protocol:
        a, b = resolve(p.name_a, p.num_a), resolve(p.name_b, p.num_b)
        located.append((a, b, p.same, p.fold))
        person[a], person[b] = p.name_a, p.name_b
    return from_file_pairs(located, person, pre, size, channels, source)


def lfw_pairs_file(path: Path, images_dir: Path, pre: Preprocessor, size: int, channels: int) -> EvalSet:
    return from_protocol_pairs(
        read_pairs(path), lambda name, num: image_path(images_dir, name, num), pre, size, channels, str(path)
    )


def folder_pairs_file(path: Path, root: Path, pre: Preprocessor, size: int, channels: int) -> EvalSet:
    """A ``.csv`` pair list (paths, see pair_list.py), or an LFW-format file whose numbers are 1-based
    positions in each person's sorted file list (files written before pair lists existed, or by hand)."""
    if path.suffix.lower() == ".csv":
        pairs = read_pair_list(path)
        located = [(root / p.file_a, root / p.file_b, p.same, NO_FOLD if p.fold is None else p.fold) for p in pairs]
        person = {root / p.file_a: p.people[0] for p in pairs} | {root / p.file_b: p.people[1] for p in pairs}
        return from_file_pairs(located, person, pre, size, channels, str(path))
    listing = _listing(root)
    log.warning(
        "%s: LFW-format numbers are positions in each person's sorted file list; if files were added or removed "
        "since it was written, they name other photos (a .csv pair list names files by path)",
        path,
    )

    def resolve(name: str, num: int) -> Path:
        files = listing.get(name, [])
        if not 1 <= num <= len(files):
            raise ConfigError(f"{path}: {name!r} has {len(files)} images under {root}; the file asks for number {num}")
        return files[num - 1]

    return from_protocol_pairs(read_pairs(path), resolve, pre, size, channels, str(path))


def _listing(root: Path) -> dict[str, list[Path]]:
    items, _ = scan_people(root)
    listing: dict[str, list[Path]] = {}
    for f, person in items:
        listing.setdefault(person, []).append(f)
    return {p: sorted(fs) for p, fs in listing.items()}


def folder_pairs(root: Path, num_pairs: int, seed: int, out: Path, folds: int = 10) -> list[PathPair]:
    """Identity-balanced genuine/impostor pairs over a folder of people, drawn within ``folds`` folds of
    people (each pair's two people in one fold, for k-fold calibration; 0 or 1: one fold) and saved as a pair
    list (``out``, a ``.csv`` naming files by path, with each pair's fold) so that evaluating them again needs
    only ``pairs_file=out``."""
    files = _listing(root)
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
