"""Run by test_ddp.py as a program (DDP starts it once per process): validate one fixed, randomly initialised
model with ``devices`` CPU processes over gloo; rank 0 writes the metrics to ``out``. Then every process
embeds the training images for hard negative mining and a .bin set's images as the validation sets are
embedded, and writes what it got beside ``out``, and the training images of one epoch its loaders give it,
for image and P x K batches."""

import json
import sys
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for conftest
from conftest import compose_train

from facecompare.data.batches import ImageBatches, PKBatches
from facecompare.training.callbacks.bin_validation import BinValidation
from facecompare.training.callbacks.hard_negatives import HardNegativeMining
from facecompare.training.ddp import HydraJobDDPStrategy

devices, out = int(sys.argv[1]), Path(sys.argv[2])
# 101 pairs in batches of 8: process 0 scores 51 pairs (7 batches), process 1 50 (7): uneven shares
# 8 images a person: enough distinct genuine pairs among the few validation people for 101 pairs
cfg = compose_train(
    ["data.val_pairs=101", "data.batch_size=8", "data.source.images_per_identity=8"], out.parent / f"run{devices}"
)
pl.seed_everything(0, verbose=False)
datamodule, model = instantiate(cfg.data), instantiate(cfg.model)
trainer = pl.Trainer(
    accelerator="cpu",
    devices=devices,
    strategy=HydraJobDDPStrategy(process_group_backend="gloo") if devices > 1 else "auto",
    use_distributed_sampler=False,
    logger=False,
    enable_progress_bar=False,
    enable_model_summary=False,
)
trainer.validate(model, datamodule=datamodule, verbose=False)
if trainer.is_global_zero:
    out.write_text(json.dumps({k: float(v) for k, v in trainer.callback_metrics.items()}))
embeddings = HardNegativeMining(fraction=0.5, batch_size=16).embed_training_images(trainer, model)
np.save(out.parent / f"hard{devices}_rank{trainer.global_rank}.npy", embeddings)
# a .bin set's images (an odd count: uneven shares), embedded as the validation sets are
faces = torch.randint(0, 256, (37, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(5))
sets = BinValidation([], image_size=32).embed_set(trainer, model, faces)
np.save(out.parent / f"sets{devices}_rank{trainer.global_rank}.npy", sets.numpy())
read = {}
for kind, batches in (("images", ImageBatches()), ("pk", PKBatches(p=4, k=2))):  # in this process of the group
    datamodule.sampler = batches
    read[kind] = [batch for batch in datamodule.train_dataloader().batch_sampler]
read["train_images"] = len(datamodule.faces.train)
(out.parent / f"read{devices}_rank{trainer.global_rank}.json").write_text(json.dumps(read))
