"""dlib's pretrained face descriptor (the face_recognition package) as an optional side-by-side baseline.

Install it yourself (it is not a dependency): ``pip install dlib-bin face-recognition-models "setuptools<81"``
then ``pip install --no-deps face_recognition`` (its own pin wants dlib built from source; face-recognition-
models still imports pkg_resources, which setuptools 81 removed).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import torch
from torch import Tensor, nn

from facecompare.errors import ConfigError

log = logging.getLogger(__name__)

INSTALL = 'pip install dlib-bin face-recognition-models "setuptools<81" && pip install --no-deps face_recognition'
# dlib's descriptor works on 150 px face chips; smaller crops would be upscaled and lose detail
CROP_SIZE = 150


def load_face_recognition(required: bool):
    """The face_recognition module, or None when it is missing (an error when ``required``)."""
    try:
        with warnings.catch_warnings():  # face_recognition_models' own pkg_resources deprecation, not ours
            warnings.simplefilter("ignore", UserWarning)
            import face_recognition
    except (ImportError, SystemExit) as err:  # face_recognition exits when its models package fails to import
        if required:
            reason = err or "not importable"
            raise ConfigError(f"baselines.dlib=true needs dlib's face_recognition ({reason}): {INSTALL}") from err
        log.info("dlib face_recognition not installed: no dlib baseline (%s)", INSTALL)
        return None
    return face_recognition


class DlibBaseline(nn.Module):
    """128-d descriptors of dlib's ResNet, trained on about 3M faces. Each aligned crop is handed over whole
    as the face box; dlib finds its own 5 landmarks inside it and re-aligns."""

    def __init__(self, module, num_jitters: int = 1) -> None:
        super().__init__()
        self.fr = module
        self.num_jitters = num_jitters

    def fit(self, images: Tensor) -> DlibBaseline:
        return self  # pretrained: nothing to fit

    @torch.no_grad()
    def forward(self, x: Tensor) -> Tensor:
        out = []
        for image in (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy():
            image = np.ascontiguousarray(np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image)
            h, w = image.shape[:2]
            (encoding,) = self.fr.face_encodings(image, [(0, w, h, 0)], self.num_jitters, model="small")
            out.append(encoding)
        return torch.as_tensor(np.stack(out), dtype=torch.float32)
