"""Warping a face onto a canonical 5-point template with a similarity transform."""

from __future__ import annotations

import cv2
import numpy as np

from facecompare.data.detection.base import Face
from facecompare.data.images import center_square

# The ArcFace/InsightFace template for 112 x 112 crops: left eye, right eye, nose tip, mouth left, mouth right
# (left/right as seen in the image). Other sizes scale it.
TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


# dlib's face chips (dlib.get_face_chip, padding 0.25), on which its face ResNet was trained, for MTCNN's five
# points. dlib aligns on its own points (eye corners, base of the nose), so where MTCNN's land on dlib's chips
# was measured rather than read off dlib's mean face: the mean over 993 LFW peopleDevTrain photos
# (benchmarks/dlib_template.py), as fractions of the unpadded face; a chip is padded as dlib pads,
# (padding + p) / (1 + 2 padding) of its side.
_DLIB_MEAN_FACE = np.array(
    [[0.230365, 0.210880], [0.771184, 0.209604], [0.495856, 0.532877], [0.261235, 0.805949], [0.739509, 0.804716]]
)
DLIB_PADDING = 0.25
TEMPLATE_DLIB_112 = (DLIB_PADDING + _DLIB_MEAN_FACE) / (1 + 2 * DLIB_PADDING) * 112.0
# where the five landmarks land in a crop: ArcFace's layout, or dlib's chips (backbone=dlib_resnet)
TEMPLATES = {"arcface": TEMPLATE_112, "dlib": TEMPLATE_DLIB_112}
ALIGNMENTS = tuple(TEMPLATES)


def template(size: int, margin: float = 0.0, alignment: str = "arcface") -> np.ndarray:
    """Landmark targets for a ``size`` crop in the ``alignment`` layout. ``margin`` > 0 shrinks the face
    toward the centre to keep more context: 0.2 leaves 20 % more of the surroundings on each side."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if alignment not in TEMPLATES:
        raise ValueError(f"alignment must be one of {list(ALIGNMENTS)}, got {alignment!r}")
    centre = np.array([56.0, 56.0])
    points = centre + (TEMPLATES[alignment] - centre) / (1.0 + margin)
    return points * (size / 112.0)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 rotation + uniform scale + translation that best maps ``src`` points onto ``dst``
    in the least-squares sense (Umeyama 1991), without reflection."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    flip = np.diag([1.0, np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0])
    rot = u @ flip @ vt
    var_s = (s**2).sum() / len(src)
    scale = float(np.trace(np.diag(sig) @ flip) / var_s) if var_s > 0 else 1.0
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


def align_face(
    image: np.ndarray, landmarks: np.ndarray, size: int, margin: float = 0.0, alignment: str = "arcface"
) -> np.ndarray:
    """Warp ``image`` (H, W, 3 uint8) so the 5 ``landmarks`` land on the template of a ``size`` crop."""
    matrix = similarity_transform(landmarks, template(size, margin, alignment))
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def crop_box(image: np.ndarray, box: np.ndarray, size: int, margin: float = 0.0) -> np.ndarray:
    """A square crop around a detector box (for detectors without landmarks), enlarged by ``margin``."""
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = max(x1 - x0, y1 - y0) * (1.0 + margin) / 2
    scale = size / (2 * half)
    matrix = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]])
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def crop_face(
    image: np.ndarray, face: Face | None, size: int, margin: float = 0.0, alignment: str = "arcface"
) -> np.ndarray:
    """The crop the models see: aligned on the landmarks when the detector gives them, a square around the
    box when it does not, and the centred square of the whole image when there is no face to use (``None``:
    a centre-crop fallback, or data that is already cropped)."""
    if face is None:
        return center_square(image, size)
    if face.landmarks is not None:
        return align_face(image, np.asarray(face.landmarks), size, margin, alignment)
    return crop_box(image, np.asarray(face.box), size, margin)
