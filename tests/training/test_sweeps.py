"""Hyper-parameter search with Optuna (hparams_search=optuna) and the SLURM launcher config."""

import json
import subprocess
import sys

import pytest
import yaml
from conftest import CONF, FAST, ROOT
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra


@pytest.mark.slow
def test_optuna_search_maximises_the_best_validation_auc_and_resumes_from_its_database(tmp_path):
    db = f"sqlite:///{tmp_path / 'optuna.db'}"
    fast = [o for o in FAST if not o.startswith(("data.batch_size", "data.pairs_per_epoch"))]
    trials, results = [], []
    # one trial, then one more in a second sweep that resumes the study stored in the database (a modelled
    # one: a random one would repeat the first, its sampler seeded alike)
    for sweep, n_trials in (("first", 1), ("second", 1)):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "scripts/train.py"), "hparams_search=optuna_margin",
             f"hydra.sweeper.n_trials={n_trials}", "hydra.sweeper.sampler.n_startup_trials=1",
             f"hydra.sweeper.storage={db}", *fast, "data.pairs_per_epoch=128", "test=false",
             f"hydra.sweep.dir={tmp_path / sweep}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        trials += sorted(p for p in (tmp_path / sweep).iterdir() if p.is_dir())
        results.append(yaml.safe_load((tmp_path / sweep / "optimization_results.yaml").read_text()))
    assert [p.name[:2] for p in trials] == ["0_", "0_"]  # Hydra numbers the jobs of each sweep
    aucs, tried = [], []
    for trial in trials:
        aucs.append(json.loads((trial / "metrics.json").read_text())["best/val/auc"])
        cfg = yaml.safe_load((trial / ".hydra/config.yaml").read_text())
        tried.append(cfg)
        assert 1e-4 <= cfg["optimizer"]["lr"] <= 3e-3 and cfg["backbone"]["embedding_dim"] in (64, 128, 256)
        assert 0.1 <= cfg["loss"]["margin"] <= 1.5 and cfg["data"]["batch_size"] in (32, 64, 128)
    assert len({c["optimizer"]["lr"] for c in tried}) == 2  # each trial tried something else
    assert results[0]["best_value"] == aucs[0]
    assert results[1]["best_value"] == max(aucs)  # the resumed study knows the first sweep's trials
    best = tried[aucs.index(max(aucs))]
    assert results[1]["best_params"]["optimizer.lr"] == best["optimizer"]["lr"]
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
