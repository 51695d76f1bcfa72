"""The pieces of a softmax over classes split across DDP processes (Partial FC, partial_fc.py), after
insightface's ``partial_fc_v2``: gathering the embeddings with their gradients, and a cross-entropy whose
classes are spread over the processes. On one process both are the plain operations."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor
from torch.autograd import Function


class _AllGather(Function):
    @staticmethod
    def forward(ctx, tensor: Tensor) -> Tensor:
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        # every process's loss saw every embedding: sum their gradients, keep this process's rows, and undo
        # the averaging DDP applies to the network's gradients, so that they are those of the whole batch
        grad = grad.contiguous()
        dist.all_reduce(grad)
        rows = grad.shape[0] // dist.get_world_size()
        return grad[dist.get_rank() * rows : (dist.get_rank() + 1) * rows] * dist.get_world_size()


def gather_rows(tensor: Tensor, world: int) -> Tensor:
    """Every process's rows of ``tensor`` (equal counts), in rank order, gradients flowing back to their owner."""
    return tensor if world == 1 else _AllGather.apply(tensor)


class _DistCrossEntropy(Function):
    @staticmethod
    def forward(ctx, logits: Tensor, rows: Tensor, cols: Tensor, world: int) -> Tensor:
        # logits: (N, this process's classes); rows, cols: where the N samples' true classes are, on this process
        top = logits.max(dim=1, keepdim=True).values
        if world > 1:
            dist.all_reduce(top, dist.ReduceOp.MAX)
        exp = (logits - top).exp()
        total = exp.sum(dim=1, keepdim=True)
        if world > 1:
            dist.all_reduce(total)
        softmax = exp / total
        picked = torch.zeros(logits.shape[0], device=logits.device, dtype=logits.dtype)
        picked[rows] = softmax[rows, cols]
        if world > 1:
            dist.all_reduce(picked)
        ctx.save_for_backward(softmax, rows, cols)
        return -picked.clamp_min(1e-30).log().mean()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None]:
        softmax, rows, cols = ctx.saved_tensors
        out = softmax.clone()
        out[rows, cols] -= 1
        return out * (grad / softmax.shape[0]), None, None, None


def dist_cross_entropy(logits: Tensor, rows: Tensor, cols: Tensor, world: int) -> Tensor:
    """Mean cross-entropy of N samples whose classes are spread over ``world`` processes, each holding the
    logits of its own classes; ``(rows, cols)`` are the samples whose true class is here, and its column."""
    return _DistCrossEntropy.apply(logits, rows, cols, world)
