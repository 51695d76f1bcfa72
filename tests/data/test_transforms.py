import subprocess
import sys
from pathlib import Path

import albumentations as A
import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from facecompare.data.datasets import ImageDataset, PairDataset
from facecompare.data.faceset import FaceSet
from facecompare.data.transforms import FaceAugment, apply_clahe, make_augment

CONF = Path(__file__).resolve().parents[2] / "conf" / "data" / "augment"


def build(name: str, make_cfg, seed: int = 0):
    return instantiate(make_cfg(f"data/augment={name}", f"seed={seed}").data.augment)


def faces(channels: int = 3, n: int = 6) -> FaceSet:
    rng = np.random.default_rng(0)
    return FaceSet(
        torch.from_numpy(rng.integers(0, 255, (n, channels, 32, 32), dtype=np.uint8)),
        np.arange(n) // 2,
        ["a", "b", "c"],
    )


def test_none_builds_nothing(make_cfg):
    assert build("none", make_cfg) is None and make_augment([]) is None


# the albumentations presets; light_device (batched, on the training device) has its own tests
@pytest.mark.slow
@pytest.mark.parametrize(
    "name", sorted(p.stem for p in CONF.glob("*.yaml") if p.stem != "none" and not p.stem.endswith("_device"))
)
@pytest.mark.parametrize("channels", [1, 3])
def test_shape_and_dtype_kept_and_images_change(make_cfg, name, channels):
    augment = build(name, make_cfg)
    data = ImageDataset(faces(channels), augment)
    batch = data.__getitems__(list(range(6)))
    for (image, _), original in zip(batch, faces(channels).images, strict=True):
        assert image.dtype == torch.uint8 and image.shape == original.shape
    changed = sum(not torch.equal(img, orig) for (img, _), orig in zip(batch, faces(channels).images, strict=True))
    assert changed >= 4


def test_same_batch_same_seed_same_output_and_different_otherwise(make_cfg):
    pairs = PairDataset(faces(), build("strong", make_cfg, seed=0))
    keys = [(0, 1, 1), (2, 4, 0)]
    first = pairs.__getitems__(keys)
    again = pairs.__getitems__(keys)
    other_seed = PairDataset(faces(), build("strong", make_cfg, seed=1)).__getitems__(keys)
    other_keys = pairs.__getitems__([(0, 1, 1), (2, 5, 0)])
    assert all(torch.equal(x, y) for a, b in zip(first, again, strict=True) for x, y in zip(a, b, strict=True))
    assert not torch.equal(first[0][0], other_seed[0][0])
    assert not torch.equal(first[0][0], other_keys[0][0])
    assert not torch.equal(first[0][0], first[0][1])  # the two images of a pair are augmented independently


def test_transforms_draw_independently_of_each_other():
    """Two flips at p=0.5 must reach all four combinations, across reseeded batches and within one."""
    image = torch.arange(16, dtype=torch.uint8).view(1, 4, 4)
    outcomes = {(0, 0): image, (1, 0): image.flip(2), (0, 1): image.flip(1), (1, 1): image.flip(1, 2)}
    augment = FaceAugment([A.HorizontalFlip(p=0.5), A.VerticalFlip(p=0.5)], seed=0)

    def which(out: torch.Tensor) -> tuple[int, int]:
        return next(k for k, v in outcomes.items() if torch.equal(out, v))

    across = set()
    for key in range(40):
        augment.seed_batch([key])
        across.add(which(augment(image)))
    within = {which(augment(image)) for _ in range(40)}
    assert across == within == set(outcomes)


def test_without_augment_images_pass_through_untouched():
    data = PairDataset(faces())
    a, b, same = data.__getitems__([(0, 3, 0)])[0]
    assert torch.equal(a, faces().images[0]) and torch.equal(b, faces().images[3]) and same == 0


def test_clahe_spreads_a_flat_histogram():
    ramp = torch.linspace(100, 140, 32).round().to(torch.uint8)
    images = ramp.view(1, 1, 1, 32).expand(2, 3, 32, 32).contiguous()
    out = apply_clahe(images)
    assert out.shape == images.shape and out.dtype == torch.uint8
    assert int(out.max()) - int(out.min()) > int(images.max()) - int(images.min()) + 20
    gray = apply_clahe(images[:, :1].contiguous())
    assert gray.shape == (2, 1, 32, 32)


@pytest.mark.slow
def test_clahe_reaches_every_split_and_augment_only_training(make_cfg):
    cfg = make_cfg("data.clahe=true", "data/augment=light")
    plain = instantiate(make_cfg().data)
    dm = instantiate(cfg.data)
    plain.setup("fit")
    dm.setup("fit")
    for split in ("train", "val", "test"):
        assert not torch.equal(getattr(dm.faces, split).images, getattr(plain.faces, split).images)
    assert isinstance(dm.augment, FaceAugment)
    for stage in ("val", "test"):
        loader = dm._pair_loader(stage)
        assert isinstance(loader.dataset, PairDataset) and loader.dataset.augment is None


@pytest.mark.slow
def test_importing_the_transforms_makes_no_network_call():
    # albumentations checks PyPI for updates on import unless told not to; a training start must stay offline
    code = (
        "import os, socket\n"
        "os.environ.pop('NO_ALBUMENTATIONS_UPDATE', None)\n"
        "def refuse(*a, **k): raise SystemExit('network call on import')\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "import facecompare.data.transforms\n"
        "print('offline ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "offline ok" in out.stdout, out.stderr[-2000:]


def test_batched_augmentation_equals_image_by_image(make_cfg):
    # the datasets augment a whole batch at once; that must be the same draws as one image at a time
    augment = build("light", make_cfg, seed=3)
    images = faces().images[:6]
    augment.seed_batch([7])
    batched = augment.batch(images)
    augment.seed_batch([7])
    one_by_one = torch.stack([augment(image) for image in images])
    assert batched.is_contiguous() and torch.equal(batched, one_by_one)
    pairs = PairDataset(faces(), build("light", make_cfg, seed=3))
    keys = [(0, 1, 1), (2, 4, 0), (5, 5, 1)]
    pairs.augment.seed_batch([list(k) for k in keys])
    single = [pairs[k] for k in keys]
    for got, want in zip(pairs.__getitems__(keys), single, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(got, want, strict=True))


def test_a_transform_that_resizes_is_refused():
    augment = FaceAugment([A.Resize(8, 8)])
    with pytest.raises(ValueError, match="changed the image size"):
        augment.batch(faces().images[:2])
