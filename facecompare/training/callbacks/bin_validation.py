"""The field's verification sets scored during training: each insightface ``.bin`` of
``callbacks.val_sets.sets`` after every validation epoch, logged as ``val/<name>/acc`` (10-fold, as
evaluation/bins.py scores it), ``val/<name>/auc`` and ``val/<name>/eer``, side by side in TensorBoard; any of
them can be the checkpoint monitor (``callbacks.model_checkpoint.monitor=val/lfw/acc``).

The sets are read and decoded once, at the start of fitting, so a bad file stops the run before it trains.
Every process scores them (the checkpoint monitor must exist on every rank); they are a few thousand images.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch

from facecompare.data.faceset import hwc_to_tensor
from facecompare.data.sources.insightface_bin import decode, read_bin
from facecompare.evaluation.embedding import embed_images, pair_scores
from facecompare.evaluation.kfold import kfold_accuracy
from facecompare.evaluation.protocol import summarise_scores

log = logging.getLogger(__name__)


class BinValidation(pl.Callback):
    def __init__(self, sets: list[str], image_size: int, channels: int = 3, folds: int = 10) -> None:
        self.paths = [Path(s) for s in sets or []]
        names = [p.stem for p in self.paths]
        if len(set(names)) != len(names):
            raise ValueError(f"callbacks.val_sets: two sets share a name ({names}); each logs as val/<file name>/...")
        self.size, self.channels, self.folds = int(image_size), int(channels), int(folds)
        self._sets: dict[str, tuple[torch.Tensor, np.ndarray]] = {}

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or self._sets:
            return
        for path in self.paths:
            encoded, same = read_bin(path)
            crops = decode(path, encoded, self.size)
            self._sets[path.stem] = (hwc_to_tensor(crops, self.channels), same)
            log.info("validation set %s: %d pairs from %s", path.stem, len(same), path)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        net = pl_module.net
        flip = None if getattr(net, "flip_average", False) else "sum"  # as insightface scores, mirror included
        for name, (images, same) in self._sets.items():
            emb = embed_images(net, images, flip=flip, device=pl_module.device)
            scores = pair_scores(pl_module.loss.score, emb, torch.arange(len(images)).reshape(-1, 2)).numpy()
            k = kfold_accuracy(scores, same, np.arange(len(same)) * self.folds // len(same))
            roc = summarise_scores(scores, same, None, bootstrap=0)
            pl_module.log(f"val/{name}/acc", k["mean"])
            pl_module.log(f"val/{name}/auc", float(roc["auc"]))
            pl_module.log(f"val/{name}/eer", float(roc["eer"]))
        net.train(pl_module.training)
