"""trainer=ddp on two CPU processes (gloo): metrics equal the single-process ones, and each Hydra job, single
run or one job of a -m sweep, keeps one output folder however many processes it starts."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT

import facecompare.data.datamodule as datamodule_module
from facecompare.errors import ConfigError
from facecompare.training.ddp import hydra_job_command

HERE = Path(__file__).parent


def test_evaluation_pairs_are_shared_out_without_repeats(make_cfg, monkeypatch):
    from hydra.utils import instantiate

    dm = instantiate(make_cfg("data.val_pairs=33").data)
    dm.setup()
    _, pairs = dm.fixed_pairs("val")
    shares = []
    for rank in range(2):
        monkeypatch.setattr(datamodule_module, "rank_world", lambda rank=rank: (rank, 2))
        shares.append(list(dm.val_dataloader().sampler))
    assert [len(s) for s in shares] == [17, 16]
    assert sorted(shares[0] + shares[1]) == sorted(map(tuple, pairs.tolist()))
    # fewer pairs than processes: a process with none would leave the others waiting in the gather
    monkeypatch.setattr(datamodule_module, "rank_world", lambda: (0, 34))
    with pytest.raises(ConfigError, match="33 evaluation pairs for 34 processes"):
        dm.val_dataloader()


@pytest.mark.slow
def test_validation_metrics_of_two_processes_equal_one(tmp_path):
    # both at once: most of each is starting Python and importing torch, which overlaps well; their output goes
    # to files, as a full pipe would stall one process while the other is waited for
    procs = {}
    for devices in (1, 2):
        out = tmp_path / f"metrics{devices}.json"
        command = [sys.executable, str(HERE / "ddp_validate.py"), str(devices), str(out)]
        with open(tmp_path / f"stderr{devices}.txt", "w") as err:
            procs[devices] = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err)
    results = {}
    for devices, proc in procs.items():
        assert proc.wait(timeout=240) == 0, (tmp_path / f"stderr{devices}.txt").read_text()[-3000:]
        results[devices] = json.loads((tmp_path / f"metrics{devices}.json").read_text())
    assert results[1]["val/pairs"] == 101 and 0.0 < results[1]["val/auc"] < 1.0
    assert results[2] == results[1]  # Lightning's own sampler would have scored one pair twice: 102 pairs
    # hard negative mining: each process embedded half the training images, all hold the same whole table
    one, *two = (np.load(tmp_path / name) for name in ("hard1_rank0.npy", "hard2_rank0.npy", "hard2_rank1.npy"))
    assert np.array_equal(two[0], two[1])
    assert two[0].shape == one.shape and np.allclose(two[0], one, atol=1e-5)
    # training reads: each process its own part of the one process's epoch, together all of it
    alone, *shares = (json.loads((tmp_path / n).read_text()) for n in ("read1_rank0.json", "read2_rank0.json",
                                                                       "read2_rank1.json"))  # fmt: skip
    for kind in ("images", "pk"):
        count = 2 * len(shares[0][kind])  # an odd last batch of the one process's epoch is no process's
        both = [shares[b % 2][kind][b // 2] for b in range(count)]  # batch b is process b % 2's
        assert both == alone[kind][:count] and len(shares[1][kind]) == count // 2 > 0
    seen = [i for share in shares for batch in share["images"] for i in batch]
    assert len(seen) == len(set(seen)) > alone["train_images"] - 2 * len(alone["images"][0])  # once, but a remainder


@pytest.mark.slow
def test_multirun_with_ddp_keeps_one_folder_per_job_and_a_failing_job_ends_only_itself(tmp_path):
    from conftest import FAST

    sweep = tmp_path / "sweep"
    # job 0 asks for a bad value: it says why in one line after it started its second process, and the sweep
    # goes on to job 1 (sys.exit in a job ended the whole sweep there; Lightning's watch killed it)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts/train.py"), "-m", *FAST, "trainer=ddp_cpu", "loss=triplet",
         "optimizer.lr=-1,1e-3", "data.val_pairs=33", f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("error: optimizer: Invalid learning rate: -1") == 1
    assert "Traceback" not in proc.stderr
    assert sorted(p.name[:2] for p in sweep.iterdir() if p.is_dir()) == ["0_", "1_"]  # one folder per job
    (job,) = [p.parent for p in sweep.glob("*/metrics.json")]
    assert job.name.startswith("1_")  # none per process, and nothing beside the sweep
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep"]
    assert (job / "train_rank1.log").is_file() and (job / "checkpoints/last.ckpt").is_file()
    config = yaml.safe_load((job / ".hydra/config.yaml").read_text())
    assert config["loss"]["_target_"].endswith("TripletLoss") and config["optimizer"]["lr"] == 1e-3
    metrics = json.loads((job / "metrics.json").read_text())
    assert metrics["val/pairs"] == 33 and np.isfinite(metrics["test/auc"])
    assert proc.stdout.count("run folder:") == 1  # one report, from rank 0


def test_extra_processes_get_this_jobs_overrides_and_folder(monkeypatch):
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    job = OmegaConf.create(
        {"job": {"config_name": "train", "name": "train"}, "runtime": {"output_dir": "/runs/3_loss=triplet"},
         "overrides": {"task": ["loss=triplet", "trainer=ddp"]}}
    )  # fmt: skip
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: job))
    monkeypatch.setattr("hydra.utils.get_original_cwd", lambda: "/work")
    monkeypatch.setattr(sys, "argv", ["scripts/train.py", "-m", "loss=contrastive,triplet", "trainer=ddp"])
    command, cwd = hydra_job_command(1)
    assert cwd == "/work" and "-m" not in command and "loss=contrastive,triplet" not in command
    assert command[2:] == [
        "--config-name=train", "loss=triplet", "trainer=ddp", 'hydra.run.dir="/runs/3_loss=triplet"',
        "hydra.job.name=train_rank1", "hydra.output_subdir=null",
    ]  # fmt: skip


@pytest.mark.slow
def test_a_failed_extra_process_kills_the_sweep_only_if_its_job_does_not_end_itself(monkeypatch):
    # Lightning's watch SIGKILLed the main process (the whole -m sweep) as soon as an extra process failed, also
    # when the main process was ending that job itself; a stand-in main process is watched here
    from facecompare.training import ddp

    outcomes = []
    for ends_itself in (True, False):
        monkeypatch.setattr(ddp, "GRACE_S", 30.0 if ends_itself else 0.2)
        main = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(2)"])
        child.wait()
        watch = ddp._JobObserver(main.pid, [child])
        watch._sleep_period = 0.01
        watch.start()
        if ends_itself:
            threading.Timer(0.2, watch.stopped.set).start()  # finish_job, while the watch waits out its grace
        watch.join(timeout=60)
        outcomes.append(main.poll() if ends_itself else main.wait(timeout=30))  # a kill takes a moment
        main.kill()
        main.wait()
    assert outcomes == [None, -9]  # left alone, killed
