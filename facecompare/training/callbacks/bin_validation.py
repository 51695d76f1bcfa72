"""The field's verification sets scored during training: each insightface ``.bin`` of
``callbacks.val_sets.sets`` after every validation epoch, logged as ``val/<name>/acc`` (10-fold, as
evaluation/bins.py scores it), ``val/<name>/auc`` and ``val/<name>/eer``, side by side in TensorBoard; any of
them can be the checkpoint monitor (``callbacks.model_checkpoint.monitor=val/lfw/acc``).

The sets are read and decoded once, at the start of fitting, so a bad file stops the run before it trains.
Under DDP each process embeds its share of each set and every process scores the gathered whole (the
checkpoint monitor must exist on every rank); embedding runs under the trainer's precision (bf16 on a GPU).
Five standard sets are 60,000 images, several times a small dataset's epoch: the first scoring logs its cost
against the epoch's, and ``every_n_epochs`` scores them every n-th epoch (and the last), as arcface_torch
scores its sets every ``verbose`` steps. Their time is logged as ``time/val_sets_s``, beside
``time/epoch_s``, the epoch's training and ordinary validation before them (benchmarks/val_sets_cost.py).
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch

from facecompare.data.faceset import hwc_to_tensor
from facecompare.data.sources.insightface_bin import decode, read_bin
from facecompare.evaluation.embedding import embed_images, pair_scores
from facecompare.evaluation.kfold import kfold_accuracy
from facecompare.evaluation.protocol import summarise_scores
from facecompare.training.shared_embedding import embed_shares

log = logging.getLogger(__name__)


class BinValidation(pl.Callback):
    def __init__(
        self, sets: list[str], image_size: int, channels: int = 3, folds: int = 10, every_n_epochs: int = 1
    ) -> None:
        self.paths = [Path(s) for s in sets or []]
        names = [p.stem for p in self.paths]
        if len(set(names)) != len(names):
            raise ValueError(f"callbacks.val_sets: two sets share a name ({names}); each logs as val/<file name>/...")
        if every_n_epochs < 1:
            raise ValueError(f"callbacks.val_sets.every_n_epochs must be >= 1, got {every_n_epochs}")
        self.size, self.channels, self.folds = int(image_size), int(channels), int(folds)
        self.every_n_epochs = int(every_n_epochs)
        self._sets: dict[str, tuple[torch.Tensor, np.ndarray]] = {}
        self._epoch_start: float | None = None
        self._cost_told = False

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or self._sets:
            return
        for path in self.paths:
            encoded, same = read_bin(path)
            crops = decode(path, encoded, self.size)
            self._sets[path.stem] = (hwc_to_tensor(crops, self.channels), same)
            log.info("validation set %s: %d pairs from %s", path.stem, len(same), path)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._epoch_start = time.perf_counter()

    def due(self, trainer: pl.Trainer) -> bool:
        """Whether this validation scores the sets: every n-th epoch, and the last one of max_epochs."""
        epoch = trainer.current_epoch + 1
        return epoch % self.every_n_epochs == 0 or epoch == trainer.max_epochs

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not self._sets or not self.due(trainer):
            return
        start = time.perf_counter()
        for name, (images, same) in self._sets.items():
            emb = self.embed_set(trainer, pl_module, images)
            scores = pair_scores(pl_module.loss.score, emb, torch.arange(len(images)).reshape(-1, 2)).numpy()
            k = kfold_accuracy(scores, same, np.arange(len(same)) * self.folds // len(same))
            roc = summarise_scores(scores, same, None, bootstrap=0)
            pl_module.log(f"val/{name}/acc", k["mean"])
            pl_module.log(f"val/{name}/auc", float(roc["auc"]))
            pl_module.log(f"val/{name}/eer", float(roc["eer"]))
        pl_module.net.train(pl_module.training)
        spent = time.perf_counter() - start
        pl_module.log("time/val_sets_s", spent)
        if self._epoch_start is not None:
            epoch = start - self._epoch_start
            pl_module.log("time/epoch_s", epoch)
            if not self._cost_told:
                self._cost_told = True
                self.tell_cost(spent, epoch)

    def embed_set(self, trainer: pl.Trainer, pl_module: pl.LightningModule, images: torch.Tensor) -> torch.Tensor:
        """(N, D) embeddings of a set's images on the CPU, each process embedding its share (shared_embedding.py)."""
        net = pl_module.net
        flip = None if getattr(net, "flip_average", False) else "sum"  # as insightface scores, mirror included

        def embed(share: torch.Tensor) -> torch.Tensor:
            with trainer.precision_plugin.forward_context():
                return embed_images(net, share, flip=flip, device=pl_module.device).float()

        return embed_shares(images, embed, pl_module.device).cpu()

    def tell_cost(self, spent: float, epoch: float) -> None:
        """Log what scoring the sets adds to an epoch (its training and ordinary validation), and, where that is
        over 15 %, the every_n_epochs that would bring it under."""
        share = spent / max(epoch, 1e-9)
        hint = ""
        if share > 0.15:
            n = math.ceil(share / 0.15) * self.every_n_epochs
            hint = f"; callbacks.val_sets.every_n_epochs={n} would add under 15 % over the run"
        log.info("validation sets: %.1f s, %.0f %% on top of this epoch's %.1f s%s", spent, 100 * share, epoch, hint)
