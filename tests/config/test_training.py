"""Rules of a training config that only building (on dummy inputs) or several groups together can check."""

import pytest

from facecompare.config.training import check_training
from facecompare.errors import ConfigError


@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides, message",
    [
        (["+trainer.max_steps=0"], r"^trainer\.max_steps must be >= 1"),
        (["trainer.max_epochs=-1"], r"^an LR schedule needs a finite trainer\.max_epochs or max_steps"),
        (["optimizer=sgd", "optimizer.momentum=-1"], r"^optimizer: Invalid momentum value: -1"),
        (["loss=triplet", "data.sampler.p=1"], r"^data\.sampler\.p must be >= 2"),
        (["loss=triplet", "data/sampler=pairs"], r"^loss TripletLoss trains on data/sampler=pk or images batches, not"),
        (["loss=contrastive", "data/sampler=images"], r"^loss ContrastiveLoss trains on data/sampler=pairs batches"),
        (["scheduler.warmup=2"], r"^scheduler\.warmup must be a fraction of training in \[0, 1\), got 2$"),
        (["loss=contrastive", "data.batch_size=64"], r"^data\.pairs_per_epoch gives 32 pairs, fewer than data"),
        (["loss=contrastive", "trainer=ddp_cpu", "data.batch_size=20"], r"gives 16 pairs per process \(2 processes\)"),
        (["model.finetune.trunk_lr_scale=0"], r"^model\.finetune\.trunk_lr_scale must be in \(0, 1\], got 0$"),
        (["model.finetune.trunk_frozen_epochs=1"], r"^model\.finetune\.trunk_frozen_epochs=1 leaves none of the "),
        # the fast configs' 32 px, given on the command line, wins over the 112 the backbone option sets
        (["backbone=iresnet"], r"^IResNetEmbedder takes 112x112 faces only .*got 32x32: set data\.image_size=112$"),
        (["backbone=mobilefacenet"], r"^MobileFaceNetEmbedder takes 112x112 faces only .*got 32x32: set data"),
        (["backbone=dlib_resnet"], r"^DlibResNetEmbedder takes 150x150 faces \(dlib's chips\), got 32x32: set data"),
        (
            [
                "callbacks.val_sets.sets=[/sets/lfw.bin]",
                "callbacks.val_sets.every_n_epochs=5",
                "callbacks.early_stopping.monitor=val/lfw/acc",
            ],
            r"^callbacks\.early_stopping\.monitor=val/lfw/acc is logged every callbacks\.val_sets\.every_n_epochs=5 ",
        ),
    ],
)
def test_problem_found_before_any_data(make_cfg, overrides, message):
    with pytest.raises(ConfigError, match=message):
        check_training(make_cfg(*overrides))


@pytest.mark.slow
def test_what_can_train_passes(make_cfg):
    check_training(make_cfg("loss=triplet", "data/sampler=images"))  # labelled batches of either kind
    check_training(make_cfg("loss=triplet", "data.batch_size=64"))  # nor P x K losses pair batches
    check_training(make_cfg("trainer.max_epochs=-1", "+trainer.max_steps=50"))  # a schedule with an end
    check_training(make_cfg("model.finetune.trunk_frozen_epochs=1", "trainer.max_epochs=2"))
    check_training(make_cfg("model.finetune=null"))
    check_training(make_cfg("backbone=iresnet", "data.image_size=112"))  # the arcface_torch size
    # sets scored every 5 epochs, the monitors on the ordinary validation
    check_training(make_cfg("callbacks.val_sets.sets=[/sets/lfw.bin]", "callbacks.val_sets.every_n_epochs=5"))
