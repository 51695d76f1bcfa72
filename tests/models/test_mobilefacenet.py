"""MobileFaceNet: arcface_torch's key names, its parameter count, and a backbone.pth that embeds as
arcface_torch."""

import pytest
import torch
import torch.nn.functional as F
from arcface_reference import mbf_forward, mbf_spec, random_state

from facecompare.errors import ConfigError
from facecompare.models import MobileFaceNetEmbedder
from facecompare.models.mobilefacenet import MobileFaceNet


def test_arcface_torchs_keys_shapes_and_parameter_count():
    spec, net = mbf_spec(), MobileFaceNet()
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == spec
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    # get_mbf(num_features=512), the "mobilefacenet-0.45G" of arcface_torch's model zoo
    assert sum(torch.Size(s).numel() for k, s in spec.items() if not k.endswith(buffers)) == 2_059_520
    assert sum(p.numel() for p in net.parameters()) == 2_059_520


@pytest.mark.slow
def test_a_backbone_pth_embeds_as_arcface_torch(tmp_path):
    """A state dict written here in arcface_torch's names (as a DDP checkpoint: under "state_dict", with
    "module." prefixes), loaded with weights_only: the embedder's output is arcface_torch's forward pass on
    (x - 0.5) / 0.5, computed independently."""
    state = random_state(mbf_spec(), seed=3)
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, tmp_path / "backbone.pth")
    torch.manual_seed(0)
    net = MobileFaceNetEmbedder(pretrained=str(tmp_path / "backbone.pth")).eval()
    images = torch.rand(3, 3, 112, 112)
    with torch.no_grad():
        raw = mbf_forward(state, (images - 0.5) / 0.5)
        torch.testing.assert_close(net(images), F.normalize(raw, dim=1), atol=1e-5, rtol=1e-4)
        net.normalize = False  # the projection is the identity: the raw 512-d features come out unchanged
        torch.testing.assert_close(net(images), raw, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_the_large_variant_embeds_grayscale_faces():
    net = MobileFaceNetEmbedder("mbf_large", embedding_dim=64, in_channels=1).eval()
    assert net.trunk.layers[0].layers[0].in_channels == 1
    assert net(torch.rand(2, 1, 112, 112)).shape == (2, 64)


def test_other_sizes_and_archs_are_refused_in_one_line():
    net = MobileFaceNetEmbedder().eval()
    with pytest.raises(ConfigError, match=r"^MobileFaceNetEmbedder takes 112x112 faces only .*got 96x96: set data"):
        net(torch.rand(1, 3, 96, 96))
    with pytest.raises(ConfigError, match=r"^backbone.arch must be one of \['mbf', 'mbf_large'\], got 'mbf2'$"):
        MobileFaceNetEmbedder("mbf2")
