"""Where a copy of LFW keeps its image tree and its protocol files: the layouts people actually have."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from facecompare.errors import ConfigError

VIEW_FILES: dict[str, tuple[str, ...]] = {
    "view1": ("pairsDevTrain.txt", "pairsDevTest.txt", "peopleDevTrain.txt", "peopleDevTest.txt"),
    "view2": ("pairs.txt", "people.txt"),
}
# Scoring a network reads the pairs files alone: the people files only split the training people. A user with
# View 2's pairs.txt and no people.txt can still score on its ten folds.
EVAL_FILES: dict[str, tuple[str, ...]] = {"view1": ("pairsDevTrain.txt", "pairsDevTest.txt"), "view2": ("pairs.txt",)}

# Where the image tree may sit under the root, preferred first: the deep-funneled tarball extracts to
# lfw-deepfunneled/ (Kaggle's copy nests it twice), some copies call it images/ or put the people straight in
# the root, and the original and funneled tarballs give lfw/ and lfw_funneled/, used only when no deep-funneled
# tree is there.
IMAGE_DIRS = ("lfw-deepfunneled", "lfw-deepfunneled/lfw-deepfunneled", "images", ".", "lfw_funneled", "lfw")

# Folders looked at before a candidate is rejected: LFW's first ones all qualify, and a wrong candidate (the root
# of a layout with a sub-folder) is rejected after a handful instead of a scan of 5749 folders.
_PROBE = 25


@dataclass(frozen=True)
class LFWLayout:
    """An LFW copy: ``images/<Name>/<Name>_NNNN.jpg`` and the protocol ``.txt`` files in ``protocol``."""

    images: Path
    protocol: Path

    def file(self, name: str) -> Path:
        return self.protocol / name


def check_view(view: str) -> tuple[str, ...]:
    """The protocol files ``view`` needs; a ConfigError for an unknown view."""
    if view not in VIEW_FILES:
        raise ConfigError(f"data.source.view must be one of {sorted(VIEW_FILES)}, got {view!r}")
    return VIEW_FILES[view]


def is_image_tree(folder: Path) -> bool:
    """Whether ``folder`` holds LFW people: some ``<Name>/<Name>_0001.jpg`` (every person has an image 1)."""
    try:
        with os.scandir(folder) as entries:
            probed = 0
            for entry in entries:
                if entry.is_dir() and not entry.name.startswith("."):
                    if os.path.isfile(os.path.join(entry.path, f"{entry.name}_0001.jpg")):
                        return True
                    probed += 1
                    if probed >= _PROBE:
                        return False
    except OSError:  # missing, not a folder, unreadable: not a tree
        return False
    return False


def find_images(root: Path) -> Path | None:
    """The image tree under ``root`` in any of the known layouts, or None."""
    for rel in IMAGE_DIRS:
        if is_image_tree(root / rel):
            return (root / rel).resolve()
    return None


def missing_files(folder: Path, view: str, files: tuple[str, ...] | None = None) -> list[str]:
    """The protocol files of ``view`` (or only ``files`` of them) that ``folder`` lacks."""
    names = check_view(view) if files is None else files
    return [name for name in names if not (folder / name).is_file()]


def find_layout(root: str | Path, view: str = "view1", files: tuple[str, ...] | None = None) -> LFWLayout | None:
    """The layout of a complete copy for ``view`` under ``root``, or None when the tree or a file is missing.

    The protocol files (all of the view's, or only ``files``) are looked for in the root, then beside the images
    (some copies keep them in there).
    """
    root = Path(root).expanduser()
    images = find_images(root)
    if images is None:
        return None
    for folder in (root, images, images.parent):
        if not missing_files(folder, view, files):
            return LFWLayout(images, folder.resolve())
    return None
