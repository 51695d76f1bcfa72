"""Identity-disjoint LFW train/val/test plans from the protocol files; images are only checked for existence.

View 1: test = pairsDevTest.txt, train = peopleDevTrain.txt, val = a seeded balanced subset of pairsDevTrain.txt
whose people leave training. View 2: test and val are two folds of pairs.txt, train = people.txt of the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from facecompare.data.sources.lfw_download import ensure_lfw
from facecompare.data.sources.lfw_layout import LFWLayout
from facecompare.data.sources.lfw_protocol import Pair, Person, image_path, read_pairs, read_people
from facecompare.data.sources.lfw_select import select_val
from facecompare.errors import ConfigError


@dataclass
class LFWPlan:
    """What to load. ``train`` maps each training person to the image files the people file lists.

    Nothing is dropped for being absent on disk: ``missing`` holds the val/test pairs with an absent image (they
    are still in ``val``/``test``) and ``missing_train`` the absent training files, so the caller decides.
    ``excluded`` counts what identity-disjointness removed, by reason.
    """

    images: Path
    train: dict[str, list[Path]]
    val: list[Pair]
    test: list[Pair]
    missing: list[Pair] = field(default_factory=list)
    missing_train: list[Path] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)

    def summary(self, show: int = 3) -> str:
        """One line for the log: sizes, exclusions and the first few absent files."""
        images = sum(len(v) for v in self.train.values())
        line = f"train {len(self.train)} people / {images} images, val {len(self.val)} pairs, test {len(self.test)}"
        if any(self.excluded.values()):
            line += "; excluded " + ", ".join(f"{k} {v}" for k, v in self.excluded.items() if v)
        if self.missing:
            absent = [str(f) for p in self.missing[:show] for f in p.paths(self.images) if not f.is_file()]
            line += f"; {len(self.missing)} val/test pairs with missing images, e.g. {', '.join(absent)}"
        if self.missing_train:
            absent = [str(f) for f in self.missing_train[:show]]
            line += f"; {len(self.missing_train)} missing train images, e.g. {', '.join(absent)}"
        return line


def _people_of(pairs: list[Pair]) -> set[str]:
    return set().union(*(p.names for p in pairs))


def _finish(
    images: Path, train: dict[str, int], held: dict[str, set[str]], val: list[Pair], test: list[Pair]
) -> LFWPlan:
    """Remove every held-out identity from ``train`` (counting people and images per reason), then check disk."""
    excluded: dict[str, int] = {}
    for reason, names in held.items():
        gone = sorted(names & train.keys())
        excluded[f"train_people_{reason}"] = len(gone)
        excluded[f"train_images_{reason}"] = sum(train.pop(name) for name in gone)
    if not train:
        raise ConfigError(f"LFW plan leaves no training people (excluded: {excluded})")
    paths = {name: [image_path(images, name, i) for i in range(1, n + 1)] for name, n in sorted(train.items())}
    missing_train = [p for files in paths.values() for p in files if not p.is_file()]
    missing = [p for p in val + test if not all(f.is_file() for f in p.paths(images))]
    return LFWPlan(images, paths, val, test, missing, missing_train, excluded)


def _counts(people: list[Person]) -> dict[str, int]:
    # a name listed twice keeps its larger count, so no listed image is lost
    out: dict[str, int] = {}
    for p in people:
        out[p.name] = max(out.get(p.name, 0), p.num_images)
    return out


def plan_view1(layout: LFWLayout | str | Path, val_pairs: int, seed: int) -> LFWPlan:
    """View 1 with ``val_pairs`` validation pairs chosen by ``seed`` from pairsDevTrain.txt (see select_val).

    ``layout`` may be an LFW root folder instead; it must then hold a complete copy (see ensure_lfw).
    """
    if not isinstance(layout, LFWLayout):
        layout = ensure_lfw(layout, download=False, view="view1")
    test = read_pairs(layout.file("pairsDevTest.txt"))
    candidates = read_pairs(layout.file("pairsDevTrain.txt"))
    train = _counts(read_people(layout.file("peopleDevTrain.txt")))
    test_listed = {p.name for p in read_people(layout.file("peopleDevTest.txt"))}
    test_people = _people_of(test)
    # disjoint in the official files; checked so that an edited copy cannot leak test people into validation
    clean = [p for p in candidates if not p.names & (test_people | test_listed)]
    val = select_val(clean, val_pairs, seed, train)
    held = {"in_test_pairs": test_people, "in_dev_test_people": test_listed, "in_val_pairs": _people_of(val)}
    plan = _finish(layout.images, train, held, val, test)
    plan.excluded["val_candidates_with_test_people"] = len(candidates) - len(clean)
    return plan


def plan_view2(layout: LFWLayout | str | Path, test_fold: int, val_fold: int | None = None) -> LFWPlan:
    """View 2: fold ``test_fold`` of pairs.txt is test, ``val_fold`` (default the next fold) validation."""
    if not isinstance(layout, LFWLayout):
        layout = ensure_lfw(layout, download=False, view="view2")
    pairs = read_pairs(layout.file("pairs.txt"))
    people = read_people(layout.file("people.txt"))
    folds = max(p.fold for p in pairs) + 1
    people_folds = max(p.fold for p in people) + 1
    if people_folds != folds:
        raise ConfigError(
            f"{layout.file('pairs.txt')} has {folds} folds but {layout.file('people.txt')} has {people_folds}"
        )
    val_fold = (test_fold + 1) % folds if val_fold is None else val_fold
    for key, value in (("test_fold", test_fold), ("val_fold", val_fold)):
        if not 0 <= value < folds:
            raise ConfigError(f"data.source.{key} must be in 0..{folds - 1} (pairs.txt has {folds} folds), got {value}")
    if val_fold == test_fold:
        raise ConfigError(f"data.source.val_fold must differ from test_fold, both are {test_fold}")
    test = [p for p in pairs if p.fold == test_fold]
    val = [p for p in pairs if p.fold == val_fold]
    train = _counts([p for p in people if p.fold not in (test_fold, val_fold)])
    held_listed = {p.name for p in people if p.fold in (test_fold, val_fold)}
    held = {"in_test_pairs": _people_of(test), "in_val_pairs": _people_of(val), "in_held_out_folds": held_listed}
    return _finish(layout.images, train, held, val, test)
