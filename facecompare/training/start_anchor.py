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
    rebuilds it from the same pretrained weights) nor handed to the optimizer. Each of its modules runs in the
    mode ``net``'s module of the same name is in at that step, so a batch norm that normalises ``net``'s batch
    by the batch's own statistics normalises the copy's by them too, and one fixed in eval mode (frozen blocks,
    ``batchnorm: stats``) uses its pretrained statistics in both: the term is 0 until the weights move, whatever
    the backbone. Dropout stays off in the copy, and it embeds each face once, without mirror averaging.
    """

    def __init__(self, net: nn.Module, weight: float) -> None:
        self.weight = weight
        self.net = net
        self.start = copy.deepcopy(net).requires_grad_(False)
        if hasattr(self.start, "flip_average"):
            self.start.flip_average = False

    def _mirror_modes(self) -> None:
        # by name, not by position: DDP's SyncBatchNorm replaces net's batch norms after the copy was made (and
        # normalises by every process's batch, the copy by this process's alone)
        modes = {name: module.training for name, module in self.net.named_modules()}
        for name, module in self.start.named_modules():
            module.training = modes.get(name, False) and not isinstance(module, nn.modules.dropout._DropoutNd)

    @torch.no_grad()
    def targets(self, images: Tensor) -> Tensor:
        """The starting network's embeddings of ``images`` (already scaled as the network takes them)."""
        first = next(self.start.parameters(), None)
        if first is not None and first.device != images.device:
            self.start.to(images.device)
        self._mirror_modes()
        return self.start(images).float()

    def __call__(self, embeddings: Tensor, images: Tensor) -> Tensor:
        """The weighted term for ``embeddings``, the trained network's of ``images``."""
        drift = 1 - F.cosine_similarity(embeddings.float(), self.targets(images), dim=1)
        return self.weight * drift.mean()
