"""Partial FC's class centres in checkpoints. Under DDP each process holds a share of the centres
(losses/partial_fc.py) and of their optimizer moments; a checkpoint holds every share, so that any number of
processes can resume it, and evaluation and export read it as any other: gathered when it is saved, each
process's share taken again when it is resumed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from torch import Tensor, nn

from facecompare.distributed import rank_world
from facecompare.errors import ConfigError
from facecompare.losses.partial_fc import shard

# the optimizer's parameter group of the class centres, named so by SiameseModule.configure_optimizers
CENTRES_GROUP = "centres"
# where a checkpoint keeps a module's weights: Lightning's state_dict, and the raw weights that WeightEMA keeps
# beside the average it puts there
STATE_KEYS = ("state_dict", "current_model_state")


def gather_centres(checkpoint: dict[str, Any], loss: nn.Module, prefix: str = "loss.") -> None:
    """Put every process's centres, and their optimizer state, into ``checkpoint`` in place of this process's
    share. Collective: under DDP every process calls it, as Lightning calls ``on_save_checkpoint`` in each."""
    whole = getattr(loss, "whole", None)
    if whole is None or rank_world()[1] == 1:
        return
    rows = len(loss.weight)
    for key in STATE_KEYS:
        states = checkpoint.get(key)
        if states and prefix + "weight" in states:
            states[prefix + "weight"] = whole(states[prefix + "weight"])
            states[prefix + "rows"] = states[prefix + "rows"].new_tensor([0, loss.num_classes])
    for tensors in _centre_states(checkpoint):
        for name, value in tensors.items():
            if _has_rows(value, rows):
                tensors[name] = whole(value)


def share_centres(checkpoint: dict[str, Any], prefix: str = "loss.") -> None:
    """Keep this process's share of the centres' optimizer state in a ``checkpoint`` that holds every one, before
    Lightning restores the optimizer. The centres themselves the loss takes when it loads its state."""
    held = held_rows(checkpoint.get("state_dict", {}), prefix)
    if held is None:
        return
    rows, classes = held
    start, end = shard(classes, *rank_world())
    if rows != [0, classes] or (start, end) == (0, classes):  # one share only: check_every_centre refuses it
        return
    for tensors in _centre_states(checkpoint):
        for name, value in tensors.items():
            if _has_rows(value, classes):
                tensors[name] = value[start:end]


def check_every_centre(ckpt: str, checkpoint: dict[str, Any]) -> None:
    """Refuse to resume a checkpoint that holds one process's share of the centres: one written by several
    processes before checkpoints held every share (rank 0's). Resumed, the other shares would start afresh beside
    another rank's moments, or stop at the first step where the shares differ in size."""
    state = checkpoint.get("state_dict", {})
    for key in [k for k in state if k.endswith(".rows")]:
        held = held_rows(state, key.removesuffix("rows"))
        if held is not None and held[0] != [0, held[1]]:
            raise ConfigError(
                f"ckpt_path={ckpt}: it holds the class centres of rows {held[0]} of {held[1]} only (rank 0's "
                "share: a loss=partial_fc run of several processes saved by a facecompare from before checkpoints "
                "held every share), so it cannot be resumed. It still evaluates and exports"
            )


def held_rows(states: dict[str, Any], prefix: str) -> tuple[list[int], int] | None:
    """([first, last), the number of classes): the centre rows a state dict holds for the Partial FC loss at
    ``prefix``; None where it holds none."""
    rows, index = states.get(prefix + "rows"), states.get(prefix + "class_index")
    if rows is None or index is None:
        return None
    return rows.tolist(), int((index >= 0).sum())


def _centre_states(checkpoint: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The optimizer state of each class-centre parameter (AdamW's moments, SGD's momentum)."""
    for optimizer in checkpoint.get("optimizer_states", []):
        for group in optimizer.get("param_groups", []):
            if group.get("name") == CENTRES_GROUP:
                for index in group["params"]:
                    if index in optimizer["state"]:
                        yield optimizer["state"][index]


def _has_rows(value: Any, rows: int) -> bool:
    return isinstance(value, Tensor) and value.dim() > 0 and len(value) == rows
