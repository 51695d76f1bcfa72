"""Reading checkpoints from elsewhere: only facecompare's own classes are built, and a file that is not a
checkpoint gets one plain line."""

import pytest
import torch

from facecompare.errors import FacecompareError
from facecompare.training.checkpoint import load_embedder, read_checkpoint, untrusted_targets


def test_a_checkpoint_naming_another_callable_is_refused_before_it_runs(tiny_checkpoint, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    state = read_checkpoint(tiny_checkpoint)
    # weights_only=True loads this happily: it is only strings; instantiate would call open(victim, "w")
    state["facecompare_config"]["model"]["net"] = {"_target_": "builtins.open", "_args_": [str(victim), "w"]}
    torch.save(state, tmp_path / "evil.ckpt")
    with pytest.raises(FacecompareError, match=r"refused to build builtins\.open"):
        load_embedder(tmp_path / "evil.ckpt")
    assert victim.read_text() == "precious"


def test_targets_are_checked_at_every_depth_and_trusted_prefixes_can_be_added(monkeypatch):
    config = {"_target_": "facecompare.losses.BinaryPairLoss", "head": [{"_target_": "os.system", "_args_": ["x"]}]}
    assert untrusted_targets(config) == ["os.system"]
    assert untrusted_targets({"_target_": "facecompare.models.CompactCNN", "widths": [16, 32]}) == []
    assert untrusted_targets({"_target_": "mypkg.nets.Net"}) == ["mypkg.nets.Net"]
    monkeypatch.setenv("FACECOMPARE_TRUSTED_TARGETS", "mypkg.,other.")
    assert untrusted_targets({"_target_": "mypkg.nets.Net"}) == []


class Foreign:
    pass


def test_a_file_that_is_not_a_checkpoint_gets_one_line_without_unsafe_advice(tmp_path):
    (tmp_path / "photo.ckpt").write_bytes(b"\xff\xd8\xff\xe0 not a checkpoint")
    torch.save({"model": Foreign()}, tmp_path / "foreign.ckpt")  # a pickled object of some class
    for name in ("photo.ckpt", "foreign.ckpt"):
        with pytest.raises(FacecompareError) as err:
            read_checkpoint(tmp_path / name)
        message = str(err.value)
        assert message.startswith(str(tmp_path / name)) and "\n" not in message
        assert "weights_only" not in message
