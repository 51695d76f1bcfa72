"""Each found face's quality, set on it once its crop is embedded: what verify, identify, enroll, the web app
and video search show and gate on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from facecompare.errors import FacecompareError

if TYPE_CHECKING:
    from facecompare.inference.bundle import Bundle
    from facecompare.inference.faces import FoundFace

# a face narrower than this in the photo was upsampled into its crop: what it shows was never there to score
MIN_FACE_PX = 20
NO_MODEL = "the bundle carries no quality model (calibrate it: facecompare calibrate PEOPLE_DIR --model BUNDLE)"


class LowQualityError(FacecompareError):
    """A face below the quality an operation asks for (enrolment)."""


def assess(bundle: Bundle, faces: list[FoundFace], embeddings: np.ndarray) -> None:
    """Set ``quality`` (and ``quality_note`` where it is 0 or missing) on each face from its embedding."""
    model = bundle.quality_model
    scores = model.quality(embeddings) if model is not None and len(faces) else None
    for k, face in enumerate(faces):
        width = None if face.box is None else min(face.box[2] - face.box[0], face.box[3] - face.box[1])
        if width is not None and width < MIN_FACE_PX:
            face.quality, face.quality_note = 0.0, f"face {width:.0f} px across, too small to score (< {MIN_FACE_PX})"
        elif scores is None:
            face.quality, face.quality_note = None, NO_MODEL
        else:
            face.quality, face.quality_note = float(scores[k]), None
        face.quality_method = None if face.quality is None else bundle.active_quality


def default_min_quality(bundle: Bundle) -> float | None:
    """The enrolment bar the bundle's calibration chose, or None without a quality model."""
    model = bundle.quality_model
    return None if model is None else model.refuse_below


def require_quality(faces: list[FoundFace], min_quality: float) -> None:
    """Refuse, naming the photo, a face whose quality is below ``min_quality`` or cannot be scored."""
    for face in faces:
        if face.quality is None:
            raise LowQualityError(f"{face.path}: no quality to check against --min-quality: {face.quality_note}")
        if face.quality < min_quality:
            why = face.quality_note or "blurred, dark, turned away or half hidden?"
            raise LowQualityError(
                f"{face.path}: face quality {face.quality:.2f} is below --min-quality {min_quality:.2f} ({why}); "
                "enrol a clearer photo"
            )


def quality_text(face: FoundFace) -> str:
    """``, quality 0.83`` (with the reason where it is 0) to end a line of output about ``face``; nothing where
    the bundle cannot score quality (its JSON says why)."""
    if face.quality is None:
        return ""
    return f", quality {face.quality:.2f}" + (f" ({face.quality_note})" if face.quality_note else "")
