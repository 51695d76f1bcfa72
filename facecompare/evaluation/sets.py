"""Evaluation sets: images (each once) and the pairs over them, from LFW pairs files or a folder of people."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from facecompare.data.faceset import FaceSet
from facecompare.data.pairs import draw_balanced_pairs
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.folder import scan_people
from facecompare.data.sources.lfw_protocol import Pair, image_path, read_pairs
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass
class EvalSet:
    """``pairs`` (M, 3) [i, j, same] index ``images`` (N, C, H, W) uint8; ``names[i]`` is image i's person;
    ``folds`` (M,) the protocol fold of each pair; ``without_face`` pairs were dropped: an image gave no crop."""

    images: torch.Tensor
    names: list[str]
    pairs: np.ndarray
    folds: np.ndarray
    without_face: int
    source: str


def from_protocol_pairs(
    protocol: list[Pair],
    resolve: Callable[[str, int], Path],
    pre: Preprocessor,
    size: int,
    channels: int,
    source: str,
) -> EvalSet:
    """``resolve(name, number)`` gives the image file a pairs-file entry means."""
    located = [(p, resolve(p.name_a, p.num_a), resolve(p.name_b, p.num_b)) for p in protocol]
    person = {a: p.name_a for p, a, _ in located} | {b: p.name_b for p, _, b in located}
    absent = sorted(f for f in person if not f.is_file())
    if absent:
        raise ConfigError(f"{source}: {len(absent)} image(s) named by the pairs file do not exist, e.g. {absent[0]}")
    records = pre.run(sorted(person.items()), size)
    crops = {r.path: r.crop for r in records if r.used}
    index = {f: i for i, f in enumerate(crops)}
    rows, folds = [], []
    for p, a, b in located:
        if a in index and b in index:
            rows.append((index[a], index[b], int(p.same)))
            folds.append(p.fold)
    if not rows:
        raise ConfigError(f"{source}: no pair has a face in both images; the evaluation set is empty")
    images = FaceSet.from_hwc(np.stack(list(crops.values())), np.zeros(len(crops), np.int64), ["?"], channels)
    names = [person[f] for f in crops]
    pairs = np.asarray(rows, np.int64)
    return EvalSet(images.images, names, pairs, np.asarray(folds), len(protocol) - len(rows), source)


def lfw_pairs_file(path: Path, images_dir: Path, pre: Preprocessor, size: int, channels: int) -> EvalSet:
    return from_protocol_pairs(
        read_pairs(path), lambda name, num: image_path(images_dir, name, num), pre, size, channels, str(path)
    )


def folder_pairs_file(path: Path, root: Path, pre: Preprocessor, size: int, channels: int) -> EvalSet:
    listing = _listing(root)

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


def write_pairs_file(path: Path, pairs: list[Pair]) -> None:
    """LFW View 1 format: ``N``, then N matched ``name n1 n2`` and N mismatched ``name1 n1 name2 n2`` lines."""
    matched = [p for p in pairs if p.same]
    mismatched = [p for p in pairs if not p.same]
    if len(matched) != len(mismatched):
        raise ValueError("an LFW pairs file needs as many matched as mismatched pairs")
    lines = [str(len(matched))]
    lines += [f"{p.name_a}\t{p.num_a}\t{p.num_b}" for p in matched]
    lines += [f"{p.name_a}\t{p.num_a}\t{p.name_b}\t{p.num_b}" for p in mismatched]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def folder_pairs(root: Path, num_pairs: int, seed: int, out: Path) -> list[Pair]:
    """Identity-balanced genuine/impostor pairs over a folder of people, saved as an LFW pairs file. Image
    numbers are 1-based positions in each person's sorted file list, so the file stays readable only for
    an unchanged folder (evaluation checks that every named image still exists)."""
    files = _listing(root)
    people = sorted(files)
    flat = [(p, k) for p in people for k in range(len(files[p]))]
    labels = np.array([people.index(p) for p, _ in flat])
    rows = draw_balanced_pairs(labels, num_pairs - num_pairs % 2, np.random.default_rng(seed))
    pairs = [Pair(flat[i][0], flat[i][1] + 1, flat[j][0], flat[j][1] + 1, bool(same)) for i, j, same in rows.tolist()]
    write_pairs_file(out, pairs)
    return pairs
