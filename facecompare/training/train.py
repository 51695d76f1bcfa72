"""``train(cfg)``: build everything a Hydra config selects, fit, test, report. scripts/train.py calls it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import TensorBoardLogger

from facecompare.allocator import retain_freed_memory
from facecompare.atomic import atomic_write_text, remove_stale_temporaries
from facecompare.checkpoint import CHECKPOINT_KEY, read_checkpoint
from facecompare.errors import ConfigError
from facecompare.training.callbacks.record_config import RecordConfig
from facecompare.training.checkpoint_io import AtomicCheckpointIO
from facecompare.training.ddp import finish_job
from facecompare.training.precision import checked_training_config
from facecompare.training.resume import check_resume

log = logging.getLogger(__name__)


# the network before fitting, with evaluate_start=true
START_CHECKPOINT = "start.ckpt"


def _build_all(group: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a dict-of-configs group; ``null`` entries are switched off."""
    return [instantiate(node) for node in (group or {}).values() if node is not None and "_target_" in node]


def _set_allocator(cfg: DictConfig) -> None:
    setting = cfg.get("retain_freed_memory", "auto")
    if setting not in (True, False, "auto"):
        raise ConfigError(f"retain_freed_memory must be true, false or auto, got {setting!r}")
    if setting == "auto":
        accelerator = cfg.trainer.get("accelerator", "auto")
        setting = accelerator == "cpu" or (accelerator == "auto" and not torch.cuda.is_available())
    if setting and retain_freed_memory():
        log.info("malloc keeps freed memory for reuse (retain_freed_memory): faster CPU steps, peak memory held")


def _remove_killed_saves(cfg: DictConfig) -> None:
    # A save killed mid-write leaves its temporary file beside the checkpoints: the run resuming from them (or a
    # run reusing the folder) removes those whose process is gone, never a live process's save in flight.
    callbacks = (cfg.get("callbacks") or {}).values()
    folders = {Path(c.dirpath) for c in callbacks if c is not None and c.get("dirpath")}
    if cfg.get("ckpt_path"):
        folders.add(Path(cfg.ckpt_path).parent)
    removed = sum(remove_stale_temporaries(folder, ".ckpt") for folder in folders if folder.is_dir())
    if removed:
        log.info("removed %d temporary file(s) of checkpoint saves that were killed", removed)


def train(cfg: DictConfig, checked: bool = False) -> dict[str, float]:
    """Fit (and optionally test) the model ``cfg`` describes; returns the final metrics. ``checked``: the
    caller ran ``checked_training_config`` on ``cfg`` already (training/cli.py does, before Lightning loads)."""
    if not checked:
        checked_training_config(cfg)
    resumed = check_resume(cfg)
    _remove_killed_saves(cfg)
    _set_allocator(cfg)
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True, verbose=False)

    datamodule = instantiate(cfg.data)
    if resumed is not None:
        datamodule.resume_at(resumed)
        del resumed  # the weights are Lightning's to load
    model = instantiate(cfg.model)
    callbacks = [*_build_all(cfg.get("callbacks")), RecordConfig(OmegaConf.to_container(cfg, resolve=True))]
    loggers = _build_all(cfg.get("logger"))
    trainer: pl.Trainer = instantiate(
        cfg.trainer, callbacks=callbacks, logger=loggers or False, plugins=[AtomicCheckpointIO()]
    )
    try:
        metrics = _fit_test_report(cfg, trainer, model, datamodule)
    except BaseException:
        finish_job(trainer, failed=True)
        raise
    finish_job(trainer)  # DDP: the extra processes are done and the next job of a sweep starts clean
    return metrics


def _tests(cfg: DictConfig, datamodule: Any) -> bool:
    """Whether the run scores test pairs: asked for, and the data has a test split."""
    return bool(cfg.get("test")) and datamodule.faces is not None and datamodule.faces.test is not None


