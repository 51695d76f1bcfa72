"""SiameseModule's speed options: channels-last and torch.compile change the speed, not the numbers."""

import pytest
import torch
from hydra.utils import instantiate

from facecompare.checkpoint import read_checkpoint
from facecompare.training.train import train


def test_channels_last_embeds_as_the_contiguous_network(make_cfg):
    cfg = make_cfg("model.channels_last=false")
    torch.manual_seed(0)
    plain = instantiate(cfg.model)
    torch.manual_seed(0)
    fast = instantiate(make_cfg("model.channels_last=true").model)
    fast.configure_model()
    conv = next(m for m in fast.net.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8)
    plain.eval(), fast.eval()
    with torch.no_grad():
        assert torch.allclose(plain.embed(images), fast.embed(images), atol=1e-5)


@pytest.mark.slow
def test_compiled_training_keeps_plain_checkpoint_keys(make_cfg, tmp_path):
    # backend=eager: dynamo traces the network (the part that can break) without the slow inductor compile
    cfg = make_cfg("+model.compile={backend: eager}")
    metrics = train(cfg)
    assert torch.isfinite(torch.tensor(metrics["train/loss"]))
    state = read_checkpoint(next((tmp_path / "run" / "checkpoints").glob("last.ckpt")))["state_dict"]
    assert all(k.startswith(("net.", "loss.", "val_metrics.", "test_metrics.")) for k in state), list(state)[:5]
    assert not any("_orig_mod" in k for k in state)


@pytest.mark.slow
@pytest.mark.parametrize("value", [True, {"mode": "reduce-overhead"}])
def test_compile_options(make_cfg, value):
    module = instantiate(make_cfg().model, compile=value)
    assert module.compile_options == ({} if value is True else value)


def test_evaluation_runs_in_float32_under_bf16_autocast(make_cfg, monkeypatch):
    module = instantiate(make_cfg().model).eval()
    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=generator) for _ in range(2))
    scored = []
    monkeypatch.setattr(module.val_metrics, "update", lambda scores, same: scored.append(scores))
    with torch.no_grad():
        exact = module.score(a, b)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert module.embed(a).dtype == torch.float32  # what the losses see
            module.validation_step((a, b, torch.ones(8)), 0)
    # the float32 model's scores, not bf16's grid: the threshold calibrated here is the exported model's
    assert scored[0].dtype == torch.float32 and torch.equal(scored[0], exact)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["triplet", "multi_similarity", "margin_softmax", "contrastive", "binary"])
def test_training_loss_runs_outside_bf16_autocast(make_cfg, monkeypatch, loss):
    # pytorch-metric-learning's matrix products would otherwise be recast to bf16 (a cosine triplet loss of
    # 0.1850 came out 0.1846); the network itself may run in bf16
    module = instantiate(make_cfg(f"loss={loss}").model)
    if loss == "margin_softmax":
        module.loss.fit_classes(torch.arange(4))
    monkeypatch.setattr(module, "log", lambda *args, **kwargs: None)
    monkeypatch.setattr(module, "log_dict", lambda *args, **kwargs: None)
    seen = []
    forward = module.loss.forward
    monkeypatch.setattr(module.loss, "forward", lambda *a: seen.append(torch.is_autocast_enabled("cpu")) or forward(*a))
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    if module.loss.batch_kind in ("pk", "images"):  # labelled images
        batch = (images, torch.tensor([0, 0, 1, 1, 2, 2, 3, 3]))
    else:
        batch = (images[:4], images[4:], torch.tensor([1, 0, 1, 0]))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        loss_value = module.training_step(batch, 0)
    assert seen == [False] and loss_value.dtype == torch.float32


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["contrastive", "multi_similarity"])  # pair batches and P x K batches
def test_the_quality_branch_learns_beside_the_embedding_without_moving_it(make_cfg, loss):
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=generator)
    if loss == "contrastive":
        batch = (images[:4], images[4:], torch.tensor([1.0, 0.0, 1.0, 1.0]))
    else:
        batch = (images, torch.tensor([0, 0, 1, 1, 2, 2, 3, 3]))
    grads, losses = [], []
    for quality in ([], ["face_quality=branch"]):
        torch.manual_seed(0)
        module = instantiate(make_cfg(f"loss={loss}", *quality).model)
        module.train()
        step_loss = module.training_step(batch, 0)
        step_loss.backward()
        grads.append({k: p.grad.clone() for k, p in module.net.named_parameters()})
        losses.append(step_loss.item())
        assert module.net.training  # the degraded copies ran in eval mode, and training mode is back
    plain, with_branch = grads
    # the branch reads detached embeddings, and its degraded copies run without gradients: the embedding's
    # gradients are the plain run's, bit for bit
    assert all(torch.equal(plain[k], with_branch[k]) for k in plain)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.quality_branch.parameters())
    assert losses[1] > losses[0]  # the quality loss is added


def test_quality_degraded_is_a_share(make_cfg):
    with pytest.raises(Exception, match=r"model.quality_degraded must be in \[0, 1\], got 1.5"):
        instantiate(make_cfg("face_quality=branch", "model.quality_degraded=1.5").model)


def test_class_centres_train_in_their_own_group_without_weight_decay(make_cfg):
    import numpy as np

    cfg = make_cfg(
        "loss=margin_softmax", "loss.centre_lr_scale=10", "optimizer.lr=0.001", "optimizer.weight_decay=0.05"
    )
    module = instantiate(cfg.model, scheduler=None)
    module.loss.fit_classes(np.arange(6))
    optimizer = module.configure_optimizers()
    groups = {group.get("name"): group for group in optimizer.param_groups}
    centres, rest = groups.pop("centres"), next(iter(groups.values()))
    assert centres["params"] == [module.loss.loss_fn.W] and centres["weight_decay"] == 0.0
    assert centres["lr"] == pytest.approx(0.01) and rest["lr"] == pytest.approx(0.001) and rest["weight_decay"] == 0.05
    assert len(rest["params"]) == len(list(module.net.parameters()))
