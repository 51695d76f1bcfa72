"""IResNet: arcface_torch's key names, its parameter counts, and a backbone.pth that embeds as arcface_torch."""

import pytest
import torch
import torch.nn.functional as F
from arcface_reference import iresnet_forward, iresnet_spec, random_state

from facecompare.errors import ConfigError
from facecompare.models import IResNetEmbedder
from facecompare.models.iresnet import LAYERS, IResNet


@pytest.mark.slow
@pytest.mark.parametrize(
    "arch, count",
    # with the 512 x 7 x 7 -> 512 fully connected layer of 112 px input; iresnet50 is the "43.6M" network
    [("iresnet18", 24_025_600), ("iresnet34", 34_139_328), ("iresnet50", 43_590_848), ("iresnet100", 65_156_160)],
)
def test_arcface_torchs_keys_shapes_and_parameter_counts(arch, count):
    spec, net = iresnet_spec(LAYERS[arch]), IResNet(LAYERS[arch])
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == spec
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    assert sum(torch.Size(s).numel() for k, s in spec.items() if not k.endswith(buffers)) == count
    assert sum(p.numel() for p in net.parameters()) == count


@pytest.mark.slow
def test_a_backbone_pth_embeds_as_arcface_torch(tmp_path):
    """A state dict written here in arcface_torch's names, loaded with weights_only: the embedder's output is
    the L2-normalised output of arcface_torch's forward pass on (x - 0.5) / 0.5, computed independently."""
    layers = LAYERS["iresnet18"]
    state = random_state(iresnet_spec(layers), seed=1)
    torch.save(state, tmp_path / "backbone.pth")
    torch.manual_seed(0)
    net = IResNetEmbedder("iresnet18", pretrained=str(tmp_path / "backbone.pth")).eval()
    images = torch.rand(2, 3, 112, 112)
    with torch.no_grad():
        raw = iresnet_forward(state, (images - 0.5) / 0.5, layers)
        torch.testing.assert_close(net(images), F.normalize(raw, dim=1), atol=1e-5, rtol=1e-4)
        net.normalize = False  # the projection is the identity: the raw 512-d features come out unchanged
        torch.testing.assert_close(net(images), raw, atol=1e-4, rtol=1e-4)


def test_other_sizes_and_archs_are_refused_in_one_line():
    net = IResNetEmbedder("iresnet18").eval()
    with pytest.raises(
        ConfigError, match=r"^IResNetEmbedder takes 112x112 faces only .*got 64x64: set data.image_size=112$"
    ):
        net(torch.rand(1, 3, 64, 64))
    with pytest.raises(ConfigError, match=r"got 112x128: set data.image_size=112$"):
        net(torch.rand(1, 3, 112, 128))
    with pytest.raises(ConfigError, match=r"^backbone.arch must be one of \['iresnet18', .*got 'iresnet200'$"):
        IResNetEmbedder("iresnet200")


@pytest.mark.slow
def test_grayscale_stem_sums_the_loaded_rgb_filters(tmp_path):
    state = random_state(iresnet_spec(LAYERS["iresnet18"]), seed=2)
    torch.save(state, tmp_path / "backbone.pth")
    net = IResNetEmbedder("iresnet18", pretrained=str(tmp_path / "backbone.pth"), in_channels=1).eval()
    torch.testing.assert_close(net.trunk.conv1.weight, state["conv1.weight"].sum(1, keepdim=True))
    assert net(torch.rand(2, 1, 112, 112)).shape == (2, 512)
