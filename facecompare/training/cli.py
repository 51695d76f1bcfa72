"""``run_cli(cfg)``, what scripts/train.py runs: the config checked before Lightning loads (a mistyped value
is reported in seconds, not after ~5 s of imports), then training; known problems end in one line and exit
status 2."""

from __future__ import annotations

import logging
import math
import sys

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from facecompare.config.entry_point import EXIT_BAD_INPUT
from facecompare.config.failure import mark_failed, run_folder, user_error

log = logging.getLogger(__name__)


def _in_sweep() -> bool:
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def run_cli(cfg: DictConfig) -> float:
    """Entry for ``@hydra.main``: known problems exit with status 2 and one line on stderr. Returns the best
    validation AUC, the value Hydra sweepers optimise.

    In a sweep (``-m``, ``hparams_search=...``) a known problem ends only its own job: the line is printed and
    logged and the job returns NaN, which an Optuna study records as a failed trial. Exiting would have ended
    the whole sweep at the first diverging trial."""
    try:
        from facecompare.training.precision import checked_training_config

        checked_training_config(cfg)
        from facecompare.training.train import train  # Lightning: only once the config holds

        metrics = train(cfg, checked=True)
    except Exception as err:
        message = user_error(err, run_folder(cfg))
        if message is None:
            raise
        mark_failed(run_folder(cfg), message)
        print(f"error: {message}", file=sys.stderr, flush=True)
        if _in_sweep():
            log.error("job failed: %s", message)
            return float("nan")
        sys.exit(EXIT_BAD_INPUT)
    auc = metrics.get("best/val/auc", metrics.get("val/auc", float("nan")))
    return auc if math.isfinite(auc) else float("nan")
