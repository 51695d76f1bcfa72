"""The `light` recipe as batched tensor ops (data/augment=light_device), tested on the CPU."""

import pytest
import torch

from facecompare.data.device_augment import DeviceAugment

OFF = {"flip_p": 0.0, "affine_p": 0.0, "brightness_contrast_p": 0.0, "hue_saturation_p": 0.0}


def batch(n=8, channels=3, size=32):
    return torch.randint(0, 256, (n, channels, size, size), generator=torch.Generator().manual_seed(1)).to(torch.uint8)


def run(augment, images, step=0):
    return augment(images, augment.generator(images.device, step))


def test_everything_off_is_the_identity_and_flip_flips():
    images = batch()
    assert torch.equal(run(DeviceAugment(**OFF), images), images)
    assert torch.equal(run(DeviceAugment(**{**OFF, "flip_p": 1.0}), images), images.flip(-1))


def test_the_recipe_keeps_shape_and_type_changes_images_and_is_seeded_by_step():
    augment, images = DeviceAugment(seed=3), batch(64)
    out = run(augment, images, step=5)
    assert out.shape == images.shape and out.dtype == torch.uint8
    assert torch.equal(out, run(augment, images, step=5))  # a resumed run replays the step
    assert not torch.equal(out, run(augment, images, step=6))
    changed = (out.int() - images.int()).abs().flatten(1).amax(1) > 0
    assert 0.8 < changed.float().mean() <= 1.0  # P(nothing fires) = 0.5 * 0.5 * 0.2 * 0.7 = 0.035
    gray = run(augment, batch(4, channels=1))  # grayscale: no hue step
    assert gray.shape == (4, 1, 32, 32)


def test_brightness_moves_every_pixel_of_an_image_by_the_same_amount():
    images = torch.full((16, 3, 8, 8), 128, dtype=torch.uint8)
    images[:, :, :4] = 100
    augment = DeviceAugment(**{**OFF, "brightness_contrast_p": 1.0, "contrast": 0.0, "brightness": 0.2})
    shift = run(augment, images).int() - images.int()
    per_image = shift.flatten(1)
    assert (per_image.amax(1) - per_image.amin(1)).max() <= 1  # one offset per image (rounding aside)
    assert per_image.abs().max() <= round(0.2 * 255) and per_image.float().std() > 5  # different per image


def test_a_pure_shift_moves_content_without_black_borders():
    images = torch.zeros((32, 1, 32, 32), dtype=torch.uint8)
    images[:, :, :, 16] = 255  # one bright column in the middle
    augment = DeviceAugment(**{**OFF, "affine_p": 1.0, "scale": (1.0, 1.0), "rotate_deg": 0.0, "translate": 0.1})
    out = run(augment, images).float()
    columns = (out[:, 0].sum(1) * torch.arange(32)).sum(1) / out[:, 0].sum((1, 2))  # centre of brightness
    assert (columns - 16).abs().max() <= 0.1 * 32 + 1 and (columns - 16).abs().max() > 1
    assert torch.allclose(out.sum((1, 2, 3)), torch.full((32,), 255.0 * 32), rtol=0.05)  # nothing lost at edges


def test_rotation_and_hue_keep_values_in_range_and_gray_stays_gray():
    gray = torch.full((8, 3, 16, 16), 90, dtype=torch.uint8)
    augment = DeviceAugment(**{**OFF, "hue_saturation_p": 1.0, "hue_deg": 30.0, "saturation": 0.3})
    assert (run(augment, gray).int() - 90).abs().max() <= 1  # no colour to rotate or saturate


@pytest.mark.slow
@pytest.mark.parametrize("augment_name", ["light_device"])
def test_training_with_device_augmentation_leaves_evaluation_untouched(make_cfg, augment_name, monkeypatch):
    from hydra.utils import instantiate

    from facecompare.training.train import train

    calls, seeds = [], []
    original = DeviceAugment.__call__

    def spy(self, x, g):
        calls.append(len(x))
        seeds.append(g.initial_seed())
        return original(self, x, g)

    monkeypatch.setattr(DeviceAugment, "__call__", spy)
    # two micro-batches make one optimizer step: each still gets an augmentation of its own
    cfg = make_cfg(f"data/augment={augment_name}", "+trainer.fast_dev_run=2", "+trainer.accumulate_grad_batches=2")
    metrics = train(cfg)
    assert torch.isfinite(torch.tensor(metrics["train/loss"]))
    assert calls == [8] * 4  # both sides of the 8 pairs of two training batches; validation and test batches not
    assert seeds[0] == seeds[1] and seeds[2] == seeds[3]  # the sides of a pair share the draw
    assert seeds[0] != seeds[2]
    dm = instantiate(cfg.data)
    assert dm.augment is None and isinstance(dm.device_augment, DeviceAugment)
    images = batch(4)
    assert dm.on_after_batch_transfer((images, images, torch.ones(4)), 0)[0] is images  # no trainer: untouched
