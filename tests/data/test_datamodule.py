"""FaceDataModule's loader settings: `auto` workers and pinned memory follow the training device."""

from types import SimpleNamespace

import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate


def trainer_on(device: str, devices: int = 1) -> SimpleNamespace:
    return SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device(device)), num_devices=devices)


@pytest.fixture
def datamodule(make_cfg):
    return lambda *overrides: instantiate(make_cfg(*overrides).data)


def test_auto_is_no_workers_on_a_cpu_and_pinned_workers_on_a_gpu(datamodule, monkeypatch):
    dm = datamodule()
    assert dm.num_workers == "auto" and dm.pin_memory == "auto"
    assert dm.loader_settings() == (0, False)  # no trainer yet: as on a CPU
    dm.trainer = trainer_on("cpu")
    assert dm.loader_settings() == (0, False)
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    dm.trainer = trainer_on("cuda")
    assert dm.loader_settings() == (8, True)
    dm.trainer = trainer_on("cuda", devices=4)  # 4 processes share 16 cores
    assert dm.loader_settings() == (3, True)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert dm.loader_settings() == (1, True)


def test_explicit_values_win_and_bad_ones_are_named(datamodule):
    dm = datamodule("data.num_workers=2", "data.pin_memory=false")
    dm.trainer = trainer_on("cuda")
    assert dm.loader_settings() == (2, False)
    # Hydra wraps the error; train() unwraps it into the one-line message (test_train.py)
    with pytest.raises(InstantiationException, match=r"data\.num_workers must be 'auto' or an integer >= 0, got -1"):
        datamodule("data.num_workers=-1")
    with pytest.raises(InstantiationException, match=r"data\.pin_memory must be 'auto', true or false"):
        datamodule("data.pin_memory=sometimes")


def test_under_ddp_one_process_fills_the_crop_cache_before_the_others_set_up(make_cfg):
    built = []

    def build(*args):
        built.append(args)
        return SimpleNamespace(train=None, val=None, test=None)

    def with_source(store):
        dm = instantiate(make_cfg().data, split_file=None)
        dm.source = SimpleNamespace(preprocess=SimpleNamespace(store=store), build=build)
        return dm

    dm = with_source(object())
    dm.trainer = SimpleNamespace(world_size=1)
    dm.prepare_data()
    assert built == []  # one process: setup() builds once
    dm.trainer = SimpleNamespace(world_size=2)
    dm.prepare_data()
    assert built == [(dm.image_size, dm.channels)]
    dm.setup("fit")  # what Lightning calls next in this process: the faces built above are kept
    assert len(built) == 1
    dm = with_source(None)  # no cache to fill (or the synthetic source): nothing to share
    dm.trainer = SimpleNamespace(world_size=2)
    dm.prepare_data()
    assert len(built) == 1
