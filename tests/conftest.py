"""Shared fixtures: Hydra configs composed with overrides that make a run take seconds."""

from __future__ import annotations

import os

# pytest-xdist runs one worker per core, and many tests start processes of their own: torch's OpenMP threads,
# one per core in every one of them, would spin against each other. Each worker gets its share of the cores
# instead, before anything imports torch; the processes it starts inherit it. Measured on 2 cores, 2 workers
# (tests/training/test_train.py and tests/export): 129 s and 246 s of CPU with the default, 66 s and 116 s.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT") and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, open_dict

from facecompare.training.resolvers import register_resolvers

register_resolvers()

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"

# Tiny synthetic data and one short epoch: enough to exercise every code path.
FAST = [
    "data.source.num_identities=24",
    "data.source.images_per_identity=4",
    "data.image_size=32",
    "data.batch_size=8",
    "data.pairs_per_epoch=32",
    "data.val_pairs=32",
    "data.test_pairs=32",
    "trainer.max_epochs=1",
    "trainer.log_every_n_steps=1",
    "trainer.enable_model_summary=false",
    "callbacks.progress_bar=null",
    "logger=csv",
]
# and small P x K batches, set where the loss chose data/sampler=pk (a key of that option only)
FAST_PK = {"p": 4, "k": 2}


def compose_train(overrides: list[str], output_dir: Path) -> DictConfig:
    """Compose conf/train.yaml as scripts/train.py would, with the run folder at ``output_dir``."""
    # an explicit override replaces the fast default for the same key (Hydra refuses duplicates)
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    fast = [o for o in FAST if o.split("=", 1)[0] not in keys]
    if keys & {"data", "experiment"}:  # the fast source sizes belong to the synthetic source only
        fast = [o for o in fast if not o.startswith("data.source.")]
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=[*fast, *overrides])
    with open_dict(cfg):
        if cfg.data.get("sampler") is not None:
            for key, value in FAST_PK.items():
                if key in cfg.data.sampler and f"data.sampler.{key}" not in keys:
                    cfg.data.sampler[key] = value
        cfg.paths.output_dir = str(output_dir)
        if "paths.cache_dir" not in keys:  # never write crops into the checkout
            cfg.paths.cache_dir = str(output_dir.parent / "cache")
    return cfg


@pytest.fixture
def make_cfg(tmp_path: Path) -> Callable[..., DictConfig]:
    def make(*overrides: str, output_dir: Path | None = None) -> DictConfig:
        return compose_train(list(overrides), output_dir or tmp_path / "run")

    return make


@pytest.fixture
def set_umask() -> Iterator[Callable[[int], int]]:
    """Sets the process umask for one test (new files get 0o666 less it; returns the previous one), and
    restores it after."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def shared_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """``make(path)`` run once for the whole session, whichever pytest-xdist worker asks first: the others wait
    for it and reuse its result, as a session fixture would without workers. Tests must only read it."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the workers' common folder
    path, done = shared / name, shared / f"{name}.done"
    with FileLock(str(shared / f"{name}.lock")):
        if not done.exists():
            make(path)
            done.touch()
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A model trained for one short epoch on tiny synthetic faces (32 px): for export and inference tests."""
    from facecompare.training.train import train

    run = shared_once(tmp_path_factory, "tiny_run", lambda run: train(compose_train(["test=false"], run)))
    return run / "checkpoints" / "last.ckpt"


LEARNING_RECIPE = [
    "data.source.num_identities=80",
    "data.source.images_per_identity=8",
    "data.pairs_per_epoch=1024",
    "data.batch_size=32",
    "data.val_pairs=400",
    "trainer.max_epochs=3",
    "test=false",
]


@pytest.fixture(scope="session")
def learned_run(tmp_path_factory) -> Path:
    """A run folder of ~100 steps on synthetic people that learns to tell unseen ones apart (val AUC 0.94-0.96
    over seeds): the learning test checks it, the audit tests use its model. Trained once per session."""
    from facecompare.training.train import train

    return shared_once(tmp_path_factory, "learned_run", lambda run: train(compose_train(LEARNING_RECIPE, run)))


@pytest.fixture(scope="session")
def tiny_bundle(tiny_checkpoint, tmp_path_factory) -> Path:
    """The tiny checkpoint exported as a bundle."""
    from facecompare.export import export_bundle

    return shared_once(tmp_path_factory, "tiny_bundle", lambda out: export_bundle(tiny_checkpoint, out))


@pytest.fixture(scope="session")
def curved_bundle(tiny_bundle, tmp_path_factory) -> Path:
    """The tiny bundle with an open-set curve, as one calibrated by scripts/evaluate.py carries, and a 1:1
    threshold of 0.95: per-comparison FAR 1e-4 from 0.999, 1e-3 from 0.99, 1e-2 from 0.9."""
    import json
    import shutil

    out = tmp_path_factory.mktemp("curved_bundle") / "bundle"
    shutil.copytree(tiny_bundle, out)
    meta = json.loads((out / "model.json").read_text())
    curve = {"far": [1e-4, 1e-3, 1e-2], "threshold": [0.999, 0.99, 0.9], "impostor_pairs": 10_000, "on": "dev"}
    meta["threshold"] = {"value": 0.95, "source": "test", "far_curve": curve}
    (out / "model.json").write_text(json.dumps(meta))
    return out


@pytest.fixture(scope="session")
def photos(tmp_path_factory) -> Path:
    """skimage's astronaut as files (as is, mirrored, cropped), a blank image and a text file named .jpg."""
    import numpy as np
    from PIL import Image
    from skimage import data

    folder = tmp_path_factory.mktemp("photos")
    astronaut = data.astronaut()
    Image.fromarray(astronaut).save(folder / "astronaut.jpg")
    Image.fromarray(np.ascontiguousarray(astronaut[:, ::-1])).save(folder / "mirrored.jpg")
    Image.fromarray(np.ascontiguousarray(astronaut[40:, 30:])).save(folder / "cropped.png")
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(folder / "blank.png")
    (folder / "notes.jpg").write_text("not a picture")
    return folder


@pytest.fixture(scope="session")
def tiny_model(tiny_bundle):
    """The tiny bundle loaded, with the face finder the tools would make for it."""
    from facecompare.inference import load_bundle
    from facecompare.inference.faces import FaceFinder, make_detector

    bundle = load_bundle(tiny_bundle)
    return bundle, FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size)


@pytest.fixture
def service(tiny_model, tmp_path):
    """The tiny bundle's FaceService (tests/serve) over a gallery that does not exist yet."""
    from facecompare.app.service import FaceService

    return FaceService(*tiny_model, tmp_path / "gallery.db")
