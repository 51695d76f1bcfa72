"""``check_config(cfg, entry)``: everything a script can check about its config before any work."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from facecompare.config.arguments import check_arguments
from facecompare.config.entries import check_entry
from facecompare.config.required import check_required
from facecompare.torch_archive import existing_checkpoint

# what each script instantiates: the rest of its config groups it never builds (audit.yaml's `data` has the
# training-only `data.augment`, whose `${seed}` it does not define)
BUILT = {"train": ("",), "evaluate": ("data.source", "detector"), "export": (), "align": ("data.source", "detector"),
         "audit": ("data.source.preprocess", "detector"), "pack": ("data.source", "detector")}  # fmt: skip
# a training config's subtrees whose targets import Lightning: their arguments are checked after the others'
LIGHTNING_ROOTS = ("data", "model", "trainer", "callbacks", "logger")


def check_config(cfg: DictConfig, entry: str) -> None:
    """Raise ConfigError, naming the key, the value and what is allowed, for the first problem found:
    a missing value, a top-level value of the ``entry`` script (train, evaluate, export, align, audit, pack), an
    argument of a ``_target_`` node, and for training the rules between groups (facecompare.config.training).
    """
    if entry in ("evaluate", "audit"):  # their open face settings are the checkpoint's, read later
        from facecompare.evaluation.trained_faces import open_settings_filled

        cfg = open_settings_filled(cfg)
    check_required(cfg)
    check_entry(cfg, entry)
    _check_checkpoint_exists(cfg)  # before the argument check, which imports what it checks (torch, detectors)
    check_arguments(cfg, BUILT[entry], late=LIGHTNING_ROOTS if entry == "train" else ())
    if entry == "train":
        from facecompare.config.training import check_training  # torch, which the other checks do not need

        check_training(cfg)


def _check_checkpoint_exists(cfg: DictConfig) -> None:
    # before the scripts import their evaluation and export code (seconds of torch, torchmetrics and ONNX): a
    # mistyped path is the most common mistake with these scripts
    ckpt = cfg.ckpt if "ckpt" in cfg and not OmegaConf.is_missing(cfg, "ckpt") else None
    if isinstance(ckpt, str):
        existing_checkpoint(ckpt)
