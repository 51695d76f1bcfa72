"""Labeled Faces in the Wild: training people from the people lists, val/test from the pairs files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.data.aligned_copy import check_aligned_copy
from facecompare.data.detection.base import NoDetector
from facecompare.data.faceset import FaceSet, SplitFaces
from facecompare.data.manifest import Record, summary, write_manifest
from facecompare.data.preprocess import Preprocessor
from facecompare.data.sources.base import FaceSource
from facecompare.data.sources.lfw_download import ensure_lfw
from facecompare.data.sources.lfw_layout import EVAL_FILES
from facecompare.data.sources.lfw_plan import plan_view1, plan_view2
from facecompare.data.sources.lfw_protocol import Pair
from facecompare.data.sources.pair_sets import EvalSet, lfw_pairs_file
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)


def _pair_set(pairs: list[Pair], images: Path, used: dict[Path, np.ndarray]) -> tuple[list[Path], np.ndarray, int]:
    """The unique usable images of ``pairs`` and (M, 3) [i, j, same] rows into them; pairs with an image
    that produced no face crop are counted, not kept."""
    files: list[Path] = []
    index: dict[Path, int] = {}
    rows, dropped = [], 0
    for pair in pairs:
        a, b = pair.paths(images)
        if a not in used or b not in used:
            dropped += 1
            continue
        for f in (a, b):
            if f not in index:
                index[f] = len(files)
                files.append(f)
        rows.append((index[a], index[b], int(pair.same)))
    return files, np.asarray(rows, np.int64).reshape(-1, 3), dropped


class LFWSource(FaceSource):
    """``view1``: train on peopleDevTrain (minus the people of the validation pairs), validate on a seeded
    balanced subset of ``val_pairs`` pairs of pairsDevTrain, test on all of pairsDevTest. ``view2``: test on
    fold ``test_fold`` of pairs.txt, validate on ``val_fold`` (default the next), train on the people of the
    other folds. Every person in a val/test pair is kept out of training.

    With ``download`` a missing tree or protocol file is fetched and its checksum verified; without, the
    error says what to fetch and where. Faces go through ``preprocess`` like any folder of photos.
    """

    def __init__(
        self,
        root: str,
        view: str = "view1",
        val_pairs: int = 600,
        test_fold: int = 0,
        val_fold: int | None = None,
        seed: int = 0,
        download: bool = False,
        preprocess: Preprocessor | None = None,
        manifest_file: str | None = None,
    ) -> None:
        if view not in ("view1", "view2"):
            raise ConfigError(f"data.source.view must be view1 or view2, got {view!r}")
        self.root, self.view, self.val_pairs, self.seed = Path(root).expanduser(), view, val_pairs, seed
        self.test_fold, self.val_fold, self.download = test_fold, val_fold, download
        self.preprocess = preprocess or Preprocessor(NoDetector(), progress=False)
        self.manifest_file = Path(manifest_file) if manifest_file else None
        self.records: list[Record] = []

    def build(self, image_size: int, channels: int) -> SplitFaces:
        layout = ensure_lfw(self.root, self.download, self.view)
        check_aligned_copy(self.root, self.preprocess, image_size)
        if self.view == "view1":
            plan = plan_view1(layout, self.val_pairs, self.seed)
        else:
            plan = plan_view2(layout, self.test_fold, self.val_fold)
        log.info("LFW %s: %s", self.view, plan.summary())
        items = [(f, name) for name, files in plan.train.items() for f in files]
        for pair in plan.val + plan.test:
            a, b = pair.paths(plan.images)
            items += [(a, pair.name_a), (b, pair.name_b)]
        items = list(dict.fromkeys(items))  # an image in several pairs is processed once
        self.records = self.preprocess.run(items, image_size)
        line = summary(self.records)
        if self.manifest_file is not None:
            write_manifest(self.records, self.manifest_file, plan.images)
            line += f" (every file listed in {self.manifest_file})"
        log.info("LFW: %s", line)
        used = {r.path: r.crop for r in self.records if r.used}
        people = {r.path: r.person for r in self.records}
        names = sorted({people[f] for f in used})
        label = {name: i for i, name in enumerate(names)}

        def faceset(files: list[Path]) -> FaceSet:
            if not files:
                raise ConfigError(f"LFW under {self.root}: no usable images for a split ({line})")
            labels = np.array([label[people[f]] for f in files])
            return FaceSet.from_hwc(np.stack([used[f] for f in files]), labels, names, channels)

        train_files = [f for f, _ in items if f in used and people[f] in plan.train]
        val_files, val_rows, val_dropped = _pair_set(plan.val, plan.images, used)
        test_files, test_rows, test_dropped = _pair_set(plan.test, plan.images, used)
        if val_dropped or test_dropped:
            log.warning(
                "LFW: %d of %d validation and %d of %d test pairs left out: an image gave no face crop "
                "(see the manifest; data.source.preprocess.no_face=center_crop keeps them)",
                val_dropped, len(plan.val), test_dropped, len(plan.test),
            )  # fmt: skip
        return SplitFaces(
            train=faceset(train_files),
            val=faceset(val_files),
            test=faceset(test_files),
            val_pairs=val_rows,
            test_pairs=test_rows,
        )

    def eval_sets(self, image_size: int, channels: int, pairs_file: Path | None) -> tuple[EvalSet, EvalSet | None, str]:
        """View 1: calibrated on pairsDevTrain, tested on pairsDevTest; View 2: the ten folds of pairs.txt,
        calibrated fold by fold."""
        check_aligned_copy(self.root, self.preprocess, image_size)
        layout = ensure_lfw(self.root, self.download, self.view, files=EVAL_FILES[self.view])
        pre = self.preprocess
        if self.view == "view1":
            calib = lfw_pairs_file(layout.file("pairsDevTrain.txt"), layout.images, pre, image_size, channels)
            test = lfw_pairs_file(layout.file("pairsDevTest.txt"), layout.images, pre, image_size, channels)
            return test, calib, "lfw-view1"
        return lfw_pairs_file(layout.file("pairs.txt"), layout.images, pre, image_size, channels), None, "lfw-view2"

    def split_settings(self) -> dict[str, Any]:
        # the protocol files fix the splits; view1 draws its validation pairs with the seed, view2 uses none
        if self.view == "view1":
            return {"view": "view1", "val_pairs": self.val_pairs, "seed": self.seed}
        return {"view": "view2", "test_fold": self.test_fold, "val_fold": self.val_fold}

    def describe(self) -> str:
        return f"LFW {self.view} under {self.root}"
