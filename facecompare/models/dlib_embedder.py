"""dlib's face ResNet as an embedder, with dlib's own weights (public domain) as a face-trained start."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch

from facecompare.models.dlib_resnet import NATIVE_SIZE, DlibResNet
from facecompare.models.dlib_weights import DAT_NAME, installed_dat, load_dlib_weights
from facecompare.models.embedder import Embedder, check_in_channels
from facecompare.models.weights import adapt_first_conv

# dlib's input layer: (pixel - mean pixel) / 256 on 0-255 RGB, i.e. (x - mean / 255) / (256 / 255) on [0, 1]
DLIB_MEAN_PIXEL = (122.782, 117.001, 104.298)
DLIB_MEAN = tuple(v / 255 for v in DLIB_MEAN_PIXEL)
DLIB_STD = (256 / 255,) * 3
DESCRIPTOR_DIM = 128


class DlibResNetEmbedder(Embedder):
    """``pretrained``: false (random initialisation), true (the ``.dat`` file of the installed
    ``face_recognition_models`` package) or the path of such a file. With dlib's weights and
    ``embedding_dim=128`` the projection is dlib's last layer, so the untouched model gives dlib's face
    descriptor (normalised when ``normalize``); another ``embedding_dim`` starts a new projection on dlib's
    256-wide pooled features. Faces are 150 x 150 chips in dlib's geometry (``data.alignment=dlib``); other
    sizes are refused rather than resized, since the weights were learned at that scale."""

    input_size: ClassVar[int] = NATIVE_SIZE
    size_note: ClassVar[str] = "(dlib's chips)"

    def __init__(
        self,
        pretrained: bool | str | None = False,
        embedding_dim: int = DESCRIPTOR_DIM,
        normalize: bool = True,
        in_channels: int = 3,
        dropout: float = 0.0,
        flip_average: bool = False,
    ) -> None:
        check_in_channels(in_channels)
        trunk = DlibResNet()
        descriptor = None
        if pretrained:
            descriptor = load_dlib_weights(trunk, installed_dat() if pretrained is True else Path(str(pretrained)))
        trunk.stem = adapt_first_conv(trunk.stem, in_channels)
        super().__init__(
            trunk,
            feature_dim=trunk.out_features,
            embedding_dim=embedding_dim,
            normalize=normalize,
            in_channels=in_channels,
            mean=DLIB_MEAN,
            std=DLIB_STD,
            dropout=dropout,
            flip_average=flip_average,
            min_input_size=NATIVE_SIZE,
        )
        if descriptor is not None and embedding_dim == DESCRIPTOR_DIM:
            with torch.no_grad():
                self.projection.weight.copy_(descriptor)
                self.projection.bias.zero_()

    @staticmethod
    def weights_origin(pretrained: bool | str) -> dict[str, str]:
        """What model.json says of these starting weights (facecompare.export.weights_origin)."""
        return {
            "source": f"dlib's {DAT_NAME} (dlib-models by Davis King; installed by face_recognition_models)",
            "licence": "public domain (CC0 1.0), as the dlib-models README states",
            "trained_on": "about 3 million faces of 7,485 people, none of them in LFW (dlib-models README)",
        }
