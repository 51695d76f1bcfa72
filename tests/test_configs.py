"""Every option of every config group composes and instantiates (only the selected option is built)."""

from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from PIL import Image

from facecompare.data.device_augment import DeviceAugment
from facecompare.training import SiameseModule
from facecompare.training.precision import resolve_precision

CONF = Path(__file__).resolve().parents[1] / "conf"


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def test_every_group_has_options():
    groups = (
        "backbone",
        "loss",
        "data",
        "data/augment",
        "detector",
        "optimizer",
        "scheduler",
        "trainer",
        "logger",
        "callbacks",
        "model",
    )
    for group in groups:
        assert options(group), group


@pytest.mark.slow
@pytest.mark.parametrize("backbone", options("backbone"))
def test_backbone(make_cfg, backbone):
    cfg = make_cfg(f"backbone={backbone}")
    net = instantiate(cfg.backbone).eval()
    # InceptionResnetV1 needs 80 px or more; the arcface_torch backbones take their own size only
    size = net.input_size or (cfg.data.image_size if backbone != "inception_resnet" else 80)
    assert net(torch.rand(2, cfg.data.channels, size, size)).shape == (2, cfg.backbone.embedding_dim)


@pytest.mark.slow
@pytest.mark.parametrize("backbone", ["inception_resnet", "iresnet", "mobilefacenet"])
def test_face_backbone_options_raise_image_size(backbone):
    from conftest import CONF as conf_dir
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
        assert compose("train", overrides=[f"backbone={backbone}"]).data.image_size == 112
        assert compose("train", overrides=[f"backbone={backbone}", "data.image_size=160"]).data.image_size == 160
        assert compose("train").data.image_size == 64


@pytest.mark.slow
@pytest.mark.parametrize("loss", options("loss"))
def test_loss(make_cfg, loss):
    cfg = make_cfg(f"loss={loss}")
    criterion = instantiate(cfg.loss)
    # each loss chooses the batches it trains on (conf/data/sampler/), and the data module builds them
    assert instantiate(cfg.data.sampler).kind == criterion.batch_kind


@pytest.mark.parametrize("sampler", options("data/sampler"))
def test_sampler(make_cfg, sampler):
    loss = "contrastive" if sampler == "pairs" else "triplet"
    cfg = make_cfg(f"loss={loss}", f"data/sampler={sampler}")  # a choice of the loss's config, overridden
    assert instantiate(cfg.data).sampler.kind == sampler


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", options("optimizer"))
@pytest.mark.parametrize("scheduler", options("scheduler"))
def test_optimizer_and_scheduler(make_cfg, optimizer, scheduler):
    cfg = make_cfg(f"optimizer={optimizer}", f"scheduler={scheduler}")
    opt = instantiate(cfg.optimizer)(params=[torch.nn.Parameter(torch.zeros(2))])
    sched = instantiate(cfg.scheduler)(optimizer=opt, total_steps=50)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("trainer", options("trainer"))
def test_trainer(make_cfg, trainer):
    cfg = make_cfg(f"trainer={trainer}")
    # gpu/ddp options compose as written; they are built here on the CPU, the only device a test has, with
    # precision=auto resolved for it as train() does
    precision = resolve_precision(cfg.trainer.precision, "cpu")
    built = instantiate(cfg.trainer, accelerator="cpu", precision=precision, logger=False, enable_checkpointing=False)
    assert isinstance(built, pl.Trainer)
    if trainer.startswith("ddp"):
        assert type(built.strategy).__name__ == "HydraJobDDPStrategy" and built.num_devices == 2


@pytest.mark.slow
def test_max_time_is_a_plain_override_as_the_readme_writes_it(make_cfg):
    # it needed a "+" (not in the trainer's struct), although the README, the callbacks and the presets use it
    assert make_cfg("trainer.max_time=00:00:01:00").trainer.max_time == "00:00:01:00"
    assert make_cfg().trainer.max_time is None


@pytest.mark.parametrize("logger", options("logger"))
def test_logger(make_cfg, logger):
    built = [instantiate(node) for node in make_cfg(f"logger={logger}").logger.values()]
    assert built and all(isinstance(lg, pl.loggers.Logger) for lg in built)


@pytest.mark.parametrize("callbacks", options("callbacks"))
def test_callbacks(make_cfg, callbacks):
    built = [instantiate(node) for node in make_cfg(f"callbacks={callbacks}").callbacks.values() if node is not None]
    names = {type(c).__name__ for c in built}
    assert {"ResumableCheckpoint", "EarlyStopping", "LearningRateMonitor", "PairGridLogger"} <= names
    assert ("WeightEMA" in names) == (callbacks == "ema")


