"""trainer=ddp on two CPU processes (gloo): metrics equal the single-process ones, and each Hydra job, single
run or one job of a -m sweep, keeps one output folder however many processes it starts."""

import json
import runpy
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
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
def test_validation_metrics_of_two_processes_equal_one(tmp_path, monkeypatch):
    # the two processes started first, then the one-process run here, in this process that has imported
    # Lightning already (a third interpreter would spend 7 s of the suite's CPU importing it again); their output
    # goes to a file, as a full pipe would stall a process
    command = [sys.executable, str(HERE / "ddp_validate.py"), "2", str(tmp_path / "metrics2.json")]
    with open(tmp_path / "stderr2.txt", "w") as err:
        proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err)
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(sys, "argv", ["ddp_validate.py", "1", str(tmp_path / "metrics1.json")])
        monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts tests/ first
        for name in ("PL_GLOBAL_SEED", "PL_SEED_WORKERS"):  # set by its seed_everything: not for later tests
            monkeypatch.delenv(name, raising=False)
        runpy.run_path(str(HERE / "ddp_validate.py"), run_name="__main__")
    finally:
        assert proc.wait(timeout=240) == 0, (tmp_path / "stderr2.txt").read_text()[-3000:]
    results = {d: json.loads((tmp_path / f"metrics{d}.json").read_text()) for d in (1, 2)}
    assert results[1]["val/pairs"] == 101 and 0.0 < results[1]["val/auc"] < 1.0
    assert results[2] == results[1]  # Lightning's own sampler would have scored one pair twice: 102 pairs
    # hard negative mining: each process embedded half the training images, all hold the same whole table
    one, *two = (np.load(tmp_path / name) for name in ("hard1_rank0.npy", "hard2_rank0.npy", "hard2_rank1.npy"))
    assert np.array_equal(two[0], two[1])
    assert two[0].shape == one.shape and np.allclose(two[0], one, atol=1e-5)
    # the .bin sets scored during training: each process embedded its share (19 and 18 of 37), all hold them all
    one, *two = (np.load(tmp_path / name) for name in ("sets1_rank0.npy", "sets2_rank0.npy", "sets2_rank1.npy"))
    assert np.array_equal(two[0], two[1]) and two[0].shape == one.shape == (37, one.shape[1])
    assert np.allclose(two[0], one, atol=1e-5)
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
    from conftest import FAST, compose_train

    from facecompare.training.train import train

    sweep = tmp_path / "sweep"
    # job 0 asks for a bad value: it says why in one line after it started its second process, and the sweep
    # goes on to job 1 (sys.exit in a job ended the whole sweep there; Lightning's watch killed it). Partial FC:
    # each process holds half the class centres, and the checkpoint must hold them all.
    same = ["loss=partial_fc", "optimizer.lr=1e-3", "data.val_pairs=33"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts/train.py"), "-m", *FAST, "trainer=ddp_cpu", *same,
         "optimizer.lr=-1,1e-3", f"hydra.sweep.dir={sweep}"],
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
    assert config["loss"]["_target_"].endswith("PartialFCLoss") and config["optimizer"]["lr"] == 1e-3
    metrics = json.loads((job / "metrics.json").read_text())
    assert metrics["val/pairs"] == 33 and np.isfinite(metrics["test/auc"])
    assert proc.stdout.count("run folder:") == 1  # one report, from rank 0
    # every process's centres and their AdamW moments in the checkpoint, not rank 0's half
    ckpt = torch.load(job / "checkpoints/last.ckpt", weights_only=True)
    state, optimizer = ckpt["state_dict"], ckpt["optimizer_states"][0]
    classes = int((state["loss.class_index"] >= 0).sum())
    assert state["loss.rows"].tolist() == [0, classes] and len(state["loss.weight"]) == classes > 1
    (group,) = [g for g in optimizer["param_groups"] if g.get("name") == "centres"]
    moments = optimizer["state"][group["params"][0]]
    assert moments["exp_avg"].shape == moments["exp_avg_sq"].shape == state["loss.weight"].shape
    # which one process resumes (a run of 8 GPUs goes on on 4, or on one): it was refused before. Quoted: the job
    # folder's name holds an '='.
    more = train(compose_train([*same, "trainer.max_epochs=2", f"ckpt_path='{job / 'checkpoints/last.ckpt'}'"],
                               tmp_path / "resumed"))  # fmt: skip
    resumed = torch.load(tmp_path / "resumed/checkpoints/last.ckpt", weights_only=True)
    assert resumed["epoch"] == 1 and resumed["global_step"] > ckpt["global_step"] and np.isfinite(more["train/loss"])


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
