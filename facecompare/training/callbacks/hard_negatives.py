"""Hard negative mining for pair batches: impostor pairs re-drawn among the closest other-person images."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn

from facecompare.training.shared_embedding import embed_shares


@contextmanager
def single_view(net: nn.Module) -> Iterator[None]:
    """Switches off the network's mirror averaging for a while: ranking candidates by distance does not need
    the test-time augmentation, which would double the cost of embedding every training image."""
    flip = getattr(net, "flip_average", None)
    if flip:
        net.flip_average = False
    try:
        yield
    finally:
        if flip:
            net.flip_average = flip


class HardNegativeMining(pl.Callback):
    """From ``start_epoch`` on, embeds the training images with the current model at the start of each epoch
    and lets the pair sampler swap ``fraction`` of its impostor pairs for the closest other-person images
    among ``pool`` random candidates. ``fraction: 0`` (the default) does nothing and costs nothing. Only
    pair batches (contrastive, binary) use it; triplet mining already finds hard negatives in each batch.

    Under DDP each process embeds its own slice of the images and all of them take the gathered table, so
    every process draws the same hard pairs (the sampler then deals them out) at 1/world of the work.
    """

    def __init__(self, fraction: float = 0.0, start_epoch: int = 1, pool: int = 64, batch_size: int = 256) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"callbacks.hard_negatives.fraction must be in [0, 1], got {fraction}")
        self.fraction, self.start_epoch, self.pool, self.batch_size = fraction, start_epoch, pool, batch_size

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        sampler = getattr(trainer.train_dataloader, "sampler", None)
        if self.fraction <= 0 or trainer.current_epoch < self.start_epoch or not hasattr(sampler, "set_embeddings"):
            return
        sampler.hard_pool = self.pool
        sampler.set_embeddings(self.embed_training_images(trainer, pl_module), self.fraction)

    def embed_training_images(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> np.ndarray:
        """(N, D) float32 embeddings of the training images in order, identical on every process."""

        def embed(mine: torch.Tensor) -> torch.Tensor:
            with torch.no_grad(), single_view(getattr(pl_module, "net", pl_module)):
                return torch.cat([
                    pl_module.embed(mine[i : i + self.batch_size].to(pl_module.device))
                    for i in range(0, len(mine), self.batch_size)
                ])  # fmt: skip

        was_training = pl_module.training
        pl_module.eval()
        embeddings = embed_shares(trainer.datamodule.faces.train.images, embed, pl_module.device)
        pl_module.train(was_training)
        return embeddings.cpu().numpy()  # embed() returns float32
