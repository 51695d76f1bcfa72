"""Training: the LightningModule, callbacks, schedules and the Hydra-driven ``train`` function."""

from __future__ import annotations

from typing import Any

__all__ = ["SiameseModule"]


def __getattr__(name: str) -> Any:
    # Lazily, so that the light modules here (resolvers, used by every script before Hydra composes) do not
    # load Lightning: a config mistake is then reported in a second.
    if name == "SiameseModule":
        from facecompare.training.module import SiameseModule

        return SiameseModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
