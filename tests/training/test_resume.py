"""A resumed run's config against its checkpoint's, checked before any work."""

import logging
import shutil

import pytest

from facecompare.errors import ConfigError
from facecompare.training.resume import check_resume, differences


def test_differences_name_the_leaves():
    saved = {"backbone": {"widths": [8, 16], "dim": 4}, "loss": {"margin": 1.0}}
    current = {"backbone": {"widths": [8, 32], "dim": 4}, "loss": {"margin": 1.0, "pos_margin": 0.5}}
    assert differences(saved, current, ("backbone", "loss")) == [
        "backbone.widths: [8, 16] -> [8, 32]",
        "loss.pos_margin: (absent) -> 0.5",
    ]


def test_a_config_the_weights_do_not_fit_stops_with_the_runs_own_overrides(make_cfg, tiny_checkpoint, tmp_path):
    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text("- backbone.widths=[8,16,32,64]\n- seed=3\n")
    ckpt = run / "checkpoints" / "last.ckpt"
    ckpt.parent.mkdir()
    shutil.copyfile(tiny_checkpoint, ckpt)
    with pytest.raises(ConfigError) as err:
        check_resume(make_cfg(f"ckpt_path={ckpt}", "backbone.widths=[8,16,32,64]"))
    message = str(err.value)
    assert "backbone.widths: [16, 32, 64, 128] -> [8, 16, 32, 64]" in message
    assert "backbone.widths=[8,16,32,64] seed=3" in message and "overrides.yaml" in message


@pytest.mark.slow
def test_other_changes_are_logged_and_allowed(make_cfg, tiny_checkpoint, caplog):
    check_resume(make_cfg())  # no ckpt_path: nothing to check
    with caplog.at_level(logging.INFO, logger="facecompare.training.resume"):
        check_resume(make_cfg(f"ckpt_path={tiny_checkpoint}"))
        assert not caplog.records  # the config it was trained with
        check_resume(make_cfg(f"ckpt_path={tiny_checkpoint}", "trainer.max_epochs=5"))
    assert "trainer.max_epochs: 1 -> 5" in caplog.text


def test_a_partial_fc_checkpoint_with_one_ranks_centres_is_refused(make_cfg, tiny_checkpoint, tmp_path):
    import torch

    from facecompare.checkpoint import read_checkpoint

    checkpoint = read_checkpoint(tiny_checkpoint)
    index = torch.arange(7)
    whole = {"loss.loss_fn.rows": torch.tensor([0, 7]), "loss.loss_fn.class_index": index}
    torch.save({**checkpoint, "state_dict": {**checkpoint["state_dict"], **whole}}, tmp_path / "whole.ckpt")
    check_resume(make_cfg(f"ckpt_path={tmp_path / 'whole.ckpt'}"))  # one process held every centre
    share = {**whole, "loss.loss_fn.rows": torch.tensor([0, 4])}
    torch.save({**checkpoint, "state_dict": {**checkpoint["state_dict"], **share}}, tmp_path / "share.ckpt")
    with pytest.raises(ConfigError, match=r"share\.ckpt: it holds the class centres of rows \[0, 4\] of 7"):
        check_resume(make_cfg(f"ckpt_path={tmp_path / 'share.ckpt'}"))
