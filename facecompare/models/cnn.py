"""The compact custom CNN of the siamese-network tutorials, made configurable."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from facecompare.errors import ConfigError
from facecompare.models.embedder import Embedder, check_in_channels


def conv_block(in_ch: int, out_ch: int, convs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(convs):
        layers += [
            nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        ]
    layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class CompactCNN(Embedder):
    """A stack of Conv-BN-ReLU(-Conv-BN-ReLU)-MaxPool blocks, then max pooling to a grid and a projection.

    ``widths`` sets both the depth (one block per entry) and the channels of each block.
    ``pool_grid`` 1 pools each channel to one value (global max pooling), which forgets where on the face a
    feature fired; a grid of g keeps a g x g layout (an aligned face has its eyes, nose and mouth in fixed
    cells), as the flattened output layers of face-recognition networks do, at ``g * g`` times the projection's
    parameters. Adaptive pooling keeps either choice independent of the input size.
    """

    def __init__(
        self,
        widths: Sequence[int] = (16, 32, 64, 128),
        convs_per_block: int = 1,
        embedding_dim: int = 128,
        normalize: bool = True,
        in_channels: int = 3,
        dropout: float = 0.0,
        flip_average: bool = False,
        pool_grid: int = 1,
    ) -> None:
        widths = list(widths)
        if not widths or any(w < 1 for w in widths):
            raise ConfigError(f"backbone.widths must be a non-empty list of positive ints, got {widths}")
        if convs_per_block < 1:
            raise ConfigError(f"backbone.convs_per_block must be >= 1, got {convs_per_block}")
        if pool_grid < 1:
            raise ConfigError(f"backbone.pool_grid must be >= 1, got {pool_grid}")
        check_in_channels(in_channels)
        channels = [in_channels, *widths]
        trunk = nn.Sequential(
            *(conv_block(channels[i], channels[i + 1], convs_per_block) for i in range(len(widths))),
            nn.AdaptiveMaxPool2d(pool_grid),
        )
        super().__init__(
            trunk,
            feature_dim=widths[-1] * pool_grid * pool_grid,
            embedding_dim=embedding_dim,
            normalize=normalize,
            in_channels=in_channels,
            dropout=dropout,
            flip_average=flip_average,
            min_input_size=2 ** len(widths) * pool_grid,
        )
