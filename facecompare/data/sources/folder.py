"""One sub-folder per person, the layout people build with a phone camera."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.data.aligned_copy import check_aligned_copy
from facecompare.data.detection.base import NoDetector
from facecompare.data.faceset import (
    EVALUATION_SPLITS,
    FaceSet,
    SplitFaces,
    check_evaluation_split,
    check_split_ratios,
    split_identities,
    split_sizes,
)
from facecompare.data.manifest import Record, summary, write_manifest
from facecompare.data.preprocess import Preprocessor
from facecompare.data.shared_content import leave_out_shared_content
from facecompare.data.sources.base import FaceSource
from facecompare.data.sources.folder_scan import scan_people
from facecompare.data.sources.pair_sets import EvalSet, folder_pairs_file
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)


def restrict_to_list(
    items: list[tuple[Path, str]], root: Path, file_list: Path
) -> tuple[list[tuple[Path, str]], list[Record]]:
    """Keep the files ``file_list`` names (paths relative to ``root``, one per line, ``#`` comments), e.g. the
    clean list of scripts/audit.py; every other file becomes an ``excluded`` manifest record, never a silent
    drop. A listed file that is not there is an error: the list belongs to another state of the folder."""
    if not file_list.is_file():
        raise ConfigError(f"data.source.file_list: {file_list} does not exist")
    lines = file_list.read_text(encoding="utf-8").splitlines()
    wanted = {ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")}
    present = {str(f.relative_to(root)): (f, person) for f, person in items}
    missing = sorted(wanted - present.keys())
    if missing:
        raise ConfigError(f"{file_list}: {len(missing)} listed file(s) are not under {root}, e.g. {missing[0]!r}")
    kept = [(f, person) for f, person in items if str(f.relative_to(root)) in wanted]
    excluded = [
        Record(f, person, "excluded", detail=f"not in {file_list.name}")
        for rel, (f, person) in sorted(present.items())
        if rel not in wanted
    ]
    return kept, excluded


class FolderSource(FaceSource):
    """``root/<person>/<image>``: any common image format, names with spaces or unicode.

    Faces are found and aligned by ``preprocess`` (cached on disk); every file's outcome goes to
    ``manifest_file``. Symlinks out of a person's folder are not followed (folder_links), and files with the
    same content under two people are left out (shared_content). Splits are identity-disjoint by ``split``
    ratios and ``seed``. ``file_list`` restricts the data to the files it names (e.g. the clean list of
    scripts/audit.py).
    """

    def __init__(
        self,
        root: str,
        split: Mapping[str, float] | None = None,
        seed: int = 0,
        preprocess: Preprocessor | None = None,
        manifest_file: str | None = None,
        file_list: str | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise ConfigError(f"data.root: {self.root} is not a folder (expected one sub-folder per person)")
        self.split = check_split_ratios(split or {"train": 0.8, "val": 0.2})
        self.seed = seed
        self.preprocess = preprocess or Preprocessor(NoDetector(), progress=False)
        self.manifest_file = Path(manifest_file) if manifest_file else None
        self.file_list = Path(file_list).expanduser() if file_list else None
        self.records: list[Record] = []
        # check_split's scan, handed to the build that follows it rather than walking the folder again
        self._scanned: tuple[list[tuple[Path, str]], list[Record]] | None = None

    def _candidates(self) -> tuple[list[tuple[Path, str]], list[Record]]:
        if self._scanned is not None:
            scanned, self._scanned = self._scanned, None
            return scanned
        items, notes = scan_people(self.root)
        if self.file_list is not None:
            items, excluded = restrict_to_list(items, self.root, self.file_list)
            notes += excluded
        return items, notes

    def check_split(self) -> None:
        # Detection can only take people away, and split sizes grow with the number of people, so a split
        # too small with every person that has files is too small after detection too.
        self._scanned = self._candidates()
        people = len({person for _, person in self._scanned[0]})
        if people < 2:  # build() says so, with what it found usable
            return
        for stage, size in split_sizes(people, self.split).items():
            if stage in EVALUATION_SPLITS and self.split[stage] > 0:
                check_evaluation_split(stage, size, people)

    draws_eval_pairs = True

    def eval_sets(self, image_size: int, channels: int, pairs_file: Path | None) -> tuple[EvalSet, EvalSet | None, str]:
        """The pairs of ``pairs_file`` over these people, with no separate calibration pairs: evaluation
        calibrates on them fold by fold."""
        if pairs_file is None:
            raise ConfigError(f"evaluating {self.root} needs a pairs file (pairs_file=...)")
        check_aligned_copy(self.root, self.preprocess, image_size)
        return folder_pairs_file(Path(pairs_file), self.root, self.preprocess, image_size, channels), None, "folder"

    def split_settings(self) -> dict[str, Any]:
        return {"ratios": self.split, "seed": self.seed}

    def build(self, image_size: int, channels: int) -> SplitFaces:
        check_aligned_copy(self.root, self.preprocess, image_size)
        items, notes = self._candidates()
        records = self.preprocess.run(items, image_size)
        leave_out_shared_content(records, self.root)
        self.records = records + notes
        line = summary(self.records)
        if self.manifest_file is not None:
            write_manifest(self.records, self.manifest_file, self.root)
            line += f" (every file listed in {self.manifest_file})"
        log.info("%s: %s", self.root, line)
        for r in self.records:
            if not r.used and r.status != "ok":
                log.debug("not used: %s: %s %s", r.path, r.status, r.detail)
        used = [r for r in records if r.used]
        names = sorted({r.person for r in used})
        if len(names) < 2:
            raise ConfigError(f"data.root: {self.root} has usable faces of {len(names)} people, need 2+ ({line})")
        index = {name: i for i, name in enumerate(names)}
        images = np.stack([r.crop for r in used])
        labels = np.array([index[r.person] for r in used])
        faces = FaceSet.from_hwc(images, labels, names, channels)
        ids = split_identities(faces.labels, self.split, self.seed)
        pick = {k: faces.select_identities(v) for k, v in ids.items() if len(v)}
        return SplitFaces(train=pick["train"], val=pick["val"], test=pick.get("test"))

    def describe(self) -> str:
        return f"image folders under {self.root}"
