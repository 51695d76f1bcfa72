"""Keeping a fine-tuned network's embeddings near the ones it gave before fine-tuning began.

Fine-tuning dlib's face ResNet on LFW's training people lowered validation AUC in the first epoch of every
recipe tried (benchmarks/RESULTS.md, issue #24): the loss reshapes the whole embedding space at once, although
the pretrained space is already better than what a few thousand people can teach. Learning without forgetting
(Li & Hoiem, 2016) adds a term that holds each training image's embedding near the one a frozen copy of the
starting network gives it, so that the loss moves only what it must.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class StartAnchor:
    """A frozen copy of ``net`` as it is now (its pretrained weights) and the term that keeps ``net`` near it:
    ``weight`` times the batch's mean of 1 - cos(embedding, starting embedding), 0 where they agree.

    The copy lives outside the LightningModule's tree: it is neither saved in checkpoints (a resumed run
    rebuilds it from the same pretrained weights) nor handed to the optimizer. It embeds each face once, without
    the mirror-image averaging the network may do outside training, as the network does during training. It
    runs in eval mode: batch norms normalise with their pretrained statistics, so the targets are the embeddings
    the untouched network deploys with (with ``batchnorm: stats`` the trained trunk normalises the same way).
    """

    def __init__(self, net: nn.Module, weight: float) -> None:
        self.weight = weight
        self.start = copy.deepcopy(net).eval().requires_grad_(False)
        if hasattr(self.start, "flip_average"):
            self.start.flip_average = False

    @torch.no_grad()
    def targets(self, images: Tensor) -> Tensor:
        """The starting network's embeddings of ``images`` (already scaled as the network takes them)."""
        first = next(self.start.parameters(), None)
        if first is not None and first.device != images.device:
            self.start.to(images.device)
        return self.start(images).float()

    def __call__(self, embeddings: Tensor, images: Tensor) -> Tensor:
        """The weighted term for ``embeddings``, the trained network's of ``images``."""
        drift = 1 - F.cosine_similarity(embeddings.float(), self.targets(images), dim=1)
        return self.weight * drift.mean()