def _evaluate_start(cfg: DictConfig, trainer: pl.Trainer, model: Any, datamodule: Any) -> dict[str, float]:
    """The network as it starts (pretrained weights) on validation, which calibrates its threshold, and on the
    test pairs, saved as checkpoints/start.ckpt: a fine-tuning run reports what it began from on the same
    pairs, and the untouched network can be evaluated and exported like any checkpoint."""
    trainer.validate(model, datamodule=datamodule, verbose=False)
    start = {f"start/{k}": float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
    if _tests(cfg, datamodule):
        trainer.test(model, datamodule=datamodule, verbose=False)
        start.update({f"start/{k}": float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test/")})
    # a whole checkpoint: the callbacks' part holds the run's config (Lightning's weights_only here is about saving,
    # and without it Lightning logs that it defaults to False, which reads like unsafe loading)
    trainer.save_checkpoint(Path(cfg.paths.output_dir) / "checkpoints" / START_CHECKPOINT, weights_only=False)
    # their states were made under validate's inference mode, which fitting's validation cannot update
    model.val_metrics.reset()
    model.test_metrics.reset()
    return start


def _fit_test_report(cfg: DictConfig, trainer: pl.Trainer, model: Any, datamodule: Any) -> dict[str, float]:
    resumed = cfg.get("ckpt_path") is not None  # its first run evaluated the start
    start = _evaluate_start(cfg, trainer, model, datamodule) if cfg.get("evaluate_start") and not resumed else {}
    # Our checkpoints hold only tensors and plain containers, so they resume with weights_only=True.
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"), weights_only=True)

    metrics = {**start, **{k: float(v) for k, v in trainer.callback_metrics.items()}}
    # read before testing: under DDP, trainer.test() forgets the unmonitored checkpoint's path
    best, last = checkpoint_paths(trainer)
    if best:
        info = read_checkpoint(best).get(CHECKPOINT_KEY, {})
        metrics.update({f"best/val/{k}": v for k, v in info.get("val_metrics", {}).items()})
    if _tests(cfg, datamodule):
        trainer.test(model, datamodule=datamodule, ckpt_path=best or None, weights_only=True, verbose=False)
        metrics.update({k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test/")})

    log_hyperparameters(trainer, cfg, metrics)
    if trainer.is_global_zero:  # under DDP every process gets here with the same (gathered) metrics
        out_dir = Path(cfg.paths.output_dir)
        atomic_write_text(out_dir / "metrics.json", json.dumps(metrics, indent=1, sort_keys=True))
        print(report(out_dir, trainer, metrics, best, last), flush=True)
    return metrics


def log_hyperparameters(trainer: pl.Trainer, cfg: DictConfig, metrics: dict[str, float]) -> None:
    """Record the resolved config with every logger; TensorBoard's HParams view also gets the best AUC."""
    params = OmegaConf.to_container(cfg, resolve=True)
    for lg in trainer.loggers:
        if isinstance(lg, TensorBoardLogger):
            lg.log_hyperparams(params, {"hp/val_auc": metrics.get("best/val/auc", float("nan"))})
        else:
            lg.log_hyperparams(params)


def _fmt(metrics: dict[str, float], prefix: str) -> str:
    keys = ("auc", "eer", "acc", "threshold", "tar@far1e-2", "acc_at_threshold")
    parts = [f"{k} {metrics[prefix + k]:.4f}" for k in keys if prefix + k in metrics]
    return "  ".join(parts) if parts else "(none)"


def checkpoint_paths(trainer: pl.Trainer) -> tuple[str, str]:
    """(best on the monitored metric, latest) checkpoint files written in this run; "" where none."""
    best = last = ""
    for cb in trainer.checkpoint_callbacks:
        if cb.monitor is not None and cb.best_model_path:
            best = cb.best_model_path
        elif cb.monitor is None and cb.best_model_path:
            last = cb.best_model_path  # monitor=None, top-1: the most recent save
        last = last or cb.last_model_path
    return best, last


def report(out_dir: Path, trainer: pl.Trainer, metrics: dict[str, float], best: str, last: str) -> str:
    lines = [f"run folder:       {out_dir}"]
    if best:
        lines.append(f"best checkpoint:  {best}")
    lines.append(f"last checkpoint:  {last or '(none)'}")
    if trainer.loggers:
        logger = trainer.loggers[0]
        view = f"  (tensorboard --logdir {out_dir.parent})" if isinstance(logger, TensorBoardLogger) else ""
        lines.append(f"logs:             {logger.log_dir}{view}")
    lines.append(f"validation, best: {_fmt(metrics, 'best/val/')}")
    lines.append(f"validation, last: {_fmt(metrics, 'val/')}")
    if any(k.startswith("test/") for k in metrics):
        lines.append(f"test:             {_fmt(metrics, 'test/')}  (threshold from validation)")
    if any(k.startswith("start/") for k in metrics):  # evaluate_start: the network before fitting
        lines.append(f"start, val:       {_fmt(metrics, 'start/val/')}")
        if any(k.startswith("start/test/") for k in metrics):
            lines.append(f"start, test:      {_fmt(metrics, 'start/test/')}  (its own validation threshold)")
    return "\n".join(lines)
