"""Files with the same bytes under two people: at least one of the labels is wrong, and nothing says which."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from facecompare.data.manifest import Record

log = logging.getLogger(__name__)


def _shown(record: Record, root: Path) -> str:
    return str(record.path.relative_to(root)) if record.path.is_relative_to(root) else str(record.path)


def leave_out_shared_content(records: list[Record], root: Path) -> int:
    """Marks every file whose content (``Record.digest``) is also a file of another person ``duplicate`` and
    unused, naming a copy under another name, and warns; returns how many files that was. Copies under one
    person are kept. Preprocessing hashed every file already (the crop cache's key): this reads nothing."""
    copies: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        if record.digest:
            copies[record.digest].append(record)
    shared = [group for group in copies.values() if len({r.person for r in group}) > 1]
    for group in shared:
        for record in group:
            other = next(r for r in group if r.person != record.person)
            record.status, record.used, record.crop = "duplicate", False, None
            record.detail = f"same content as {_shown(other, root)} of {other.person}: left out under every name"
    if shared:
        first = shared[0]
        log.warning(
            "%s: %d files have the same content as a file of another person (e.g. %s and %s); they are left out "
            "under every name and listed as 'duplicate' in the manifest",
            root,
            sum(len(group) for group in shared),
            _shown(first[0], root),
            _shown(next(r for r in first if r.person != first[0].person), root),
        )
    return sum(len(group) for group in shared)
