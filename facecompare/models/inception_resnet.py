"""facenet-pytorch's InceptionResnetV1 (the FaceNet network) as an embedder."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from facecompare.models.embedder import Embedder, check_in_channels
from facecompare.models.weights import WeightsError, adapt_first_conv, load_into, load_weights_file

NAMED_WEIGHTS = ("vggface2", "casia-webface")
# facenet-pytorch scales pixels as (x * 255 - 127.5) / 128.
FACENET_MEAN = (127.5 / 255,) * 3
FACENET_STD = (128 / 255,) * 3


class _InceptionTrunk(nn.Module):
    """Runs InceptionResnetV1 up to its 512-d bottleneck, without its own L2 normalisation (ours follows
    the projection) and without the identity classifier."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor) -> Tensor:
        n = self.net
        for layer in (n.conv2d_1a, n.conv2d_2a, n.conv2d_2b, n.maxpool_3a, n.conv2d_3b, n.conv2d_4a):
            x = layer(x)
        for layer in (n.conv2d_4b, n.repeat_1, n.mixed_6a, n.repeat_2, n.mixed_7a, n.repeat_3, n.block8):
            x = layer(x)
        x = n.dropout(n.avgpool_1a(x))
        return n.last_bn(n.last_linear(torch.flatten(x, 1)))


def _build(pretrained: str | None) -> nn.Module:
    from facenet_pytorch import InceptionResnetV1

    if pretrained is None or pretrained is False:
        return InceptionResnetV1(pretrained=None)
    if pretrained in NAMED_WEIGHTS:
        try:
            return InceptionResnetV1(pretrained=pretrained)
        except Exception as err:  # network failures surface as requests/urllib errors
            raise WeightsError(
                f"could not fetch facenet-pytorch '{pretrained}' weights ({type(err).__name__}); without network, "
                "download them from the facenet-pytorch releases page elsewhere and set "
                "backbone.pretrained=/path/to/file.pt"
            ) from err
    net = InceptionResnetV1(pretrained=None)
    load_into(net, load_weights_file(pretrained), str(pretrained), ignore_prefixes=("logits.",))
    return net


class InceptionResnetEmbedder(Embedder):
    """``pretrained``: null, 'vggface2', 'casia-webface' or the path of a facenet-pytorch state dict. With
    pretrained weights and ``embedding_dim=512`` the projection starts as the identity, so the untouched model
    embeds exactly as FaceNet does."""

    @staticmethod
    def weights_origin(pretrained: str) -> dict[str, str]:
        """What model.json says of these starting weights (facecompare.export.weights_origin)."""
        dataset = {"vggface2": "VGGFace2", "casia-webface": "CASIA-WebFace"}.get(pretrained, "a face dataset")
        return {
            "source": f"facenet-pytorch's InceptionResnetV1 weights ({pretrained})",
            "licence": f"facenet-pytorch is MIT; the weights were trained on {dataset}, whose terms restrict its "
            "use to research: check them before shipping a product",
        }

    def __init__(
        self,
        pretrained: str | None = None,
        embedding_dim: int = 128,
        normalize: bool = True,
        in_channels: int = 3,
        dropout: float = 0.0,
        flip_average: bool = False,
    ) -> None:
        check_in_channels(in_channels)
        net = _build(pretrained)
        net.conv2d_1a.conv = adapt_first_conv(net.conv2d_1a.conv, in_channels)
        super().__init__(
            _InceptionTrunk(net),
            feature_dim=512,
            embedding_dim=embedding_dim,
            normalize=normalize,
            in_channels=in_channels,
            mean=FACENET_MEAN,
            std=FACENET_STD,
            dropout=dropout,
            flip_average=flip_average,
            min_input_size=80,
        )
        if pretrained and embedding_dim == 512:
            # fine-tuning starts from FaceNet's own embedding, not from a random projection of it
            with torch.no_grad():
                self.projection.weight.copy_(torch.eye(512))
                self.projection.bias.zero_()
