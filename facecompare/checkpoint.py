"""Reading facecompare checkpoints safely (``weights_only=True``) and rebuilding their network."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from torch import nn

from facecompare.errors import FacecompareError
from facecompare.torch_archive import check_torch_archive, existing_checkpoint

# What scripts/train.py adds to Lightning's checkpoint: the module's threshold and validation metrics, the
# composed config that rebuilds the network, and the training identities (training/callbacks/record_config.py)
CHECKPOINT_KEY = "facecompare"
CONFIG_KEY = "facecompare_config"
IDENTITIES_KEY = "facecompare_train_identities"

# A checkpoint's config names the classes that rebuild its network, and Hydra imports and calls whatever a
# _target_ names (builtins.open emptied a file): weights_only=True alone does not make a file from elsewhere
# safe. Only these may be built; FACECOMPARE_TRUSTED_TARGETS adds prefixes (comma-separated) for your own.
TRUSTED_TARGETS = ("facecompare.models.", "facecompare.losses.")


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    path = existing_checkpoint(path)
    check_torch_archive(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's message goes on to suggest weights_only=False: never for a file
        raise FacecompareError(  # from elsewhere
            f"{path}: not a facecompare checkpoint (not a torch file of plain tensors and containers)"
        ) from None
    except Exception as err:  # truncated file, not a zip, ...
        raise FacecompareError(f"{path}: not a readable checkpoint ({type(err).__name__}: {err})") from None


def untrusted_targets(node: Any) -> list[str]:
    """Every ``_target_`` in ``node`` (nested dicts and lists) outside the trusted prefixes."""
    trusted = TRUSTED_TARGETS + tuple(p for p in os.environ.get("FACECOMPARE_TRUSTED_TARGETS", "").split(",") if p)
    if isinstance(node, dict):
        found = [] if str(node.get("_target_", "facecompare.models.")).startswith(trusted) else [node["_target_"]]
        return found + [t for value in node.values() for t in untrusted_targets(value)]
    if isinstance(node, list):
        return [t for value in node for t in untrusted_targets(value)]
    return []


def load_embedder(path: str | Path) -> tuple[nn.Module, nn.Module, dict[str, Any]]:
    """Return ``(net, loss, info)``: the embedder and the loss (which scores pairs) in eval mode, and the
    checkpoint's facecompare info (threshold, validation metrics) plus its ``config`` and
    ``train_identities`` (None for checkpoints written before they were recorded)."""
    ckpt = read_checkpoint(path)
    config = ckpt.get(CONFIG_KEY)
    if not config or "model" not in config:
        raise FacecompareError(f"{path}: no facecompare config inside; was it written by scripts/train.py?")
    net_config = dict(config["model"]["net"])
    if "pretrained" in net_config:  # the weights come from the checkpoint; never download again
        net_config["pretrained"] = None
    refused = untrusted_targets([net_config, config["model"]["loss"]])
    if refused:
        raise FacecompareError(
            f"{path}: refused to build {', '.join(map(str, refused))}: a checkpoint may only name classes of "
            f"{' or '.join(TRUSTED_TARGETS)} (add your own package's prefix to FACECOMPARE_TRUSTED_TARGETS)"
        )
    net, loss = instantiate(net_config), instantiate(config["model"]["loss"])
    state = ckpt["state_dict"]
    for prefix, module in (("net.", net), ("loss.", loss)):
        try:
            module.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
        except RuntimeError as err:
            first = str(err).splitlines()[1].strip() if len(str(err).splitlines()) > 1 else str(err)
            raise FacecompareError(
                f"{path}: its weights do not fit the {type(module).__name__} its config describes "
                f"(a checkpoint of a different backbone or edited config?): {first}"
            ) from None
        module.eval()
    info = {**ckpt.get(CHECKPOINT_KEY, {}), "config": config, "train_identities": ckpt.get(IDENTITIES_KEY)}
    info["quality_branch"] = _quality_branch(path, config["model"].get("quality"), net, state)
    return net, loss, info


def _quality_branch(path: str | Path, config: Any, net: nn.Module, state: dict[str, Any]) -> nn.Module | None:
    """The quality branch a run trained with ``face_quality=branch`` (models/quality_branch.py), in eval mode."""
    if not config:
        return None
    if untrusted_targets([config]):
        raise FacecompareError(f"{path}: refused to build the quality branch {config.get('_target_')!r}")
    branch = instantiate(config)(embedding_dim=net.embedding_dim)
    prefix = "quality_branch."
    try:
        branch.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
    except RuntimeError as err:
        raise FacecompareError(f"{path}: its quality branch weights do not fit its config: {err}") from None
    return branch.eval()
