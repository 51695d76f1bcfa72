"""What only building can check in a training config, checked on dummy inputs before any data is read: the
loss's, the optimizer's and the scheduler's arguments, and the rules between config groups."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from hydra.errors import InstantiationException
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf

from facecompare.data.batches import NO_SAMPLER
from facecompare.errors import ConfigError, FacecompareError

log = logging.getLogger(__name__)

# a schedule is checked on a made-up length: its real one is known only once the data is
DUMMY_STEPS = 100


def check_training(cfg: DictConfig) -> None:
    """Raise ConfigError for the first problem a training run would otherwise meet only after face detection
    or during fitting."""
    _check_length(cfg.trainer, cfg.get("scheduler"))
    _check_image_size(cfg.backbone, cfg.data.image_size)
    loss = _build(cfg.loss)
    if cfg.data.get("sampler") is None:
        raise ConfigError(NO_SAMPLER)
    batches = _build(cfg.data.sampler)  # checks its own settings
    _check_batch_kind(loss, batches.kind)
    if batches.kind == "pairs":
        _check_pair_batches(cfg.data, _processes(cfg.trainer))
    optimizer = _dry_optimizer(cfg.optimizer)
    if cfg.get("scheduler") is not None:
        _build(cfg.scheduler)(optimizer=optimizer, total_steps=DUMMY_STEPS)
    if cfg.model.get("finetune") is not None:
        _check_finetune(cfg.model.finetune, cfg.trainer, cfg.backbone)
    _check_val_set_monitors(cfg.get("callbacks") or {})


def _check_val_set_monitors(callbacks: Any) -> None:
    # Lightning stops a run whose monitor is missing from an epoch's metrics, after that epoch's training
    node = callbacks.get("val_sets") or {}
    every = node.get("every_n_epochs", 1)
    if every == 1 or not node.get("sets"):
        return
    names = {Path(str(path)).stem for path in node.sets}
    for key in ("model_checkpoint", "early_stopping"):
        monitor = (callbacks.get(key) or {}).get("monitor")
        parts = str(monitor).split("/")
        if len(parts) == 3 and parts[0] == "val" and parts[1] in names:
            raise ConfigError(
                f"callbacks.{key}.monitor={monitor} is logged every callbacks.val_sets.every_n_epochs={every} "
                "epochs only, and a monitor needs it every epoch: set every_n_epochs=1 or monitor another metric"
            )


def _check_batch_kind(loss: Any, kind: str) -> None:
    # A pair loss takes (a, b, same) batches; the others take labelled images, which P x K and shuffled image
    # batches both are (a triplet loss on shuffled images finds fewer positives, but it is the user's choice).
    if (loss.batch_kind == "pairs") != (kind == "pairs"):
        wanted = "pairs" if loss.batch_kind == "pairs" else "pk or images"
        raise ConfigError(
            f"loss {type(loss).__name__} trains on data/sampler={wanted} batches, not data/sampler={kind}"
        )


def _check_finetune(node: DictConfig, trainer: DictConfig, backbone: DictConfig) -> None:
    # its values here; its parameter names once the network is built (SiameseModule), which is not built twice
    finetune = _build(node)
    pretrained = backbone.get("pretrained")
    if finetune.keep_start and pretrained in (False, None):
        log.warning(
            "model.finetune.keep_start=%g holds the embeddings near the network's starting ones, and with "
            "backbone.pretrained=%s those come from random weights",
            finetune.keep_start, "null" if pretrained is None else "false",
        )  # fmt: skip
    epochs = trainer.get("max_epochs")
    if finetune.trunk_frozen_epochs and epochs not in (None, -1) and finetune.trunk_frozen_epochs >= epochs:
        raise ConfigError(
            f"model.finetune.trunk_frozen_epochs={finetune.trunk_frozen_epochs} leaves none of the "
            f"trainer.max_epochs={epochs} epochs to train the trunk"
        )


def _check_length(trainer: DictConfig, scheduler: Any) -> None:
    # Lightning takes 0 and fits nothing; the test then scores an untrained network
    for key in ("max_epochs", "max_steps"):
        value = trainer.get(key)
        if value is not None and value != -1 and value < 1:
            raise ConfigError(f"trainer.{key} must be >= 1, or -1 for no limit, got {value}")
    if scheduler is not None and trainer.get("max_epochs") == -1 and trainer.get("max_steps", -1) == -1:
        raise ConfigError("an LR schedule needs a finite trainer.max_epochs or max_steps, got -1 (no limit) for both")


def _check_image_size(backbone: DictConfig, size: Any) -> None:
    # a backbone with a fixed input size (the arcface_torch ones) says so, rather than failing at the first batch
    check = getattr(get_class(backbone._target_), "check_image_size", None)
    if check is not None:
        check(size)


def _processes(trainer: DictConfig) -> int:
    """How many processes share an epoch, where the config says (``devices: auto`` does not: 1)."""
    devices = trainer.get("devices", 1)
    count = len(devices) if OmegaConf.is_list(devices) else devices if isinstance(devices, int) and devices > 0 else 1
    return count * int(trainer.get("num_nodes", 1) or 1)


def _check_pair_batches(data: DictConfig, world: int) -> None:
    # the data module's own check, here before any process is started or any face detected
    pairs, batch = data.get("pairs_per_epoch"), data.get("batch_size")
    if isinstance(pairs, int) and isinstance(batch, int) and pairs // world < batch:
        per_process = f" per process ({world} processes)" if world > 1 else ""
        raise ConfigError(
            f"data.pairs_per_epoch gives {pairs // world} pairs{per_process}, fewer than data.batch_size={batch}: "
            "not one training batch; raise pairs_per_epoch or lower batch_size"
        )


def _build(node: DictConfig) -> Any:
    try:
        return instantiate(node)
    except InstantiationException as err:
        if isinstance(err.__cause__, FacecompareError):  # the constructor's own check, already one line
            raise err.__cause__ from None
        raise


def _dry_optimizer(node: DictConfig) -> torch.optim.Optimizer:
    """The optimizer over one dummy parameter: torch checks its arguments (lr, betas, weight_decay...)."""
    factory = _build(node)
    try:
        return factory(params=[torch.nn.Parameter(torch.zeros(1))])
    except ValueError as err:  # "Invalid learning rate: -0.1"
        given = ", ".join(f"{k}={v}" for k, v in node.items() if not str(k).startswith("_"))
        raise ConfigError(f"optimizer: {err} ({node._target_} with {given})") from None
