"""Training: the LightningModule, callbacks, schedules and the Hydra-driven ``train`` function.

``SiameseModule`` is imported on first use (facecompare/lazy_exports.py), so that the light modules here
(resolvers, used by every script before Hydra composes) do not load Lightning: a config mistake is then
reported in a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facecompare.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from facecompare.training.module import SiameseModule

__all__ = ["SiameseModule"]
__getattr__ = lazy_exports(__name__, {"SiameseModule": "module"})
