"""The run's config and training identities inside every checkpoint."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytorch_lightning as pl

from facecompare.checkpoint import CONFIG_KEY, IDENTITIES_KEY


class RecordConfig(pl.Callback):
    """Stores the resolved run config (plain containers only, so ``weights_only=True`` loads it) and the
    names of the training identities in every checkpoint: tools rebuild the network from it without the
    original config files, and evaluation checks for identity leakage."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        checkpoint[CONFIG_KEY] = self.config
        # The people the model learnt from, so evaluation can warn when a test pair involves one of them.
        faces = getattr(getattr(trainer, "datamodule", None), "faces", None)
        if faces is not None:
            train = faces.train
            checkpoint[IDENTITIES_KEY] = sorted({train.names[i] for i in np.unique(train.labels)})
