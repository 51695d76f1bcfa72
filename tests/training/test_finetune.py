"""model.finetune: a slower trunk, frozen blocks, frozen batch-norm statistics and a head-only warm-up, on the
tiny CompactCNN (trunk.N = block N: Conv, BatchNorm, ReLU, MaxPool) over real training steps."""

import logging
from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from hydra.utils import instantiate

from facecompare.config.failure import user_error
from facecompare.errors import ConfigError
from facecompare.training.finetune import FineTuning

SLOW_TRUNK = "model.finetune.trunk_lr_scale=0.1"


def fit(module, cfg, callbacks=(), **trainer_kwargs):
    """Real optimizer steps on the fast synthetic data, nothing written."""
    kwargs = {"max_steps": 2, "limit_val_batches": 0, **trainer_kwargs}
    trainer = pl.Trainer(
        accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, callbacks=list(callbacks), **kwargs,
    )  # fmt: skip
    trainer.fit(module, datamodule=instantiate(cfg.data))


def snapshot(module):
    return {k: v.clone() for k, v in module.net.state_dict().items()}


def changed(before, module):
    return {k for k, v in module.net.state_dict().items() if not torch.equal(v, before[k])}


def with_schedule(module, steps=100):
    module.trainer = SimpleNamespace(estimated_stepping_batches=steps)
    return module.configure_optimizers()


def test_default_leaves_one_group_of_every_parameter(make_cfg):
    module = instantiate(make_cfg().model)
    assert module.finetune is None  # the config's neutral node, as model.finetune=null
    optimizer = with_schedule(module)["optimizer"]
    assert len(optimizer.param_groups) == 1 and optimizer.param_groups[0]["initial_lr"] == 1e-3
    assert [id(p) for p in optimizer.param_groups[0]["params"]] == [id(p) for p in module.parameters()]
    assert all(m.training for m in module.train().modules())


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", ["cosine", "step", "none"])  # none: a constant LR
def test_trunk_learns_at_a_fraction_of_the_lr_through_the_schedule(make_cfg, scheduler):
    cfg = make_cfg(SLOW_TRUNK, f"scheduler={scheduler}", "loss=margin_softmax", "optimizer.lr=0.02")
    module = instantiate(cfg.model)
    module.loss.fit_classes(torch.arange(4))  # the loss's class centres learn in their own group
    out = with_schedule(module)
    optimizer, scheduler = out["optimizer"], out["lr_scheduler"]["scheduler"]
    trunk, head, centres = optimizer.param_groups
    assert (trunk["name"], head["name"], centres["name"]) == ("trunk", "head", "centres")
    assert {id(p) for p in trunk["params"]} == {id(p) for p in module.net.trunk.parameters()}
    assert {id(p) for p in head["params"]} == {id(p) for p in module.net.projection.parameters()}
    assert {id(p) for p in centres["params"]} == {id(p) for p in module.loss.parameters()}
    assert centres["weight_decay"] == 0.0
    for _ in range(60):  # through the warm-up, the cosine and the step's first milestone
        assert trunk["lr"] == pytest.approx(0.1 * head["lr"], rel=1e-9)
        assert centres["lr"] == pytest.approx(head["lr"], rel=1e-9)  # loss.centre_lr_scale 1
        optimizer.step()
        scheduler.step()


def test_frozen_blocks_and_their_batchnorm_stay_while_the_rest_trains(make_cfg, caplog):
    cfg = make_cfg(SLOW_TRUNK, "model.finetune.freeze=[trunk.0,trunk.1.0]")
    module = instantiate(cfg.model)
    assert not any(p.requires_grad for n, p in module.net.named_parameters() if n.startswith(("trunk.0.", "trunk.1.0")))
    before = snapshot(module)
    with caplog.at_level(logging.INFO, logger="facecompare.training.module"):
        fit(module, cfg)
    moved = changed(before, module)
    # block 0 (conv 432 + batch norm 32 parameters, and its statistics) and block 1's conv (4608) keep their values
    assert not {k for k in moved if k.startswith(("trunk.0.", "trunk.1.0."))}, moved
    # block 1's batch norm (scale, shift, statistics), the later blocks and the projection train
    assert {"trunk.1.1.weight", "trunk.1.1.running_mean", "trunk.2.0.weight", "projection.weight"} <= moved
    optimizer = module.trainer.optimizers[0]
    assert sum(len(g["params"]) for g in optimizer.param_groups) == sum(p.requires_grad for p in module.parameters())
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("fine-tuning:")]
    assert line == "fine-tuning: trunk lr 0.0001 (0.1x), head lr 0.001; frozen trunk.0, trunk.1.0 (5,072 parameters)"


