"""A run resumed into a new folder keeps the best checkpoint it had before the kill."""

import hashlib
from pathlib import Path

import pytest
import torch

from facecompare.checkpoint import read_checkpoint
from facecompare.training.train import train


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_a_resumed_run_carries_its_best_checkpoint_into_the_new_folder(make_cfg, tmp_path):
    first = tmp_path / "first"
    train(make_cfg("trainer.max_epochs=2", "test=false", "callbacks.early_stopping=null", output_dir=first))
    old = first / "checkpoints"
    (best,) = old.glob("epoch_*.ckpt")
    # Make the pre-kill best unbeatable (AUC 1.0), so that a later epoch must not take its place.
    state = read_checkpoint(old / "last.ckpt")
    key = next(k for k in state["callbacks"] if k.startswith("ModelCheckpoint{'monitor': 'val/auc'"))
    state["callbacks"][key]["best_model_score"] = torch.tensor(1.0)
    state["callbacks"][key]["best_k_models"] = {str(best): torch.tensor(1.0)}
    torch.save(state, old / "last.ckpt")
    before = digests(old)

    second = tmp_path / "second"
    cfg = make_cfg(
        "trainer.max_epochs=3", f"ckpt_path={old / 'last.ckpt'}", "callbacks.early_stopping=null", output_dir=second
    )
    metrics = train(cfg)

    new = second / "checkpoints"
    assert sorted(p.name for p in new.glob("*.ckpt")) == [best.name, "last.ckpt"]
    assert (new / best.name).read_bytes() == best.read_bytes()  # the copy, tested and reported as the best
    assert metrics["best/val/auc"] == read_checkpoint(best)["facecompare"]["val_metrics"]["auc"]
    assert metrics["test/auc"] >= 0 and read_checkpoint(new / "last.ckpt")["epoch"] == 2  # the third
    assert digests(old) == before  # the old run folder is left as it was
