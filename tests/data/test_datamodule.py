"""FaceDataModule: loader settings that follow the training device, the checks of its splits, split.json."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from facecompare.data.faceset import FaceSet, SplitFaces
from facecompare.errors import ConfigError


def trainer_on(device: str, devices: int = 1) -> SimpleNamespace:
    return SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device(device)), num_devices=devices)


@pytest.fixture
def datamodule(make_cfg):
    return lambda *overrides: instantiate(make_cfg(*overrides).data)


@pytest.mark.slow
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


@pytest.mark.slow
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
        dm.source = SimpleNamespace(preprocess=SimpleNamespace(store=store), build=build, check_split=lambda: None)
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


def faces(labels: list[int]) -> FaceSet:
    return FaceSet(torch.zeros(len(labels), 3, 16, 16, dtype=torch.uint8), np.array(labels), list("abcdefgh"))


@pytest.mark.slow
def test_evaluation_splits_that_cannot_give_pairs_fail_at_setup(make_cfg):
    def setup_with(split: SplitFaces):
        dm = instantiate(make_cfg().data, split_file=None)
        dm.source = SimpleNamespace(check_split=lambda: None, build=lambda *args: split)
        dm.setup("fit")
        return dm

    train = faces([0, 0, 1, 1, 2, 2])
    with pytest.raises(ConfigError, match=r"the validation split got 2 people, none with 2\+ images: .* raise "
                                          r"data\.source\.split\.val"):  # fmt: skip
        setup_with(SplitFaces(train, faces([3, 4])))
    with pytest.raises(ConfigError, match=r"the test split got 1 of the 6 people: .*data\.source\.split\.test"):
        setup_with(SplitFaces(train, faces([3, 3, 4]), faces([5, 5])))
    assert setup_with(SplitFaces(train, faces([3, 3, 4]))).faces.test is None
    # pairs a protocol fixes (LFW) are the protocol's business, not this check's
    setup_with(SplitFaces(train, faces([3, 4]), val_pairs=np.array([[0, 1, 0]])))


def test_split_file_records_the_sources_seed_apart_from_the_training_seed(make_cfg):
    cfg = make_cfg("seed=42", "data.source.seed=5")
    instantiate(cfg.data).setup("fit")
    split = json.loads(Path(cfg.data.split_file).read_text())
    assert split["split_by"] == {"ratios": {"train": 0.7, "val": 0.15, "test": 0.15}, "seed": 5, "num_identities": 24}
    assert split["training_seed"] == 42 and "seed" not in split
    assert len(split["split"]["val"]) == len(split["split"]["test"]) == 4


def test_evaluation_pairs_are_distinct_fixed_and_capped_with_a_warning(datamodule, caplog):
    dm = datamodule("data.val_pairs=400")
    dm.setup("fit")
    faces, pairs = dm.fixed_pairs("val")
    _, counts = np.unique(faces.labels, return_counts=True)
    genuine = int((counts * (counts - 1) // 2).sum())  # fewer than the 200 asked for
    assert genuine < 200 and len(pairs) == 2 * genuine and pairs[:, 2].sum() == genuine
    assert len({(min(i, j), max(i, j)) for i, j, _ in pairs.tolist()}) == len(pairs)
    assert f"val: {len(pairs)} pairs instead of data.val_pairs=400" in caplog.text
    assert dm.fixed_pairs("val")[1] is pairs  # drawn once: every epoch scores the same pairs


def test_a_position_inside_an_epoch_is_resumed_only_on_as_many_processes(datamodule, monkeypatch, caplog):
    import facecompare.data.datamodule as datamodule_module

    def saved(processes: int, last_batch: bool) -> dict:
        fit = {"state_dict": {"combined_loader": [{"_num_yielded": 3}]},
               "epoch_loop.batch_progress": {"is_last_batch": last_batch}}  # fmt: skip
        return {"epoch": 2, "loops": {"fit_loop": fit}, "facecompare": {"processes": processes}}

    dm = datamodule()
    dm.resume_at(saved(1, last_batch=False))
    assert dm._resume == (2, {"_num_yielded": 3})
    dm.resume_at(saved(1, last_batch=True))  # an epoch's end: Lightning goes on to the next epoch itself
    assert dm._resume is None
    # saved by 2 processes, resumed by 1: batch 3 of a process's half is not batch 3 of the whole epoch
    dm.resume_at(saved(2, last_batch=False))
    assert dm._resume is None and "resuming on 1 process(es) a run saved inside epoch 2 on 2" in caplog.text
    monkeypatch.setattr(datamodule_module, "rank_world", lambda: (1, 2))
    dm.resume_at(saved(2, last_batch=False))
    assert dm._resume == (2, {"_num_yielded": 3})