# without the option the statistics move: trunk.1.1.running_mean in the test above
@pytest.mark.slow
@pytest.mark.parametrize("mode, affine_moves", [("stats", True), ("frozen", False)])
def test_batchnorm_statistics_frozen(make_cfg, caplog, mode, affine_moves):
    cfg = make_cfg(f"model.finetune.batchnorm={mode}", SLOW_TRUNK)
    module = instantiate(cfg.model)
    before = snapshot(module)
    with caplog.at_level(logging.INFO, logger="facecompare.training.module"):
        fit(module, cfg, limit_val_batches=1, val_check_interval=1)  # validation in between: modes come back
    what = "statistics" if mode == "stats" else "statistics, scale and shift"
    assert f"; trunk batch-norm {what} frozen (4 layers)" in caplog.text
    moved = changed(before, module)
    stats = {k for k in before if k.endswith(("running_mean", "running_var"))}
    affine = {f"trunk.{b}.1.{w}" for b in range(4) for w in ("weight", "bias")}
    assert len(stats) == 8 and not stats & moved
    assert (affine <= moved) if affine_moves else not affine & moved
    assert "trunk.0.0.weight" in moved and "projection.weight" in moved


@pytest.mark.slow
def test_head_alone_for_the_first_epochs_then_the_trunk(make_cfg):
    cfg = make_cfg("model.finetune.trunk_frozen_epochs=1")
    module = instantiate(cfg.model)
    seen = {}

    class Watch(pl.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            seen.setdefault(trainer.current_epoch, pl_module.net.trunk.training)

        def on_train_epoch_end(self, trainer, pl_module):
            seen[f"state{trainer.current_epoch}"] = snapshot(pl_module)

    before = snapshot(module)
    fit(module, cfg, [Watch()], max_steps=-1, max_epochs=2, limit_train_batches=2)
    first = changed(before, module) - changed(seen["state0"], module)  # moved in epoch 0 only
    in_epoch0 = {k for k, v in seen["state0"].items() if not torch.equal(v, before[k])}
    assert in_epoch0 == {"projection.weight", "projection.bias"}, first  # trunk weights and statistics fixed
    assert {"trunk.0.0.weight", "trunk.0.1.running_mean"} <= changed(seen["state0"], module)  # epoch 1 trains it
    assert seen[0] is False and seen[1] is True


# a list, or a single name; whole dotted components; names inside the backbone, not the training module
@pytest.mark.slow
@pytest.mark.parametrize("value", ["[trunk.9]", "trunk.0.0.weigh", "[trunk.0,net.trunk.1]"])
def test_a_prefix_that_names_nothing_is_one_line(make_cfg, value):
    with pytest.raises(Exception) as caught:
        instantiate(make_cfg(f"model.finetune.freeze={value}").model)
    wrong = value.strip("[]").split(",")[-1]
    assert user_error(caught.value) == (
        f"model.finetune.freeze: '{wrong}' names no parameter of CompactCNN; use its module names, e.g. "
        "trunk, trunk.0, trunk.1, trunk.2, trunk.3, projection, or their sub-modules such as trunk.0.0"
    )


def test_everything_frozen_is_refused(make_cfg):
    module = instantiate(make_cfg("model.finetune.freeze=[trunk,projection]").model)
    with pytest.raises(ConfigError, match=r"^model\.finetune\.freeze leaves no parameter to train$"):
        with_schedule(module)


def test_neutral_settings_are_inactive():
    assert not FineTuning(freeze=[]).active and FineTuning(batchnorm="stats").active


def test_a_negative_keep_start_is_refused():
    with pytest.raises(ConfigError, match=r"^model\.finetune\.keep_start must be >= 0, got -1$"):
        FineTuning(keep_start=-1)


@pytest.mark.slow
def test_training_holds_embeddings_near_the_start_and_checkpoints_hold_no_copy(make_cfg):
    x = torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(0))

    def drift(weight: float) -> float:
        # batch-norm statistics kept: the embeddings then move with the weights alone, which the term holds
        cfg = make_cfg(f"model.finetune.keep_start={weight}", "model.finetune.batchnorm=stats", "optimizer.lr=0.05")
        torch.manual_seed(0)
        module = instantiate(cfg.model)
        before = module.net.eval()(x).detach()
        fit(module.train(), cfg, max_steps=6)
        after = module.net.eval()(x).detach()
        if weight:
            assert not any(k.startswith("start_anchor") for k in module.state_dict())
            trained = {id(p) for p in module.parameters()}
            assert not any(id(p) in trained for p in module.start_anchor.start.parameters())
            logged = module.trainer.logged_metrics
            assert "train/keep_start" in logged and float(logged["train/keep_start"]) > 0
        return float((1 - F.cosine_similarity(after, before, dim=1)).mean())

    free, held = drift(0), drift(50)  # measured 1.38 and 0.15
    assert free > 0.05 and held < free / 3, (free, held)
