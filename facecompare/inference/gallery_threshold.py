"""Which threshold identification uses against a gallery, and whether an access decision may use it.

A bundle's own threshold is fitted to pairs (1:1). A stranger compared with a gallery of N embeddings has N
chances to pass, so that threshold takes many strangers for someone (open_set.py). This is the one place
that chooses, for the command line, the web app and any service built on ``FaceService``:

- a threshold given explicitly is used as given: whoever gave it vouches for it;
- else the threshold fitted to the gallery's size for a target FPIR: the one asked for, or ``DEFAULT_FPIR``
  when the bundle carries an open-set curve;
- else (no curve, or a curve that cannot show the default rate for a gallery this large) the bundle's 1:1
  threshold, with a warning, for identification only. An access decision refuses instead: it fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from facecompare.inference.open_set import FarCurve, OpenSetError

if TYPE_CHECKING:
    from facecompare.inference.bundle import Bundle

DEFAULT_FPIR = 1e-3  # at most 0.1 % of strangers taken for someone, when nobody asked for another rate
WARN_FPIR = 0.01  # a threshold whose bound lets more strangers through than this is warned about
GIVEN, ONE_TO_ONE = "given", "1:1"
CALIBRATE = (
    "run scripts/evaluate.py on the checkpoint and export it again (the bundle then carries an open-set curve), "
    "or give --fpir RATE or --threshold T"
)


class AccessRefusedError(OpenSetError):
    """An access decision was asked for without a threshold the tool can vouch for: nobody is granted."""


@dataclass(frozen=True)
class GalleryThreshold:
    """``rule``: ``given``, ``fpir RATE`` (fitted to ``comparisons`` embeddings) or ``1:1`` (the bundle's pair
    threshold, which no access decision uses). ``fpir_bound``: None without an open-set curve. ``fallback``:
    why the 1:1 threshold is in use."""

    value: float
    fpir_bound: float | None
    rule: str
    comparisons: int
    fallback: str | None = None

    @property
    def vouched(self) -> bool:
        return self.rule != ONE_TO_ONE

    def warning(self) -> str | None:
        """What a user should know about this threshold, or None when it keeps strangers out as asked."""
        among = f"among this gallery's {self.comparisons} embeddings"
        if self.rule == ONE_TO_ONE and self.fpir_bound is None:
            return (
                f"threshold {self.value:.4f} is the bundle's 1:1 threshold, not fitted to this gallery "
                f"({self.fallback}): strangers may be taken for someone; {CALIBRATE}"
            )
        if self.rule == ONE_TO_ONE:
            return (
                f"{self.fallback}; at the bundle's 1:1 threshold {self.value:.4f}, up to {self.fpir_bound:.1%} of "
                f"strangers may be taken for someone {among}"
            )
        if self.rule == GIVEN and self.fpir_bound is not None and self.fpir_bound > WARN_FPIR:
            return (
                f"at threshold {self.value:.4f}, up to {self.fpir_bound:.1%} of strangers may be taken for someone "
                f"{among} (the bundle's open-set curve); --fpir {WARN_FPIR:g} fits the threshold to the gallery's size"
            )
        return None


def choose_threshold(
    bundle: Bundle, threshold: float | None, fpir: float | None, comparisons: int, access: bool = False
) -> GalleryThreshold:
    """The threshold for a gallery of ``comparisons`` embeddings by the rule above. With ``access`` (an allow
    list decides), a choice that would fall back on the 1:1 threshold raises AccessRefusedError instead."""
    if threshold is not None and fpir is not None:
        raise OpenSetError("give a threshold or a false positive identification rate, not both")
    curve = FarCurve.from_meta(bundle.meta)

    def at(value: float, rule: str, fallback: str | None = None) -> GalleryThreshold:
        bound = curve.fpir_bound(value, comparisons) if curve is not None else None
        return GalleryThreshold(value, bound, rule, comparisons, fallback)

    if threshold is not None:
        return at(float(threshold), GIVEN)
    if fpir is not None and curve is None:
        raise OpenSetError(
            f"{bundle.path}: this bundle carries no open-set curve, so no threshold can be fitted to a gallery: "
            "run scripts/evaluate.py on the checkpoint (LFW View 1, or a folder of people it did not train on), then "
            "export it again"
        )
    if fpir is not None:
        return at(curve.threshold_for(fpir, comparisons)[0], f"fpir {fpir:g}")
    if curve is None:
        why = f"the bundle {bundle.path} carries no open-set curve"
    else:
        try:
            return at(curve.threshold_for(DEFAULT_FPIR, comparisons)[0], f"fpir {DEFAULT_FPIR:g}")
        except OpenSetError as err:
            why = str(err)
    if access:
        raise AccessRefusedError(
            f"access refused, nobody is granted: a decision needs a threshold fitted to the gallery, and {why}; "
            f"{CALIBRATE}"
        )
    return at(bundle.threshold, ONE_TO_ONE, why)
