"""What a training batch is made of: ``data/sampler=pairs | pk | images`` (conf/data/sampler/), which the loss's
config chooses (conf/loss/). Each checks its own settings when it is built and makes the training sampler and
dataset for the data module. How long an epoch of pairs is and how many pairs or images a batch holds are the
data module's (``data.pairs_per_epoch``, ``data.batch_size``): they follow the data, and evaluation batches
use the batch size too."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from torch.utils.data import Dataset, Sampler

from facecompare.data.datasets import ImageDataset, PairDataset
from facecompare.data.epoch_sampler import ShuffledBatchSampler
from facecompare.data.faceset import FaceSet
from facecompare.data.pairs import BalancedPairSampler
from facecompare.data.pk_sampler import PKBatchSampler, check_pk_shape
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)
NO_SAMPLER = "data.sampler is not set: data/sampler=pairs, pk or images (a loss's config chooses one)"


@dataclass(frozen=True)
class Epoch:
    """What every kind of batch is drawn with: the data module's settings and this process's place."""

    batch_size: int
    pairs_per_epoch: int
    seed: int
    rank: int = 0
    world: int = 1


@dataclass(frozen=True)
class LoaderParts:
    """A training loader's dataset, the sampler whose ``set_epoch`` Lightning calls, and the loader's other
    arguments (``sampler`` or ``batch_sampler`` among them)."""

    dataset: Dataset
    epoch_sampler: Sampler
    kwargs: dict[str, Any]


class TrainingBatches(ABC):
    """One kind of training batch. ``kind`` is what the loss's ``batch_kind`` is matched against."""

    kind: ClassVar[str]

    @abstractmethod
    def parts(self, train: FaceSet, augment: Any, epoch: Epoch) -> LoaderParts: ...


class PairBatches(TrainingBatches):
    """``(image_a, image_b, same)`` batches of ``data.batch_size`` balanced pairs, ``data.pairs_per_epoch`` of
    them an epoch (contrastive, binary)."""

    kind: ClassVar[str] = "pairs"

    def parts(self, train: FaceSet, augment: Any, epoch: Epoch) -> LoaderParts:
        pairs, seed = epoch.pairs_per_epoch, epoch.seed
        sampler = BalancedPairSampler(train.labels, pairs, seed, rank=epoch.rank, world=epoch.world)
        if len(sampler) < epoch.batch_size:  # drop_last would leave no batch at all
            per_process = f" per process ({epoch.world} processes)" if epoch.world > 1 else ""
            raise ConfigError(
                f"data.pairs_per_epoch gives {len(sampler)} pairs{per_process}, fewer than data.batch_size="
                f"{epoch.batch_size}: not one training batch; raise pairs_per_epoch or lower batch_size"
            )
        kwargs = {"sampler": sampler, "batch_size": epoch.batch_size, "drop_last": True}
        return LoaderParts(PairDataset(train, augment), sampler, kwargs)


class PKBatches(TrainingBatches):
    """``(images, labels)`` batches of ``p`` identities x ``k`` images, plus ``singles`` images of single-image
    identities as extra negatives (triplet, multi-similarity); an epoch holds about every training image once."""

    kind: ClassVar[str] = "pk"

    def __init__(self, p: int = 16, k: int = 4, singles: int = 0) -> None:
        check_pk_shape(p, k)
        if singles < 0:
            raise ConfigError(f"data.sampler.singles must be >= 0, got {singles}")
        self.p, self.k, self.singles = p, k, singles

    def parts(self, train: FaceSet, augment: Any, epoch: Epoch) -> LoaderParts:
        num_batches = max(epoch.world, len(train) // (self.p * self.k + self.singles))
        sampler = PKBatchSampler(
            train.labels, self.p, self.k, num_batches, epoch.seed, epoch.rank, epoch.world, singles=self.singles
        )
        if sampler.skipped_identities:
            log.info(
                "P x K batches: %d training identities with a single image are left out (no positive; "
                "data.sampler.singles=N adds N of them to every batch as negatives)",
                sampler.skipped_identities,
            )
        return LoaderParts(ImageDataset(train, augment), sampler, {"batch_sampler": sampler})


class ImageBatches(TrainingBatches):
    """``(images, labels)`` batches of ``data.batch_size`` images, every training image once an epoch
    (margin-softmax, Partial FC)."""

    kind: ClassVar[str] = "images"

    def parts(self, train: FaceSet, augment: Any, epoch: Epoch) -> LoaderParts:
        sampler = ShuffledBatchSampler(len(train), epoch.batch_size, epoch.seed, epoch.rank, epoch.world)
        return LoaderParts(ImageDataset(train, augment), sampler, {"batch_sampler": sampler})
