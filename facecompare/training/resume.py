"""Checks a resumed run's config against the one its checkpoint was trained with, before any work."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from facecompare.checkpoint import CONFIG_KEY, read_checkpoint
from facecompare.errors import ConfigError
from facecompare.training.centre_shards import check_every_centre

log = logging.getLogger(__name__)

# What the saved weights, optimizer and scheduler states are shaped by: a difference here cannot resume.
MUST_MATCH = ("backbone", "loss", "optimizer", "scheduler")
# Where a difference is allowed (more epochs, a moved data folder) but worth saying.
REPORTED = ("data", "trainer", "seed", "callbacks")


def _flat(node: Any, prefix: str) -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_flat(value, f"{prefix}.{key}"))
        return out
    return {prefix: node}


def _replace_prefix(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {key: _replace_prefix(value, old, new) for key, value in node.items()}
    if isinstance(node, str) and node.startswith(old):
        return new + node[len(old) :]
    return node


def differences(saved: dict[str, Any], current: dict[str, Any], sections: tuple[str, ...]) -> list[str]:
    """``key: saved -> current`` for every leaf of ``sections`` that differs."""
    found = []
    for section in sections:
        old, new = _flat(saved.get(section), section), _flat(current.get(section), section)
        for key in sorted(old.keys() | new.keys()):
            if old.get(key, "(absent)") != new.get(key, "(absent)"):
                found.append(f"{key}: {old.get(key, '(absent)')} -> {new.get(key, '(absent)')}")
    return found


def check_resume(cfg: DictConfig) -> dict[str, Any] | None:
    """With ``ckpt_path``: stop with the differences and the run's own overrides if the config would not
    fit the checkpoint (which Lightning reports as a page of tensor size mismatches); log other changes.
    Returns the checkpoint read (None without ``ckpt_path``)."""
    ckpt = cfg.get("ckpt_path")
    if not ckpt:
        return None
    checkpoint = read_checkpoint(ckpt)
    check_every_centre(ckpt, checkpoint)
    saved = checkpoint.get(CONFIG_KEY)
    if not isinstance(saved, dict):  # written before configs were recorded: nothing to compare
        return checkpoint
    current = OmegaConf.to_container(cfg, resolve=True)
    mismatched = differences(saved, current, MUST_MATCH)
    if mismatched:
        overrides = Path(ckpt).resolve().parent.parent / ".hydra" / "overrides.yaml"
        hint = "repeat the overrides the run was started with"
        if overrides.is_file():
            given = [str(o) for o in OmegaConf.load(overrides) if not str(o).startswith("ckpt_path=")]
            hint += f" ({overrides}: {' '.join(given) or 'none'})"
        shown = "; ".join(mismatched[:6]) + (f"; and {len(mismatched) - 6} more" if len(mismatched) > 6 else "")
        raise ConfigError(f"ckpt_path={ckpt} was trained with another config ({shown}): {hint}")
    # every run has its own folder: paths inside it are not a change
    old_dir, new_dir = saved.get("paths", {}).get("output_dir"), current.get("paths", {}).get("output_dir")
    if old_dir and new_dir:
        saved = _replace_prefix(saved, str(old_dir), str(new_dir))
    changed = differences(saved, current, REPORTED)
    if changed:
        log.info("resuming with changed settings: %s", "; ".join(changed))
    return checkpoint
