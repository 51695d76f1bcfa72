"""What fine-tuning a pretrained backbone needs: a slower trunk, frozen blocks, frozen batch-norm statistics and
a head-only warm-up. Every backbone is an Embedder whose ``trunk`` is the pretrained network and whose
``projection`` is the head, so these settings work alike for all of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.optim import Optimizer

from facecompare.errors import ConfigError


def _under(name: str, prefix: str) -> bool:
    # whole dotted components: "trunk.blocks.1" is not a prefix of "trunk.blocks.10.conv.weight"
    return name == prefix or name.startswith(prefix + ".")


def _examples(net: nn.Module, count: int = 8) -> str:
    names = [n for n, m in net.named_modules() if n and next(m.parameters(), None) is not None]
    top = [n for n in names if "." not in n.removeprefix("trunk.")]
    deeper = next((n for n in names if n not in top), None)
    listed = ", ".join(top[:count]) + (", ..." if len(top) > count else "")
    return listed + (f", or their sub-modules such as {deeper}" if deeper else "")


@dataclass
class FineTuning:
    """``trunk_lr_scale``: the trunk learns at this fraction of ``optimizer.lr``; the projection and the loss's
    own parameters learn at ``optimizer.lr``. The LR schedule scales both alike.

    ``freeze``: backbone parameter names or their prefixes (module names such as ``trunk.layer1``) that keep
    their pretrained values; the batch norms inside those modules keep their statistics too.

    ``batchnorm``: ``train`` (as usual); ``stats``: the trunk's batch norms normalise with their pretrained
    running statistics and leave them unchanged (small fine-tuning batches of few people would otherwise
    overwrite statistics gathered over millions of faces), their scale and shift still learn; ``frozen``:
    scale and shift fixed too.

    ``trunk_frozen_epochs``: the first N epochs train the head alone on the fixed trunk (in eval mode), so that
    a fresh projection does not send its large early gradients into the pretrained weights. The trunk's
    gradients are still computed, then dropped (the same on every DDP process): those epochs cost as much.

    ``keep_start``: the weight of a term that holds each training image's embedding near the one the network
    gave it before fine-tuning (facecompare.training.start_anchor); 0 leaves it out. Each step then also
    embeds the batch with a frozen copy of the starting network: one more forward pass, no backward.

    The defaults change nothing.
    """

    trunk_lr_scale: float = 1.0
    freeze: Sequence[str] | str = ()
    batchnorm: Literal["train", "stats", "frozen"] = "train"
    trunk_frozen_epochs: int = 0
    keep_start: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.trunk_lr_scale <= 1:
            raise ConfigError(f"model.finetune.trunk_lr_scale must be in (0, 1], got {self.trunk_lr_scale}")
        if self.batchnorm not in ("train", "stats", "frozen"):
            raise ConfigError(f"model.finetune.batchnorm must be train, stats or frozen, got {self.batchnorm!r}")
        if self.trunk_frozen_epochs < 0:
            raise ConfigError(f"model.finetune.trunk_frozen_epochs must be >= 0, got {self.trunk_frozen_epochs}")
        if not self.keep_start >= 0:
            raise ConfigError(f"model.finetune.keep_start must be >= 0, got {self.keep_start}")
        self.freeze = (self.freeze,) if isinstance(self.freeze, str) else tuple(str(p) for p in self.freeze)

    @property
    def active(self) -> bool:
        return self != FineTuning()

    def frozen(self, name: str) -> bool:
        """Whether the backbone's parameter or module ``name`` keeps its pretrained values."""
        return any(_under(name, prefix) for prefix in self.freeze)

    def prepare(self, net: nn.Module) -> None:
        """Check the settings against ``net`` and freeze what they name, before an optimizer or a DDP wrapper
        gathers the parameters (DDP leaves out those that need no gradient)."""
        trunk = getattr(net, "trunk", None)
        if not isinstance(trunk, nn.Module):
            raise ConfigError(
                f"model.finetune needs a backbone with a pretrained `trunk`; {type(net).__name__} has none"
            )
        names = [name for name, _ in net.named_parameters()]
        for prefix in self.freeze:
            if not any(_under(name, prefix) for name in names):
                raise ConfigError(
                    f"model.finetune.freeze: {prefix!r} names no parameter of {type(net).__name__}; "
                    f"use its module names, e.g. {_examples(net)}"
                )
        for name, param in net.named_parameters():
            if self.frozen(name) or (self.batchnorm == "frozen" and _in_trunk_batchnorm(net, name)):
                param.requires_grad_(False)

    def fixed_modules(self, net: nn.Module, epoch: int) -> list[nn.Module]:
        """The modules that stay in eval mode while the rest of ``net`` trains in ``epoch``."""
        fixed = [m for n, m in net.named_modules() if isinstance(m, _BatchNorm) and self.frozen(n)]
        if self.batchnorm != "train":
            fixed += [m for m in net.trunk.modules() if isinstance(m, _BatchNorm)]
        if self.head_only(epoch):
            fixed.append(net.trunk)
        return fixed

    def head_only(self, epoch: int) -> bool:
        return epoch < self.trunk_frozen_epochs

    def param_groups(self, net: nn.Module, params: Iterable[nn.Parameter]) -> list[dict[str, Any]]:
        """``params`` (all of the training module's) as a ``trunk`` and a ``head`` group, without the frozen ones."""
        in_trunk = {id(p) for p in net.trunk.parameters()}
        trainable = [p for p in params if p.requires_grad]
        groups = [
            {"name": "trunk", "params": [p for p in trainable if id(p) in in_trunk]},
            {"name": "head", "params": [p for p in trainable if id(p) not in in_trunk]},
        ]
        groups = [g for g in groups if g["params"]]
        if not groups:
            raise ConfigError("model.finetune.freeze leaves no parameter to train")
        return groups

    def scale_trunk_lr(self, optimizer: Optimizer) -> None:
        # on the built optimizer, whose defaults know the configured lr; a schedule built afterwards takes
        # each group's lr as its base, so it keeps the ratio
        for group in optimizer.param_groups:
            if group.get("name") == "trunk":
                group["lr"] = group["lr"] * self.trunk_lr_scale

    def describe(self, net: nn.Module, optimizer: Optimizer) -> str:
        """One line for the log: each group's LR, what is frozen and for how long."""
        lrs = [f"{g['name']} lr {g['lr']:.3g}" for g in optimizer.param_groups]
        if self.trunk_lr_scale != 1 and any(g["name"] == "trunk" for g in optimizer.param_groups):
            lrs[0] += f" ({self.trunk_lr_scale:g}x)"
        parts = [f"fine-tuning: {', '.join(lrs)}"]
        if self.freeze:
            count = sum(p.numel() for name, p in net.named_parameters() if self.frozen(name))
            parts.append(f"frozen {', '.join(self.freeze)} ({_millions(count)} parameters)")
        if self.batchnorm != "train":
            what = "statistics" if self.batchnorm == "stats" else "statistics, scale and shift"
            layers = sum(isinstance(m, _BatchNorm) for m in net.trunk.modules())
            parts.append(
                f"trunk batch-norm {what} frozen ({layers} layers)" if layers else "no batch norm in the trunk"
            )
        if self.trunk_frozen_epochs:
            parts.append(f"head alone for the first {self.trunk_frozen_epochs} epoch(s)")
        if self.keep_start:
            parts.append(f"embeddings held near the start's (weight {self.keep_start:g})")
        return "; ".join(parts)


def _millions(count: int) -> str:
    return f"{count / 1e6:.1f} M" if count >= 100_000 else f"{count:,}"


def _in_trunk_batchnorm(net: nn.Module, name: str) -> bool:
    module_name = name.rpartition(".")[0]
    return module_name.startswith("trunk.") and isinstance(net.get_submodule(module_name), _BatchNorm)
