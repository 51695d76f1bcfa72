"""Mandatory config values (``???``) that were not given."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from facecompare.errors import ConfigError


def _missing(node: Any, prefix: str = "") -> list[str]:
    """Keys whose value is literally ``???``, found without resolving interpolations that point at them."""
    if isinstance(node, DictConfig):
        keys = list(node.keys())
    elif isinstance(node, ListConfig):
        keys = list(range(len(node)))
    else:
        return []
    found = []
    for key in keys:
        path = f"{prefix}{key}"
        if OmegaConf.is_missing(node, key):
            found.append(path)
        elif not OmegaConf.is_interpolation(node, key):
            found += _missing(node._get_node(key), f"{path}.")
    return found


def check_required(cfg: DictConfig) -> None:
    """Fail before any work if a mandatory value (``???``) was not given."""
    missing = _missing(cfg)
    if missing:
        examples = " ".join(f"{k}=..." for k in missing)
        raise ConfigError(f"missing required config value(s): {', '.join(missing)}; add them, e.g. {examples}")
