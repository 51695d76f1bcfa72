"""The LightningDataModule: one FaceSource in, pair or P x K batches out."""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
from torch.utils.data import DataLoader
from torchdata.stateful_dataloader import StatefulDataLoader

from facecompare.atomic import atomic_write_text
from facecompare.checkpoint import CHECKPOINT_KEY
from facecompare.data.alignment import ALIGNMENTS
from facecompare.data.batches import NO_SAMPLER, Epoch, TrainingBatches
from facecompare.data.datasets import PairDataset
from facecompare.data.device_augment import DeviceAugment
from facecompare.data.eval_pairs import draw_distinct_pairs
from facecompare.data.faceset import EVALUATION_SPLITS, FaceSet, SplitFaces, check_evaluation_split
from facecompare.data.sources.base import FaceSource
from facecompare.data.transforms import FaceAugment, apply_clahe
from facecompare.distributed import is_rank_zero, rank_world
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)
# torchdata 0.11 calls torch.set_vital, which torch has deprecated: one warning per loader, about nothing here
warnings.filterwarnings("ignore", message="'set_vital' is deprecated", category=UserWarning)


class FaceDataModule(pl.LightningDataModule):
    """Serves uint8 image batches; the LightningModule scales and normalises them on its device.

    ``sampler`` (data/batches.py, ``data/sampler=pairs|pk|images``, chosen by the loss's config) makes up the
    training batches: balanced pairs, P x K identity batches or shuffled images; ``batch_size`` and
    ``pairs_per_epoch`` are what it draws with. Validation and test always use fixed, seeded, balanced pairs of
    identities that training never sees, in batches of ``batch_size``.

    ``augment`` (a FaceAugment, a DeviceAugment, or None) applies to training batches only; ``clahe``
    equalises every split once at setup. ``seed`` drives the training draws; ``eval_seed`` the evaluation
    pairs, so runs with different seeds are scored on the same pairs. ``root`` is where file-based sources
    read from (they take ``${data.root}``), kept here so users override a single ``data.root``; it is
    recorded in the split file.
    """

    def __init__(
        self,
        source: FaceSource,
        sampler: TrainingBatches | None = None,
        image_size: int = 64,
        channels: int = 3,
        batch_size: int = 64,
        pairs_per_epoch: int = 4096,
        val_pairs: int = 1000,
        test_pairs: int = 1000,
        num_workers: int | str = "auto",
        pin_memory: bool | str = "auto",
        seed: int = 0,
        eval_seed: int = 0,
        split_file: str | None = None,
        root: str | None = None,
        augment: FaceAugment | DeviceAugment | None = None,
        clahe: bool = False,
        alignment: str = "arcface",
    ) -> None:
        super().__init__()
        # Where the five landmarks land in each crop. The preprocessing of photos reads it from here
        # (data.source.preprocess.alignment: ${data.alignment}) so that a backbone's config sets it for any data.
        if alignment not in ALIGNMENTS:
            raise ConfigError(f"data.alignment must be one of {list(ALIGNMENTS)}, got {alignment!r}")
        if image_size < 16:
            raise ConfigError(f"data.image_size must be >= 16, got {image_size}")
        if channels not in (1, 3):
            raise ConfigError(f"data.channels must be 1 or 3, got {channels}")
        if batch_size < 1:
            raise ConfigError(f"data.batch_size must be >= 1, got {batch_size}")
        if not (num_workers == "auto" or (isinstance(num_workers, int) and num_workers >= 0)):
            raise ConfigError(f"data.num_workers must be 'auto' or an integer >= 0, got {num_workers!r}")
        if pin_memory not in ("auto", True, False):
            raise ConfigError(f"data.pin_memory must be 'auto', true or false, got {pin_memory!r}")
        for name, value in (
            ("pairs_per_epoch", pairs_per_epoch),
            ("val_pairs", val_pairs),
            ("test_pairs", test_pairs),
        ):
            if value < 2:
                raise ConfigError(f"data.{name} must be >= 2, got {value}")
        self.source = source
        self.image_size, self.channels, self.batch_size = image_size, channels, batch_size
        self.sampler = sampler
        self.pairs_per_epoch, self.val_pairs, self.test_pairs = pairs_per_epoch, val_pairs, test_pairs
        self.num_workers, self.pin_memory, self.seed = num_workers, pin_memory, seed
        self.eval_seed, self.root = eval_seed, root
        self.split_file = split_file
        # FaceAugment runs per image in the loader workers; DeviceAugment on whole batches once they are on
        # the training device (on_after_batch_transfer)
        self.device_augment = augment if isinstance(augment, DeviceAugment) else None
        self.augment = None if self.device_augment else augment
        self.clahe = clahe
        self.faces: SplitFaces | None = None
        self._drawn: dict[str, np.ndarray] = {}  # the evaluation pairs, drawn on first use
        self._resume: tuple[int, dict[str, Any]] | None = None  # resume_at

    def prepare_data(self) -> None:
        # Under DDP, Lightning calls this in one process per node before any process's setup(): a source that
        # detects faces into a crop cache fills it here, so the other processes read the cache rather than
        # all running the detector over the same photos at once; this process keeps what it built, and its own
        # setup() call then returns at once. One process alone skips it.
        store = getattr(getattr(self.source, "preprocess", None), "store", None)
        if self.trainer is not None and self.trainer.world_size > 1 and store is not None:
            self.setup()

    def setup(self, stage: str | None = None) -> None:
        if self.faces is not None:  # fit, then test: build once
            return
        self.source.check_split()  # before build: a split that cannot work fails before face detection
        self.faces = self.source.build(self.image_size, self.channels)
        self._check_evaluation_splits()
        if self.clahe:  # preprocessing, not augmentation: every split, once
            for name in ("train", "val", "test"):
                fs = getattr(self.faces, name)
                if fs is not None:
                    fs.images = apply_clahe(fs.images)
        for name in ("train", "val", "test"):
            fs = getattr(self.faces, name)
            if fs is not None:
                log.info("%s: %d images of %d identities", name, len(fs), fs.num_identities)
        if self.split_file and is_rank_zero():
            self._write_split(Path(self.split_file))

    def train_labels(self) -> np.ndarray:
        """The identity label of every training image (after setup)."""
        if self.faces is None:
            raise RuntimeError("FaceDataModule.train_labels() before setup()")
        return self.faces.train.labels

    def _check_evaluation_splits(self) -> None:
        # drawn pairs need two people, one of them with two images; without this the run would only stop at
        # Lightning's sanity check, with a message that does not say which split or what to change
        assert self.faces is not None
        sets = [getattr(self.faces, name) for name in ("train", "val", "test")]
        people = sum(fs.num_identities for fs in sets if fs is not None)
        for stage in EVALUATION_SPLITS:
            faces = getattr(self.faces, stage)
            if faces is None or getattr(self.faces, f"{stage}_pairs") is not None:  # none, or the protocol's
                continue
            _, counts = np.unique(faces.labels, return_counts=True)
            check_evaluation_split(stage, len(counts), people, int(counts.max(initial=0)))

    def _write_split(self, path: Path) -> None:
        """Record which people went where, and what decided it, so the run can be reproduced and audited for
        leakage. ``split_by`` is the source's own split settings (its seed, not the training seed)."""
        assert self.faces is not None
        split = {}
        for name in ("train", "val", "test"):
            fs = getattr(self.faces, name)
            if fs is not None:
                split[name] = sorted(fs.names[i] for i in np.unique(fs.labels))
        record = {
            "source": self.source.describe(),
            "root": self.root,
            "split_by": self.source.split_settings(),
            "training_seed": self.seed,  # weight init and training pairs only: not the split
            "split": split,
        }
        atomic_write_text(path, json.dumps(record, indent=1))

    def resume_at(self, checkpoint: dict[str, Any]) -> None:
        """Continue training where ``checkpoint`` stopped. Lightning keeps the training loader's position in the
        checkpoint but restores it only into a loader it builds after restoring, and it builds this one before
        (to count the steps the LR schedule spans); the first training loader built here takes it instead. A
        checkpoint from inside an epoch then goes on with that epoch's next batch, in that epoch's order."""
        self._resume = None
        fit = checkpoint.get("loops", {}).get("fit_loop", {})
        states = fit.get("state_dict", {}).get("combined_loader") or []
        if fit.get("epoch_loop.batch_progress", {}).get("is_last_batch") or len(states) != 1:
            return  # at an epoch's end (Lightning starts the next epoch's loader itself), or no position saved
        # A position is a place in this process's share of the epoch: on another number of processes the shares
        # are others, and it would point into the wrong one. The epoch starts again instead.
        _, world = rank_world()
        saved = checkpoint.get(CHECKPOINT_KEY, {}).get("processes", world)
        if saved != world:
            log.warning(
                "resuming on %d process(es) a run saved inside epoch %d on %d: that epoch starts again",
                world, int(checkpoint.get("epoch", 0)), saved,
            )  # fmt: skip
            return
        self._resume = (int(checkpoint.get("epoch", 0)), states[0])

    def _train_loader(self, dataset, epoch_sampler: Any, **kwargs) -> StatefulDataLoader:
        """A training loader whose position Lightning keeps in the checkpoint (torchdata's StatefulDataLoader), so
        that a run resumed from inside an epoch continues with that epoch's next batch instead of starting the
        epoch's order again: ``epoch_sampler`` (the one with set_epoch) is skipped forward, no image is loaded
        twice. The first one built after ``resume_at`` takes the checkpoint's position."""
        workers, pin = self.loader_settings()
        loader = StatefulDataLoader(
            dataset, num_workers=workers, pin_memory=pin, persistent_workers=workers > 0, **kwargs
        )
        if self._resume is None:
            return loader
        (epoch, state), self._resume = self._resume, None
        done = int(state.get("_num_yielded", 0))
        if 0 < done < len(loader):
            epoch_sampler.set_epoch(epoch)  # before the loader's first iterator, which Lightning makes before set_epoch
            loader.load_state_dict(state)
            log.info("resuming inside epoch %d, after %d of its %d training batches", epoch, done, len(loader))
        return loader

    def batch_kind(self) -> str:
        """``pairs``, ``pk`` or ``images``: what the training batches are made of."""
        return self._training_batches().kind

    def _training_batches(self) -> TrainingBatches:
        if self.sampler is None:
            raise ConfigError(NO_SAMPLER)
        return self.sampler

    def loader_settings(self) -> tuple[int, bool]:
        """(workers, pinned memory). ``auto``: on a GPU, up to 8 workers per process and pinned memory, so
        that augmenting and copying overlap the GPU's work; on a CPU none and unpinned, since workers would
        take the cores the training step itself runs on."""
        on_gpu = self.trainer is not None and self.trainer.strategy.root_device.type == "cuda"
        workers = self.num_workers
        if workers == "auto":
            per_process = (os.cpu_count() or 1) // max(1, self.trainer.num_devices if on_gpu else 1)
            workers = min(8, max(1, per_process - 1)) if on_gpu else 0
        return int(workers), on_gpu if self.pin_memory == "auto" else bool(self.pin_memory)

    def _loader(self, dataset, **kwargs) -> DataLoader:
        workers, pin = self.loader_settings()
        return DataLoader(dataset, num_workers=workers, pin_memory=pin, persistent_workers=workers > 0, **kwargs)

    def train_dataloader(self) -> DataLoader:
        assert self.faces is not None, "call setup() first"
        rank, world = rank_world()
        epoch = Epoch(self.batch_size, self.pairs_per_epoch, self.seed, rank, world)
        parts = self._training_batches().parts(self.faces.train, self.augment, epoch)
        return self._train_loader(parts.dataset, parts.epoch_sampler, **parts.kwargs)

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        if self.device_augment is None or self.trainer is None or not self.trainer.training:
            return batch
        rank, _ = rank_world()
        # Seeded per batch, not per optimizer step (global_step): with accumulate_grad_batches > 1 the
        # micro-batches of one step would share an augmentation. The counter is loop state, kept on resume.
        step = self.trainer.fit_loop.epoch_loop.batch_progress.total.ready
        if self.batch_kind() in ("pk", "images"):
            images, labels = batch
            return self.device_augment(images, self.device_augment.generator(images.device, step, rank)), labels
        a, b, same = batch
        g = self.device_augment.generator(a.device, step, rank)
        return self.device_augment(a, g), self.device_augment(b, g), same

    def fixed_pairs(self, stage: str) -> tuple[FaceSet, np.ndarray]:
        """The evaluation pairs of ``stage`` ('val' or 'test'): the protocol's if the source gave them,
        else a balanced draw seeded by (seed, stage) so every run and epoch scores the same pairs."""
        assert self.faces is not None, "call setup() first"
        faces = getattr(self.faces, stage)
        if faces is None:
            raise ConfigError(f"the data source has no {stage} split (set a {stage} ratio in data.source.split)")
        given = getattr(self.faces, f"{stage}_pairs")
        if given is not None:
            return faces, given
        count = self.val_pairs if stage == "val" else self.test_pairs
        if stage not in self._drawn:  # drawn once: every epoch scores the same pairs, and the warning comes once
            rng = np.random.default_rng([self.eval_seed, 1 if stage == "val" else 2])
            pairs = draw_distinct_pairs(faces.labels, count, rng)
            if len(pairs) < count:
                log.warning(
                    "%s: %d pairs instead of data.%s_pairs=%d: its people have only %d distinct genuine pairs, and "
                    "no pair is scored twice",
                    stage, len(pairs), stage, count, int(pairs[:, 2].sum()),
                )  # fmt: skip
            self._drawn[stage] = pairs
        return faces, self._drawn[stage]

    def _pair_loader(self, stage: str) -> DataLoader:
        faces, pairs = self.fixed_pairs(stage)
        # Under DDP each process scores every world-th pair, none twice (Lightning's own sampler would pad
        # the shares to equal length with repeats); the metrics gather all scores before computing.
        rank, world = rank_world()
        if len(pairs) < world:  # a process without pairs would skip the metrics' gather and the others wait forever
            raise ConfigError(
                f"{stage}: {len(pairs)} evaluation pairs for {world} processes; every process needs at least one "
                f"(raise data.{stage}_pairs or train on fewer devices)"
            )
        share = pairs[rank::world]
        return self._loader(PairDataset(faces), sampler=list(map(tuple, share.tolist())), batch_size=self.batch_size)

    def val_dataloader(self) -> DataLoader:
        return self._pair_loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._pair_loader("test")
