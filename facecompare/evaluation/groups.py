"""Accuracy, FAR and FRR per group of people (e.g. the demographic mix a dataset was balanced on)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.errors import ConfigError

UNMAPPED = "(not in the groups file)"
CROSS = "(impostor pairs across groups)"
PERSON_COLUMNS = ("person", "name", "identity")


def read_groups(path: str | Path) -> dict[str, str]:
    """``{person: group}`` from a CSV with a header naming a person column (person, name or identity) and a
    ``group`` column. A person listed twice with different groups is an error, not a silent pick."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"groups: {path} does not exist (a CSV with columns person,group)")
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields = [c.strip().lower() for c in reader.fieldnames or []]
        person_col = next((c for c in PERSON_COLUMNS if c in fields), None)
        if person_col is None or "group" not in fields:
            raise ConfigError(f"groups: {path} needs a header with 'person' and 'group' columns, found {fields}")
        reader.fieldnames = fields
        groups: dict[str, str] = {}
        for line, row in enumerate(reader, start=2):
            person, group = (row.get(person_col) or "").strip(), (row.get("group") or "").strip()
            if not person or not group:
                raise ConfigError(f"groups: {path} line {line}: empty person or group")
            if groups.setdefault(person, group) != group:
                raise ConfigError(f"groups: {path} line {line}: {person!r} is in both {groups[person]!r} and {group!r}")
    if not groups:
        raise ConfigError(f"groups: {path} lists no people")
    return groups


def _rates(scores: np.ndarray, same: np.ndarray, threshold: float) -> dict[str, Any]:
    accept = scores >= threshold
    genuine, impostor = int(same.sum()), int((~same).sum())
    return {
        "pairs": len(scores),
        "genuine_pairs": genuine,
        "impostor_pairs": impostor,
        "accuracy": float(np.mean(accept == same)),
        # None, not 0, where a group has no pairs of a kind: no evidence is not a perfect rate
        "far": float(accept[~same].mean()) if impostor else None,
        "frr": float((~accept[same]).mean()) if genuine else None,
    }


def group_breakdown(
    names: Sequence[str], pairs: np.ndarray, scores: np.ndarray, threshold: float, groups: dict[str, str]
) -> list[dict[str, Any]]:
    """One row per group over the pairs whose two people are both in it, a row for impostor pairs across
    groups, one for pairs with a person the file does not map, and ``all``; sorted with ``all`` first."""
    scores, same = np.asarray(scores, np.float64), pairs[:, 2].astype(bool)
    person = np.asarray(names, dtype=object)
    ga = np.array([groups.get(p, UNMAPPED) for p in person[pairs[:, 0]]], dtype=object)
    gb = np.array([groups.get(p, UNMAPPED) for p in person[pairs[:, 1]]], dtype=object)
    key = np.where(ga == gb, ga, CROSS)
    key[(ga == UNMAPPED) | (gb == UNMAPPED)] = UNMAPPED
    rows = [{"group": "all", "people": len(set(person[pairs[:, :2].ravel()])), **_rates(scores, same, threshold)}]
    for g in sorted(set(key), key=lambda g: (g.startswith("("), g)):
        m = key == g
        people = set(person[pairs[m, 0]]) | set(person[pairs[m, 1]])
        rows.append({"group": g, "people": len(people), **_rates(scores[m], same[m], threshold)})
    return rows


def write_group_csv(path: Path, rows: list[dict[str, Any]], threshold: float) -> None:
    fields = ["group", "people", "pairs", "genuine_pairs", "impostor_pairs", "accuracy", "far", "frr", "threshold"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({**{k: ("" if v is None else v) for k, v in r.items()}, "threshold": threshold})