def test_model(make_cfg):
    assert isinstance(instantiate(make_cfg().model), SiameseModule)


def test_data_synthetic(make_cfg):
    dm = instantiate(make_cfg().data)
    dm.setup("fit")
    assert dm.faces.train.images.shape[1:] == (3, 32, 32)


def test_data_folder(make_cfg, tmp_path):
    rng = np.random.default_rng(0)
    for person in ("ann", "bob", "carl lee", "dörte", "eve", "finn", "gus", "hao", "ida", "jo"):
        (tmp_path / "people" / person).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)).save(
                tmp_path / "people" / person / f"{i}.png"
            )
    cfg = make_cfg("data=folder", f"data.root={tmp_path / 'people'}", "data.image_size=32", "detector=none")
    dm = instantiate(cfg.data)
    dm.setup("fit")
    # 80/20: validation pairs need 2+ people (fewer stop before detection: tests/data/sources)
    assert dm.faces.train.num_identities == 8 and dm.faces.val.num_identities == 2 and dm.faces.test is None


@pytest.mark.slow
@pytest.mark.parametrize("augment", options("data/augment"))
def test_augment(make_cfg, augment):
    built = instantiate(make_cfg(f"data/augment={augment}").data.augment)
    assert (built is None) == (augment == "none")
    if isinstance(built, DeviceAugment):  # batches on the training device
        images = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
        assert built(images, built.generator(images.device, step=0)).shape == (2, 3, 32, 32)
    elif built is not None:
        assert built(torch.zeros(3, 32, 32, dtype=torch.uint8)).shape == (3, 32, 32)


@pytest.mark.slow
@pytest.mark.parametrize("detector", options("detector"))
def test_detector(make_cfg, detector):
    from facecompare.data.detection import Detector

    built = instantiate(make_cfg(f"detector={detector}").detector)
    assert isinstance(built, Detector)
    (faces,) = built.detect([np.zeros((64, 64, 3), np.uint8)])
    assert isinstance(faces, list)


@pytest.mark.slow
@pytest.mark.parametrize("experiment", options("experiment"))
def test_experiment(make_cfg, experiment):
    # finetune_facenet downloads VGGFace2 weights by default: tests are offline (it trains from a local
    # weights file in tests/training/test_train.py)
    offline = ["backbone.pretrained=null"] if experiment == "finetune_facenet" else []
    cfg = make_cfg(f"experiment={experiment}", *offline)
    assert isinstance(instantiate(cfg.model), SiameseModule)


def _flat(node, path: str = "") -> dict:
    if not isinstance(node, dict):
        return {path: node}
    return {k: v for key, value in node.items() for k, v in _flat(value, f"{path}.{key}" if path else key).items()}


def test_lfw_gpu_is_the_cpu_recipe_on_a_gpu():
    # the GPU preset inherits lfw_scratch; a change to the recipe must reach both, so only these may differ
    # (the width: a GPU affords the network the CPU's 30 minutes do not)
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    def composed(experiment: str) -> dict:
        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            cfg = compose("train", overrides=[f"experiment={experiment}"])
        return _flat(OmegaConf.to_container(cfg, resolve=False))

    cpu, gpu = composed("lfw_scratch"), composed("lfw_gpu")
    differ = {k for k in cpu.keys() | gpu.keys() if cpu.get(k) != gpu.get(k)}
    assert differ == {"task_name", "trainer.accelerator", "trainer.max_time", "backbone.widths"}
    assert gpu["backbone.widths"] == [2 * w for w in cpu["backbone.widths"]]
    assert gpu["trainer.accelerator"] == "gpu" and gpu["trainer.max_time"] == "00:00:10:00"
    assert gpu["trainer.precision"] == cpu["trainer.precision"] == "auto" and gpu["trainer.devices"] == 1


def test_every_data_config_starts_from_the_shared_settings_and_repeats_none():
    from omegaconf import OmegaConf

    base = OmegaConf.to_container(OmegaConf.load(CONF / "data" / "base" / "datamodule.yaml"))
    for name in options("data"):
        own = OmegaConf.to_container(OmegaConf.load(CONF / "data" / f"{name}.yaml"))
        assert own["defaults"][0] == {"base@_here_": "datamodule"}, name  # first, so the option's own keys win
        repeated = [key for key, value in own.items() if key in base and base[key] == value]
        assert not repeated, f"data/{name}.yaml repeats data/base/datamodule.yaml: {repeated}"
