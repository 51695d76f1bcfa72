"""What to do with an image that has no face, or several."""

from __future__ import annotations

from typing import Any

from facecompare.data.detection.base import Face
from facecompare.errors import ConfigError

NO_FACE = ("skip", "center_crop")
SEVERAL = ("largest", "central", "skip")
# The defaults of training (data.source.preprocess), the tools and the export: one place, so they agree.
DEFAULT_MIN_PROB = 0.9
DEFAULT_SEVERAL = "largest"


class FacePolicy:
    """``min_prob``: detections below it are ignored. ``no_face``: skip the image, or fall back to a centre
    crop. ``several_faces``: keep the largest face, the one nearest the image centre, or skip the image
    (the safe choice for identity labels: a group photo in someone's folder may show other people)."""

    def __init__(
        self, min_prob: float = DEFAULT_MIN_PROB, no_face: str = "skip", several_faces: str = DEFAULT_SEVERAL
    ) -> None:
        if not 0.0 <= min_prob <= 1.0:
            raise ConfigError(f"data.source.preprocess.min_prob must be in [0, 1], got {min_prob}")
        if no_face not in NO_FACE:
            raise ConfigError(f"data.source.preprocess.no_face must be one of {list(NO_FACE)}, got {no_face!r}")
        if several_faces not in SEVERAL:
            raise ConfigError(
                f"data.source.preprocess.several_faces must be one of {list(SEVERAL)}, got {several_faces!r}"
            )
        self.min_prob, self.no_face, self.several_faces = min_prob, no_face, several_faces

    def settings(self) -> dict[str, Any]:
        return {"min_prob": self.min_prob, "no_face": self.no_face, "several_faces": self.several_faces}

    def choose(self, faces: list[Face], shape: tuple[int, int]) -> tuple[dict[str, Any], Face | None]:
        """The manifest outcome for an image of ``shape`` (H, W), and the face to crop (None: centre crop)."""
        kept = [f for f in faces if f.prob >= self.min_prob]
        if not kept:
            best = max((f.prob for f in faces), default=None)
            detail = "no face found" if best is None else f"no face with prob >= {self.min_prob} (best {best:.3f})"
            if self.no_face == "center_crop":
                return {"status": "no_face", "used": True, "detail": f"{detail}; centre crop used", "prob": best}, None
            return {"status": "no_face", "used": False, "detail": detail, "prob": best}, None
        if len(kept) == 1:
            return {"status": "ok", "used": True, "detail": "", "prob": kept[0].prob}, kept[0]
        if self.several_faces == "skip":
            return {
                "status": "several_faces",
                "used": False,
                "detail": f"{len(kept)} faces; skipped",
                "prob": None,
            }, None
        if self.several_faces == "largest":
            face = max(kept, key=lambda f: f.area)
        else:
            cy, cx = shape[0] / 2, shape[1] / 2
            face = min(
                kept, key=lambda f: ((f.box[0] + f.box[2]) / 2 - cx) ** 2 + ((f.box[1] + f.box[3]) / 2 - cy) ** 2
            )
        detail = f"{len(kept)} faces; took the {self.several_faces} one"
        return {"status": "several_faces", "used": True, "detail": detail, "prob": face.prob}, face
