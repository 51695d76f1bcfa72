"""``trainer.precision: auto``: bf16 where the hardware computes it natively, full precision where it does not.

On a CPU without bf16 instructions, bf16 autocast is emulated and several times slower than float32, while on
one with AVX512-BF16 bf16 is the faster (benchmarks/RESULTS.md). So a recipe cannot name one precision for
every machine.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import torch
from omegaconf import DictConfig, open_dict

from facecompare.config import check_config

log = logging.getLogger(__name__)

# x86 AVX512-BF16 / AMX-BF16 (Linux /proc/cpuinfo "flags"), Arm's BF16 extension ("Features")
_BF16_FLAGS = {"avx512_bf16", "amx_bf16", "bf16"}


def cpu_has_native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether the CPU has bf16 arithmetic instructions; False where that cannot be read (not Linux)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features") and _BF16_FLAGS & set(value.split()):
            return True
    return False


def _uses_gpu(accelerator: str) -> bool:
    return accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())


def _uses_cpu(accelerator: str) -> bool:
    return accelerator == "cpu" or (accelerator == "auto" and not torch.cuda.is_available())


def resolve_precision(precision: str, accelerator: str, cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """``auto`` becomes bf16-mixed on GPUs that support it (16-mixed on older ones) and on CPUs with native
    bf16, else 32-true (also on other accelerators); any other value is kept, with a warning when it asks
    for bf16 on a CPU that would emulate it."""
    precision, accelerator = str(precision), str(accelerator)
    cpu = _uses_cpu(accelerator)
    if precision == "auto":
        if _uses_gpu(accelerator):
            # without CUDA here the trainer itself will say so; bf16 is what a GPU run is configured for
            return "bf16-mixed" if not torch.cuda.is_available() or torch.cuda.is_bf16_supported() else "16-mixed"
        return "bf16-mixed" if cpu and cpu_has_native_bf16(cpuinfo) else "32-true"
    if precision.startswith("bf16") and cpu and not cpu_has_native_bf16(cpuinfo):
        log.warning(
            "trainer.precision=%s on a CPU without bf16 instructions (%s): bf16 is emulated and can be several "
            "times slower than 32-true; trainer.precision=auto picks what this machine runs natively",
            precision,
            platform.machine(),
        )
    return precision


def checked_training_config(cfg: DictConfig) -> None:
    """``trainer.precision: auto`` resolved in the config itself (so the checkpoint and the logged
    hyper-parameters say what ran, and the trainer's arguments are checked with it), then everything a
    training config can be checked for before any work (facecompare.config.check_config)."""
    asked = cfg.trainer.get("precision", "32-true")
    chosen = resolve_precision(asked, cfg.trainer.get("accelerator", "auto"))
    if chosen != str(asked):
        with open_dict(cfg):
            cfg.trainer.precision = chosen
        log.info("trainer.precision=%s: %s on this machine", asked, chosen)
    check_config(cfg, "train")
