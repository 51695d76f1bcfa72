"""What insightface's arcface_torch backbones share as embedders: 112 x 112 input only, [-1, 1] scaling,
``backbone.pth`` weights from a file, and the licence of insightface's published weights."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import torch
from torch import Tensor, nn

from facecompare.models.embedder import Embedder, check_in_channels
from facecompare.models.weights import WeightsError, load_into, load_weights_file

WHERE = (
    "arcface_torch backbone.pth files come from the Model Zoo of insightface's recognition/arcface_torch README, "
    "for non-commercial research use only"
)
FEATURES = 512  # arcface_torch's num_features, the width of its published networks


class ArcfaceEmbedder(Embedder, ABC):
    """An arcface_torch network (``net``, its 512-d output) followed by the projection. With pretrained
    weights and ``embedding_dim=512`` the projection starts as the identity, so the untouched model embeds
    exactly as the published network does.

    The input size is fixed: the networks end in a layer sized for a 112 x 112 face (a fully connected one
    over IResNet's 7 x 7 grid, a 7 x 7 depthwise one in MobileFaceNet). Other sizes are refused rather than
    resized, since a resize would change the face the weights expect."""

    input_size: ClassVar[int] = 112
    size_note: ClassVar[str] = "only (its last layers are sized for them)"

    def __init__(
        self,
        net: nn.Module,
        pretrained: bool | str | None,
        embedding_dim: int,
        normalize: bool,
        in_channels: int,
        dropout: float,
        flip_average: bool,
    ) -> None:
        check_in_channels(in_channels)
        if pretrained is True:
            raise WeightsError(
                "backbone.pretrained=true: insightface's weights have no download facecompare can make; "
                f"{WHERE}: set backbone.pretrained=/path/to/backbone.pth"
            )
        if pretrained:
            load_into(net, _read(pretrained), str(pretrained))
        self.adapt_stem(net, in_channels)
        super().__init__(
            net,
            feature_dim=FEATURES,
            embedding_dim=embedding_dim,
            normalize=normalize,
            in_channels=in_channels,
            dropout=dropout,
            min_input_size=self.input_size,
            flip_average=flip_average,
        )  # mean and std stay the Embedder's 0.5: arcface_torch feeds (x - 0.5) / 0.5
        if pretrained and embedding_dim == FEATURES:
            with torch.no_grad():
                self.projection.weight.copy_(torch.eye(FEATURES))
                self.projection.bias.zero_()

    @staticmethod
    def weights_origin(pretrained: bool | str) -> dict[str, str]:
        """What model.json says of these starting weights (facecompare.export.weights_origin)."""
        return {
            "source": "an insightface arcface_torch backbone.pth given as a file",
            "licence": "insightface's published arcface_torch weights are for non-commercial research only, and "
            "so is a model fine-tuned from them; weights you trained yourself are yours: check the file's terms",
        }

    @staticmethod
    @abstractmethod
    def adapt_stem(net: nn.Module, in_channels: int) -> None:
        """Rebuild the network's first convolution for ``in_channels`` (after any weights are loaded)."""


def _read(pretrained: str | Path) -> dict[str, Tensor]:
    path = Path(pretrained).expanduser()
    if not path.is_file():
        raise WeightsError(f"{path}: pretrained weights file not found; {WHERE}")
    return load_weights_file(path)
