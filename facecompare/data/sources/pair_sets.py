"""Pairs to evaluate on: the images (each once) and the pairs over them, from LFW's pairs files or a folder of
people's pair list. Sources give theirs (``FaceSource.eval_sets``); evaluation scores them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from facecompare.data.faceset import FaceSet
from facecompare.data.pair_list import read_pair_list
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.folder_scan import person_listing
from facecompare.data.sources.lfw_protocol import Pair, image_path, read_pairs
from facecompare.errors import ConfigError

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
    listing = person_listing(root)
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
