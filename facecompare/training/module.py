"""The LightningModule: one embedder applied to both images of a pair, trained by a pluggable loss."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_only, rank_zero_warn
from torch import Tensor, nn
from torch.optim import Optimizer

from facecompare.checkpoint import CHECKPOINT_KEY
from facecompare.data.degrade import degrade_batch
from facecompare.distributed import rank_world
from facecompare.errors import ConfigError, NonFiniteLossError
from facecompare.evaluation.metrics import PairMetrics
from facecompare.losses.quality_regression import centre_cosines, pair_labels, quality_regression, quality_targets
from facecompare.training.centre_shards import CENTRES_GROUP, gather_centres, share_centres
from facecompare.training.finetune import FineTuning
from facecompare.training.start_anchor import StartAnchor

log = logging.getLogger(__name__)


def pk_batch_stats(labels: Tensor) -> dict[str, float]:
    """What a P x K batch offers the miner: identities, images per identity, and the share of all image
    pairs in the batch that are genuine (positive)."""
    _, counts = torch.unique(labels, return_counts=True)
    n = len(labels)
    positives = float((counts * (counts - 1) // 2).sum())
    return {
        "train/pk_identities": float(len(counts)),
        "train/pk_images_per_identity": float(counts.float().mean()),
        "train/pk_positive_pairs_per_identity": positives / len(counts),
        "train/pk_positive_ratio": positives / max(1, n * (n - 1) // 2),
    }


class SiameseModule(pl.LightningModule):
    """Siamese training: shared weights and one batched forward over both images of every pair.

    ``optimizer`` is a partial taking ``params``; ``scheduler`` (optional) a partial taking ``optimizer`` and
    ``total_steps``, stepped every optimizer step. The loss decides the batch layout (``loss.batch_kind``)
    and how a pair of embeddings becomes a [0, 1] score (``loss.score``). The validation threshold that
    maximises accuracy is kept and saved in every checkpoint, so tools never need a magic constant.
    ``finetune`` (optional) sets how a pretrained trunk trains (facecompare.training.finetune).
    ``quality`` (optional) is a partial taking ``embedding_dim`` that builds a face-quality branch
    (facecompare.models.quality_branch) trained beside the embedding, without sending it gradients; a share
    ``quality_degraded`` of each batch's crops is also scored as degraded copies, so the branch learns what
    an unrecognisable face looks like, which a dataset of good photos rarely shows.
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        optimizer: Callable[..., Optimizer],
        scheduler: Callable[..., Any] | None = None,
        fars: Sequence[float] = (1e-2,),
        channels_last: bool = True,
        compile: bool | dict[str, Any] = False,
        finetune: FineTuning | None = None,
        quality: Callable[..., nn.Module] | None = None,
        quality_degraded: float = 0.25,
    ) -> None:
        super().__init__()
        self.net = net
        # neutral settings leave the module exactly as without them: one parameter group, no mode changes
        self.finetune = finetune if finetune is not None and finetune.active else None
        if self.finetune is not None:
            self.finetune.prepare(net)
        keep_start = self.finetune.keep_start if self.finetune is not None else 0.0
        self.start_anchor = StartAnchor(net, keep_start) if keep_start else None
        # Speed only, the numbers stay the same up to float rounding: channels-last convolutions (faster on
        # this CPU for cnn and resnet18, and what tensor cores want); torch.compile (True, or its kwargs).
        self.channels_last = channels_last
        self.compile_options = {} if compile is True else (dict(compile) if compile else None)
        self._compiled: Callable[[Tensor], Tensor] | None = None
        self.loss = loss
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.val_metrics = PairMetrics(fars)
        self.test_metrics = PairMetrics(fars)
        self.threshold: float | None = None
        self.val_summary: dict[str, float] = {}
        if not 0.0 <= quality_degraded <= 1.0:
            raise ConfigError(f"model.quality_degraded must be in [0, 1], got {quality_degraded!r}")
        self.quality_degraded = quality_degraded
        self.quality_branch = None if quality is None else quality(embedding_dim=net.embedding_dim)

    def setup(self, stage: str) -> None:
        # A loss with a class per training identity (CosFace, ArcFace) learns their number from the data,
        # before configure_optimizers gathers the parameters; a resumed run reloads them from the checkpoint.
        fit_classes = getattr(self.loss, "fit_classes", None)
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if stage == "fit" and fit_classes is not None and datamodule is not None:
            fit_classes(datamodule.train_labels())

    def train(self, mode: bool = True) -> SiameseModule:
        # Lightning switches modes itself (back to the modes it saw after each validation), so frozen parts are
        # put back in eval mode wherever the training mode is set, not once
        super().train(mode)
        if mode and self.finetune is not None:
            for module in self.finetune.fixed_modules(self.net, self.current_epoch):
                module.eval()
        return self

    def on_train_epoch_start(self) -> None:
        if self.finetune is not None:
            self.train()  # the epoch may end the head-only warm-up

    def on_before_optimizer_step(self, optimizer: Optimizer) -> None:
        # during the head-only warm-up the trunk's gradients are dropped after DDP has averaged them (every
        # process drops the same), so the optimizers skip those parameters: no step, momentum or weight decay
        if self.finetune is not None and self.finetune.head_only(self.current_epoch):
            for param in self.net.trunk.parameters():
                param.grad = None

    def configure_model(self) -> None:
        if self.channels_last:
            self.net.to(memory_format=torch.channels_last)
            if self.start_anchor is not None:
                self.start_anchor.start.to(memory_format=torch.channels_last)
        if self.compile_options is not None and self._compiled is None:
            # kept off the module tree, so checkpoints hold `net.*` keys whether or not the run compiled
            object.__setattr__(self, "_compiled", torch.compile(self.net, **self.compile_options))

    def _inputs(self, images: Tensor) -> Tensor:
        if self.channels_last and images.dim() == 4:
            images = images.contiguous(memory_format=torch.channels_last)  # on the uint8 batch: 4x less to copy
        return images.float().div_(255) if images.dtype == torch.uint8 else images

    def embed(self, images: Tensor) -> Tensor:
        """uint8 (N, C, H, W) images, as the data module serves them (or already scaled ones), to embeddings."""
        images = self._inputs(images)
        # float32 out whatever the autocast: losses and scores live on small differences of distances
        return (self.net if self._compiled is None else self._compiled)(images).float()

    def embed_pairs(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        # One forward over both halves: the same weights, and BatchNorm sees the whole batch once.
        embeddings = self.embed(torch.cat([a, b]))
        return embeddings[: len(a)], embeddings[len(a) :]

    def score(self, a: Tensor, b: Tensor) -> Tensor:
        return self.loss.score(*self.embed_pairs(a, b))

    def training_step(self, batch: Sequence[Tensor], batch_idx: int) -> Tensor:
        # The loss in float32 even under autocast: embed() hands it float32, but the matrix products inside
        # pytorch-metric-learning's losses would be recast to bf16 (cosine triplet 0.1846 against 0.1850).
        # the uint8 batch scaled once: the network and the start copy (keep_start) both take it
        if self.loss.batch_kind in ("pk", "images"):
            images, labels = batch
            inputs = self._inputs(images)
            embeddings = self.embed(inputs)
            with self._full_precision():
                loss = self.loss(embeddings, labels)
            if self.loss.batch_kind == "pk":
                self.log_dict(pk_batch_stats(labels), batch_size=len(labels))
            if self.quality_branch is not None:
                loss = loss + self._quality_loss(images, embeddings, labels)
        else:
            a, b, same = batch
            images = torch.cat([a, b])  # one forward over both halves, as embed_pairs
            inputs = self._inputs(images)
            embeddings = self.embed(inputs)
            with self._full_precision():
                loss = self.loss(embeddings[: len(a)], embeddings[len(a) :], same)
            if self.quality_branch is not None:
                loss = loss + self._quality_loss(images, embeddings, pair_labels(same))
        if self.start_anchor is not None:
            held = self.start_anchor(embeddings, inputs)
            self.log("train/keep_start", held, batch_size=len(images))
            loss = loss + held
        if not torch.isfinite(loss):
            raise NonFiniteLossError(
                f"training loss is {loss.item()} at global step {self.global_step} (epoch {self.current_epoch}, "
                f"batch {batch_idx}); lower optimizer.lr, or check the data for broken images"
            )
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch[0]))
        return loss

    def _quality_loss(self, images: Tensor, embeddings: Tensor, labels: Tensor) -> Tensor:
        rows, centres = centre_cosines(embeddings, labels)
        inputs, targets = embeddings[rows].detach(), quality_targets(embeddings[rows], centres)
        degraded = round(self.quality_degraded * len(rows))
        if degraded:
            pick = torch.randperm(len(rows))[:degraded].to(rows.device)
            bad = degrade_batch(images[rows[pick]].cpu()).to(images.device)
            # in eval mode and without gradients: the degraded copies must not move the batch-norm statistics
            # or the embedding, only show the branch where unrecognisable faces land
            with torch.no_grad():
                self.net.eval()
                try:
                    bad_embeddings = self.embed(bad)
                finally:
                    self.train(self.training)
            inputs = torch.cat([inputs, bad_embeddings])
            targets = torch.cat([targets, quality_targets(bad_embeddings, centres[pick])])
        with self._full_precision():
            loss = quality_regression(self.quality_branch(inputs), targets)
        self.log("train/quality_loss", loss, batch_size=len(inputs))
        return loss

    def validation_step(self, batch: Sequence[Tensor], batch_idx: int) -> None:
        a, b, same = batch
        with self._full_precision():
            self.val_metrics.update(self.score(a, b), same)

    def test_step(self, batch: Sequence[Tensor], batch_idx: int) -> None:
        a, b, same = batch
        with self._full_precision():
            self.test_metrics.update(self.score(a, b), same)

    def _full_precision(self) -> torch.autocast:
        # Evaluate as the exported (float32) model will run: under bf16 autocast the scores came out on bf16's
        # grid (thresholds such as 0.6171875, steps of 0.004), coarsening the ROC and the calibrated threshold.
        return torch.autocast(self.device.type, enabled=False)

    def _summarise(self, metrics: PairMetrics, threshold: float | None = None) -> dict[str, float]:
        summary = metrics.compute(threshold)
        metrics.reset()
        if not summary:
            rank_zero_warn("evaluation pairs held a single class (too few batches?): no ROC metrics this epoch")
        return summary

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:  # a couple of batches: not worth a threshold
            self.val_metrics.reset()
            return
        summary = self._summarise(self.val_metrics)
        if summary:
            self.threshold = summary["threshold"]
            self.val_summary = summary
            # The same on every process (torchmetrics gathered the scores), so sync_dist's mean changes nothing;
            # it only tells Lightning that under DDP these are not one process's values.
            self.log_dict({f"val/{k}": v for k, v in summary.items() if k != "auc"}, sync_dist=True)
            self.log("val/auc", summary["auc"], prog_bar=True, sync_dist=True)

    def on_test_epoch_end(self) -> None:
        summary = self._summarise(self.test_metrics, self.threshold)
        self.log_dict({f"test/{k}": v for k, v in summary.items()}, sync_dist=True)

    def configure_optimizers(self) -> Any:
        # a classification loss's class centres (CosFace, ArcFace) train in their own group: their own LR and,
        # by default, no weight decay, which would pull every centre towards the origin at every step
        centres = (
            [p for p in self.loss.parameters() if p.requires_grad] if hasattr(self.loss, "centre_lr_scale") else []
        )
        rest = [p for p in self.parameters() if id(p) not in {id(c) for c in centres}]
        params: Any = rest if self.finetune is None else self.finetune.param_groups(self.net, rest)
        if centres:
            params = ([{"params": params}] if self.finetune is None else params) + [
                {"name": CENTRES_GROUP, "params": centres, "weight_decay": self.loss.centre_weight_decay}
            ]
        try:
            optimizer = self.optimizer_factory(params=params)
        except ValueError as err:  # torch checks lr, betas, weight_decay...: "Invalid learning rate: -1.0"
            raise ConfigError(f"optimizer: {err}") from None
        for group in optimizer.param_groups:  # on the built optimizer: the schedule keeps the ratio (finetune.py)
            if group.get("name") == CENTRES_GROUP:
                group["lr"] *= self.loss.centre_lr_scale
        if self.finetune is not None:
            self.finetune.scale_trunk_lr(optimizer)
            if rank_zero_only.rank == 0:
                log.info(self.finetune.describe(self.net, optimizer))
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer=optimizer, total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[CHECKPOINT_KEY] = {
            "threshold": self.threshold,
            "val_metrics": dict(self.val_summary),
            "score": f"{type(self.loss).__name__}.score",
            "embedding_dim": getattr(self.net, "embedding_dim", None),
            "processes": rank_world()[1],  # whose shares of the epoch the training loaders' positions are
        }
        gather_centres(checkpoint, self.loss)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        share_centres(checkpoint)
        info = checkpoint.get(CHECKPOINT_KEY, {})
        self.threshold = info.get("threshold")
        self.val_summary = dict(info.get("val_metrics", {}))
