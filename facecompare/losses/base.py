"""The contract every training criterion honours, and the argument checks they share."""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from torch import Tensor, nn

from facecompare.errors import ConfigError


class PairCriterion(nn.Module, ABC):
    """A loss that also knows how to turn a pair of embeddings into a same-person score.

    ``batch_kind`` says which batches it takes (its config chooses the matching ``data/sampler``):

    - ``"pairs"``: ``forward(a, b, same)`` on batches of (img_a, img_b, same);
    - ``"pk"``: ``forward(embeddings, labels)`` on P identities x K images;
    - ``"images"``: ``forward(embeddings, labels)`` on shuffled images (one class per identity).

    ``score`` is what validation (ROC, threshold) and inference use, whatever the loss was trained with,
    so every criterion must provide one on the same [0, 1] scale.
    """

    batch_kind: ClassVar[str]

    @abstractmethod
    def score(self, a: Tensor, b: Tensor) -> Tensor:
        """(N, D), (N, D) -> (N,) similarity score in [0, 1], higher = more likely the same person."""


def check_in_range(
    name: str, value: float, low: float, high: float = math.inf, *, include_low: bool = False, high_name: str = ""
) -> float:
    """``value`` as a float if ``low < value < high`` (``low <= value`` with ``include_low``), else a ConfigError.

    ``high_name`` names the setting an upper bound comes from, so the message reads ``[0, margin=1.0)``.
    """
    # the comparison is negated as a whole rather than split into `<=`/`>=` parts so that NaN fails it; a
    # value that is not a number (loss.margin=abc) is refused before it meets `<`
    numeric = isinstance(value, numbers.Real) and not isinstance(value, bool)
    above_low = numeric and (low <= value if include_low else low < value)
    if not (above_low and value < high):
        if math.isinf(high):
            expected = f"{'>=' if include_low else '>'} {low:g}"
        else:
            bound = f"{high_name}={high}" if high_name else f"{high:g}"
            expected = f"in {'[' if include_low else '('}{low:g}, {bound})"
        raise ConfigError(f"loss.{name} must be {expected}, got {value!r}")
    return float(value)


def check_positive(name: str, value: float) -> float:
    return check_in_range(name, value, 0.0)


def check_positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ConfigError(f"loss.{name} must be an integer > 0, got {value!r}")
    return int(value)


def check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ConfigError(f"loss.{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_pair_batch(owner: str, a: Tensor, b: Tensor, same: Tensor | None = None) -> None:
    """Refuse mis-shaped pair batches here, where the message can say what was expected."""
    if a.ndim != 2 or a.shape != b.shape or a.shape[0] == 0:
        raise ValueError(
            f"{owner} expects a and b of the same shape (N, D) with N >= 1, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    if same is not None and same.shape != a.shape[:1]:
        raise ValueError(f"{owner} expects same of shape ({a.shape[0]},), got {tuple(same.shape)}")


def check_labelled_batch(owner: str, embeddings: Tensor, labels: Tensor) -> None:
    if embeddings.ndim != 2 or embeddings.shape[0] == 0 or labels.shape != embeddings.shape[:1]:
        raise ValueError(
            f"{owner} expects embeddings of shape (N, D) with N >= 1 and labels of shape (N,), "
            f"got {tuple(embeddings.shape)} and {tuple(labels.shape)}"
        )
