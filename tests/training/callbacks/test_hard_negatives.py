from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from facecompare.data.pairs import BalancedPairSampler
from facecompare.models.cnn import CompactCNN
from facecompare.training.callbacks.hard_negatives import HardNegativeMining

LABELS = np.repeat(np.arange(5), 4)


class TinyModule(nn.Module):
    """What the callback needs of the LightningModule: ``net``, ``embed`` on uint8 images, ``device``."""

    device = torch.device("cpu")

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = CompactCNN(widths=(4, 8), embedding_dim=6, flip_average=True)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images.float() / 255)


def fake_trainer(images: torch.Tensor, sampler: object, epoch: int = 1) -> SimpleNamespace:
    faces = SimpleNamespace(train=SimpleNamespace(images=images))
    return SimpleNamespace(
        datamodule=SimpleNamespace(faces=faces), world_size=1, global_rank=0, current_epoch=epoch,
        train_dataloader=SimpleNamespace(sampler=sampler),
    )  # fmt: skip


@pytest.fixture
def images() -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (len(LABELS), 3, 32, 32), generator=generator, dtype=torch.uint8)


def test_mining_embeds_each_image_once_without_the_mirror_and_restores_the_model(images) -> None:
    module = TinyModule().train()
    batch_sizes = []
    module.net.trunk.register_forward_hook(lambda m, inputs, output: batch_sizes.append(len(inputs[0])))
    sampler = BalancedPairSampler(LABELS, num_pairs=16)
    HardNegativeMining(fraction=0.5, pool=4, batch_size=8).on_train_epoch_start(fake_trainer(images, sampler), module)

    assert batch_sizes == [8, 8, 4]  # flip_average would have doubled each batch
    assert module.training and module.net.flip_average  # put back as it was
    module.eval()
    module.net.flip_average = False
    with torch.no_grad():
        expected = module.embed(images).numpy()
    assert sampler.embeddings.shape == (20, 6) and np.allclose(sampler.embeddings, expected, atol=1e-6)
    assert sampler.hard_fraction == 0.5 and sampler.hard_pool == 4


def test_nothing_happens_before_start_epoch_or_at_fraction_zero(images) -> None:
    module = TinyModule()
    for callback, epoch in ((HardNegativeMining(fraction=0.5, start_epoch=2), 1), (HardNegativeMining(), 5)):
        sampler = BalancedPairSampler(LABELS, num_pairs=16)
        callback.on_train_epoch_start(fake_trainer(images, sampler, epoch), module)
        assert sampler.embeddings is None


def test_fraction_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"fraction must be in \[0, 1\], got 1.5"):
        HardNegativeMining(fraction=1.5)
