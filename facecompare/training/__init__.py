"""Training: the LightningModule, callbacks, schedules and the Hydra-driven ``train`` function."""

from facecompare.training.module import SiameseModule

__all__ = ["SiameseModule"]
