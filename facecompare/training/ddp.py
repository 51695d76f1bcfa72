"""``trainer=ddp``: Lightning's DDP, with the extra processes of a Hydra job started the way Hydra needs.

Samplers draw the whole epoch from the shared seed and keep every ``world``-th item from their ``rank``, so
the processes see disjoint shares of the same draw. Evaluation pairs are shared out the same way, and the
metrics gather every process's scores before they are computed (``evaluation.metrics.PairMetrics``), so
they equal the single-process metrics (tests/training/test_ddp.py).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from lightning_fabric.strategies.launchers.subprocess_script import _ChildProcessObserver
from lightning_fabric.utilities.distributed import _set_num_threads_if_needed
from pytorch_lightning.strategies import DDPStrategy
from pytorch_lightning.strategies.launchers import subprocess_script

# how long the main process has to end a job itself after one of its extra processes failed
GRACE_S = 30.0


def hydra_job_command(local_rank: int) -> tuple[list[str], str]:
    """The command that starts process ``local_rank`` of this Hydra job.

    Lightning's own re-runs ``sys.argv``: under ``-m`` every extra process would start the whole sweep again
    and write to a folder of its own. This one gives it this job's overrides only, this job's output folder,
    no ``.hydra`` folder of its own (rank 0 wrote it), and a log file of its own (``train_rank1.log``)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import get_original_cwd, to_absolute_path

    hydra_cfg = HydraConfig.get()
    command = [sys.executable, to_absolute_path(sys.argv[0]), f"--config-name={hydra_cfg.job.config_name}"]
    command += [arg for arg in sys.argv[1:] if arg.startswith(("--config-dir", "--config-path", "-cd", "-cp"))]
    command += list(hydra_cfg.overrides.task)
    command += [
        f'hydra.run.dir="{hydra_cfg.runtime.output_dir}"',  # quoted: sweep folder names hold "="
        f"hydra.job.name={hydra_cfg.job.name}_rank{local_rank}",
        "hydra.output_subdir=null",
    ]
    return command, get_original_cwd()


# What Lightning's launcher writes into the launching process's environment; while LOCAL_RANK is set,
# Lightning believes someone else starts the processes, so the next job of a sweep would start none.
LAUNCH_ENV = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")


class _JobObserver(_ChildProcessObserver):
    """Lightning's watch over the extra processes SIGKILLs the main process as soon as one of them fails, and
    with it the whole ``-m`` sweep. A bad config fails every process of a job at once, and the main process
    ends the job itself (finish_job stops the watch), so it gets GRACE_S to do so; a main process hung
    waiting for a dead one is still killed after that."""

    def __init__(self, main_pid: int, child_processes: list) -> None:
        super().__init__(main_pid=main_pid, child_processes=child_processes)
        self.stopped = threading.Event()

    def _run(self) -> bool:
        return True if self.stopped.is_set() else super()._run()

    def _terminate_all(self) -> None:
        if not self.stopped.wait(GRACE_S):
            super()._terminate_all()


class _HydraJobLauncher(subprocess_script._SubprocessScriptLauncher):
    observer: _JobObserver | None = None

    def launch(self, function: Callable, *args: Any, trainer: pl.Trainer | None = None, **kwargs: Any) -> Any:
        # Lightning's launch, with the watch above in place of its own
        self.cluster_environment.validate_settings(num_devices=self.num_processes, num_nodes=self.num_nodes)
        if not self.cluster_environment.creates_processes_externally:
            self._call_children_scripts()
            self.observer = _JobObserver(main_pid=os.getpid(), child_processes=self.procs)
            self.observer.start()
        _set_num_threads_if_needed(num_processes=self.num_processes)
        return function(*args, **kwargs)

    def _call_children_scripts(self) -> None:
        self.saved_env = {key: os.environ.get(key) for key in LAUNCH_ENV}
        # Lightning builds the command through this module-level helper; swap in ours for the duration.
        original = subprocess_script._hydra_subprocess_cmd
        subprocess_script._hydra_subprocess_cmd = hydra_job_command
        try:
            super()._call_children_scripts()
        finally:
            subprocess_script._hydra_subprocess_cmd = original


def finish_job(trainer: pl.Trainer, failed: bool = False, timeout_s: float = 300.0) -> None:
    """End this job's processes so that the next job of a ``-m`` sweep starts clean: wait for the processes
    this one started (stop them if this one ``failed``: they would wait for it forever), close the process
    group, and give back the environment as it was before the launch."""
    launcher = getattr(trainer.strategy, "launcher", None)
    if not isinstance(launcher, _HydraJobLauncher) or not launcher.procs:
        return
    if launcher.observer is not None:  # this job ends its processes itself, the sweep goes on
        launcher.observer.stopped.set()
    for proc in launcher.procs:
        if failed:
            proc.kill()
        proc.wait(timeout=timeout_s)
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    for key, value in launcher.saved_env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class HydraJobDDPStrategy(DDPStrategy):
    """Lightning's DDP, with the extra processes of a Hydra job (single run or one job of a ``-m`` sweep)
    started into that job's folder (``hydra_job_command``). Used by ``trainer=ddp``."""

    def _configure_launcher(self) -> None:
        super()._configure_launcher()
        if isinstance(self._launcher, subprocess_script._SubprocessScriptLauncher):
            self._launcher = _HydraJobLauncher(self.cluster_environment, self.num_processes, self.num_nodes)
