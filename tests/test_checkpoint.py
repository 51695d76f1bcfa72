"""Reading checkpoints from elsewhere: only facecompare's own classes are built, and a file that is not a
checkpoint gets one plain line."""

import pytest
import torch

from facecompare.checkpoint import load_embedder, read_checkpoint, untrusted_targets
from facecompare.errors import FacecompareError


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


@pytest.mark.slow
def test_a_quality_branch_comes_back_with_its_weights(make_cfg, tmp_path):
    from facecompare.training.train import train

    train(make_cfg("face_quality=branch", "test=false"))
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    net, _, info = load_embedder(ckpt)
    branch = info["quality_branch"]
    saved = {k: v for k, v in read_checkpoint(ckpt)["state_dict"].items() if k.startswith("quality_branch.")}
    assert saved and all(torch.equal(branch.state_dict()[k[len("quality_branch.") :]], v) for k, v in saved.items())
    assert not branch.training and branch.embedding_dim == net.embedding_dim


def test_a_checkpoint_without_a_branch_has_none(tiny_checkpoint):
    assert load_embedder(tiny_checkpoint)[2]["quality_branch"] is None
