"""Where a bundle's starting weights came from, and on what terms: recorded in model.json, because a model
fine-tuned from weights inherits their licence and a user shipping it must be able to tell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.utils import get_class

from facecompare.inference.bundle import file_sha256


def weights_origin(net_config: dict[str, Any]) -> dict[str, Any]:
    """``{"pretrained": None}`` for a network trained from random initialisation; else what the backbone's
    class says of its ``pretrained`` value (``weights_origin``: source, licence, notes), plus the file's
    name and SHA-256 when it was a file that is still there."""
    pretrained = net_config.get("pretrained")
    if pretrained is None or pretrained is False:
        return {"pretrained": None}
    describe = getattr(get_class(net_config["_target_"]), "weights_origin", None)
    origin: dict[str, Any] = {"pretrained": pretrained if isinstance(pretrained, bool) else str(pretrained)}
    origin |= describe(pretrained) if describe else {"licence": "unknown: check the terms of these weights"}
    if isinstance(pretrained, str) and Path(pretrained).expanduser().is_file():
        path = Path(pretrained).expanduser()
        origin |= {"pretrained": path.name, "sha256": file_sha256(path)}  # not the machine's path
    return origin
