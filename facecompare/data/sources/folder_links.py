"""Which symlinks in a folder of people are read: none that leads out of a person's folder or round in a loop.

``ln -s .. Ann/up`` once made every other person's photos Ann's, validation people among them. A link to a
file inside the person's folder is read, and so is a link to a file outside the dataset (person folders made
of links into a photo library) or a dataset or person folder that is itself a link elsewhere (``ln -s
/big/disk/faces data``). A link into the dataset but out of the person's folder is not: that file belongs to
someone else. Each function returns why a link is passed over (the manifest's ``detail``), or None when it
is read.
"""

from __future__ import annotations

import os
from pathlib import Path


def inside(path: str, folder: str) -> bool:
    """Whether real path ``path`` is ``folder`` or under it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def folder_link_skipped(link: Path, home: str, person: str) -> str:
    """A folder link in a person's folder (``home``: its real path) is never walked: out of it, it would label
    someone else's photos; inside, it leads to photos read where they are, or back to a folder holding it."""
    target = os.path.realpath(link)
    if not inside(target, home):
        return f"symlink to {target}, outside {person}/: not followed"
    if inside(os.path.realpath(link.parent), target):
        return "symlink loop: leads back to a folder that holds it"
    return f"symlink to {person}/{os.path.relpath(target, home)}, read there"


def file_link_skipped(link: Path, home: str, person: str, dataset: list[str]) -> str | None:
    """A link to a file of the dataset (``dataset``: the real paths of its folder and of every person folder)
    outside the person's own folder is not read; a broken one is left to the caller."""
    target = os.path.realpath(link)
    if link.exists() and not inside(target, home) and any(inside(target, area) for area in dataset):
        return f"symlink to {target}, outside {person}/: not followed"
    return None


def person_link_skipped(entry: Path, real_root: str, homes: dict[str, str]) -> str | None:
    """A person folder that is a link is read unless it leads back to the dataset folder (everyone's photos
    under one more name) or into another person's folder (theirs under two). ``homes``: each person folder's
    real path."""
    if not entry.is_symlink():
        return None
    home = homes[entry.name]
    if inside(real_root, home):
        return "symlink loop: leads back to the dataset folder"
    for other, other_home in homes.items():
        # two links to one folder elsewhere are both read: the same photos under two names are left out later
        twin_link = other_home == home and (entry.parent / other).is_symlink()
        if other != entry.name and inside(home, other_home) and not twin_link:
            return f"symlink into {other}/, another person's folder"
    return None
