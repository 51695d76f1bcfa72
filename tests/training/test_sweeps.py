"""Hyper-parameter search with Optuna (hparams_search=optuna) and the SLURM launcher config."""

import json
import subprocess
import sys

import yaml
from conftest import CONF, FAST, ROOT
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra


def test_optuna_search_maximises_the_best_validation_auc(tmp_path):
    sweep = tmp_path / "sweep"
    fast = [o for o in FAST if not o.startswith(("data.batch_size", "data.pairs_per_epoch"))]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts/train.py"), "hparams_search=optuna_margin", "hydra.sweeper.n_trials=3",
         "hydra.sweeper.sampler.n_startup_trials=2", *fast, "data.pairs_per_epoch=128", "test=false",
         f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    trials = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert [p.name[:2] for p in trials] == ["0_", "1_", "2_"]
    aucs, tried = [], []
    for trial in trials:
        aucs.append(json.loads((trial / "metrics.json").read_text())["best/val/auc"])
        cfg = yaml.safe_load((trial / ".hydra/config.yaml").read_text())
        tried.append(cfg)
        assert 1e-4 <= cfg["optimizer"]["lr"] <= 3e-3 and cfg["backbone"]["embedding_dim"] in (64, 128, 256)
        assert 0.1 <= cfg["loss"]["margin"] <= 1.5 and cfg["data"]["batch_size"] in (32, 64, 128)
    assert len({c["optimizer"]["lr"] for c in tried}) == 3  # each trial tried something else
    result = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert result["best_value"] == max(aucs)
    best = tried[aucs.index(max(aucs))]
    assert result["best_params"]["optimizer.lr"] == best["optimizer"]["lr"]


def test_a_study_in_a_database_is_resumed(tmp_path):
    db = f"sqlite:///{tmp_path / 'optuna.db'}"
    fast = [o for o in FAST if not o.startswith(("data.batch_size", "data.pairs_per_epoch"))]
    for sweep in ("first", "second"):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "scripts/train.py"), "hparams_search=optuna", "hydra.sweeper.n_trials=1",
             f"hydra.sweeper.storage={db}", *fast, "data.pairs_per_epoch=128", "data.batch_size=32", "test=false",
             f"hydra.sweep.dir={tmp_path / sweep}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
    import optuna

    study = optuna.load_study(study_name="facecompare", storage=db)
    assert [t.number for t in study.trials] == [0, 1] and all(t.value is not None for t in study.trials)


def test_slurm_launcher_config_runs_one_task_per_gpu():
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(
            "train", overrides=["hydra/launcher=slurm", "hydra.launcher.gpus_per_node=8"], return_hydra_config=True
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert launcher.tasks_per_node == 8 and launcher.timeout_min == 240 and launcher.partition is None
