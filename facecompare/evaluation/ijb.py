"""IJB-B and IJB-C 1:1 verification, the template protocol published tables report (TAR at FAR 1e-6 .. 1e-1).

A template is a set of photos and video frames of one person; a pair compares two templates. As insightface's
``ijb_11.py``: every image of ``loose_crop/`` is aligned on its five landmarks (``<name>_name_5pts_score.txt``,
which also gives each face's detection score), embedded with its mirror image, and weighted by that score;
the images of one medium (a photo, or one video's frames) are averaged, a template is the sum of its media's
averages, and a pair's score compares the two templates' normalised features.

The data needs a licence from NIST (IJB-C: https://www.nist.gov/programs-projects/face-challenges); insightface
repackages the 1:1 meta files and loose crops as ``IJB_release/IJBC/{meta,loose_crop}``, the layout read here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from facecompare.data.alignment import align_face
from facecompare.errors import FacecompareError

FARS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
Embed = Callable[[np.ndarray], np.ndarray]  # (N, size, size, 3) uint8 crops -> (N, D) unit embeddings


class IJBError(FacecompareError):
    """An IJB layout with missing or malformed meta files or media."""


def _rows(path: Path, fields: int) -> list[list[str]]:
    if not path.is_file():
        raise IJBError(f"{path}: missing (expected IJB_release/<IJBC|IJBB>/meta/ from insightface's package)")
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != fields:
            raise IJBError(f"{path}:{number}: expected {fields} fields, got {len(parts)}")
        rows.append(parts)
    return rows


def read_layout(root: Path, name: str = "IJBC") -> dict[str, Any]:
    """The media table (image, template, medium), landmarks with detection scores, and template pairs."""
    prefix, meta = name.lower(), root / "meta"
    media = _rows(meta / f"{prefix}_face_tid_mid.txt", 3)
    marks = _rows(meta / f"{prefix}_name_5pts_score.txt", 12)
    pairs = _rows(meta / f"{prefix}_template_pair_label.txt", 3)
    landmarks = {r[0]: (np.asarray(r[1:11], np.float64).reshape(5, 2), float(r[11])) for r in marks}
    for number, (image, *_rest) in enumerate(media, start=1):
        if image not in landmarks:
            raise IJBError(f"{meta / f'{prefix}_face_tid_mid.txt'}:{number}: {image} has no landmarks")
        if not (root / "loose_crop" / image).is_file():
            raise IJBError(f"{meta / f'{prefix}_face_tid_mid.txt'}:{number}: {root / 'loose_crop' / image} is missing")
    templates = {int(t) for _, t, _ in media}
    for number, (a, b, _) in enumerate(pairs, start=1):
        for t in (int(a), int(b)):
            if t not in templates:
                raise IJBError(f"{meta / f'{prefix}_template_pair_label.txt'}:{number}: template {t} has no media")
    return {"media": media, "landmarks": landmarks, "pairs": pairs}


def template_features(emb: np.ndarray, templates: np.ndarray, media: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(template ids, unit features): each medium's embeddings averaged, a template's media averages summed."""
    ids = np.unique(templates)
    features = np.zeros((len(ids), emb.shape[1]))
    for k, t in enumerate(ids):
        rows = templates == t
        for m in np.unique(media[rows]):
            features[k] += emb[rows & (media == m)].mean(0)
    norms = np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    return ids, features / norms


def ijb_scores(
    embed: Embed, root: Path, name: str, size: int, margin: float = 0.0, alignment: str = "arcface",
    detector_score: bool = True,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(pair scores as cosine similarities in [-1, 1], same-person labels) of the layout's template pairs."""
    layout = read_layout(root, name)
    crops = []
    for image, _, _ in layout["media"]:
        with Image.open(root / "loose_crop" / image) as im:
            photo = np.asarray(im.convert("RGB"))
        crops.append(align_face(photo, layout["landmarks"][image][0], size, margin, alignment))
    emb = embed(np.stack(crops))
    if detector_score:  # a surer detection weighs more in its medium's average, as insightface scores
        emb = emb * np.array([layout["landmarks"][i][1] for i, _, _ in layout["media"]])[:, None]
    templates = np.array([int(t) for _, t, _ in layout["media"]])
    media = np.array([int(m) for _, _, m in layout["media"]])
    ids, features = template_features(emb, templates, media)
    index = {int(t): k for k, t in enumerate(ids)}
    pairs = np.array([(index[int(a)], index[int(b)], int(label)) for a, b, label in layout["pairs"]])
    scores = (features[pairs[:, 0]] * features[pairs[:, 1]]).sum(1)
    return scores, pairs[:, 2]
