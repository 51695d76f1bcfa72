"""Reading facecompare checkpoints safely (``weights_only=True``) and rebuilding their network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from torch import nn

from facecompare.errors import FacecompareError
from facecompare.training.callbacks.record_config import CONFIG_KEY, IDENTITIES_KEY
from facecompare.training.module import CHECKPOINT_KEY


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise FacecompareError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated file, foreign pickle, ...
        raise FacecompareError(f"{path}: not a readable facecompare checkpoint ({type(err).__name__}: {err})") from err


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
    return net, loss, info
