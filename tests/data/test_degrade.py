"""Degraded copies for the quality branch: same shape, seeded, and worse than the original."""

import pytest
import torch

from facecompare.data.degrade import degrade_batch


def _faces(n: int = 16) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randint(60, 200, (n, 3, 32, 32), dtype=torch.uint8, generator=generator)


def test_same_shape_and_dtype_and_seeded():
    images = _faces()
    first = degrade_batch(images, torch.Generator().manual_seed(1))
    again = degrade_batch(images, torch.Generator().manual_seed(1))
    assert first.shape == images.shape and first.dtype == torch.uint8
    assert torch.equal(first, again)
    assert not torch.equal(first, images)


def test_every_copy_is_changed_and_strengths_vary():
    images = _faces(64)
    bad = degrade_batch(images, torch.Generator().manual_seed(2))
    change = (bad.float() - images.float()).abs().mean((1, 2, 3))
    assert bool((change > 5).all())  # even the mildest draw is not the photo again
    assert change.max() > 2 * change.min()  # graded, from mild to severe


def test_refuses_what_is_not_a_uint8_batch():
    with pytest.raises(ValueError, match="uint8"):
        degrade_batch(torch.zeros(2, 3, 8, 8))
