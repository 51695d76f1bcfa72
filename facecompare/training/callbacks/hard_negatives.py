"""Hard negative mining for pair batches: impostor pairs re-drawn among the closest other-person images."""

from __future__ import annotations

import pytorch_lightning as pl
import torch


class HardNegativeMining(pl.Callback):
    """From ``start_epoch`` on, embeds the training images with the current model at the start of each epoch
    and lets the pair sampler swap ``fraction`` of its impostor pairs for the closest other-person images
    among ``pool`` random candidates. ``fraction: 0`` (the default) does nothing and costs nothing. Only
    pair batches (contrastive, binary) use it; triplet mining already finds hard negatives in each batch."""

    def __init__(self, fraction: float = 0.0, start_epoch: int = 1, pool: int = 64, batch_size: int = 256) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"callbacks.hard_negatives.fraction must be in [0, 1], got {fraction}")
        self.fraction, self.start_epoch, self.pool, self.batch_size = fraction, start_epoch, pool, batch_size

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        sampler = getattr(trainer.train_dataloader, "sampler", None)
        if self.fraction <= 0 or trainer.current_epoch < self.start_epoch or not hasattr(sampler, "set_embeddings"):
            return
        images = trainer.datamodule.faces.train.images
        was_training = pl_module.training
        pl_module.eval()
        with torch.no_grad():
            chunks = [
                pl_module.embed(images[i : i + self.batch_size].to(pl_module.device)).float().cpu()
                for i in range(0, len(images), self.batch_size)
            ]
        pl_module.train(was_training)
        sampler.hard_pool = self.pool
        sampler.set_embeddings(torch.cat(chunks).numpy(), self.fraction)
