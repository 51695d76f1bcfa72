"""VGG16: torchvision's convolutions, globally pooled, at any size from 32 px; its weights from a file."""

import pytest
import torch
from torch import nn

from facecompare.errors import ConfigError
from facecompare.export.weights_origin import weights_origin
from facecompare.models import VGGEmbedder


@pytest.mark.parametrize("arch, count", [("vgg16", 14_714_688), ("vgg16_bn", 14_723_136)])
def test_the_trunk_is_the_13_convolutions_without_the_4096_wide_layers(arch, count):
    net = VGGEmbedder(arch, embedding_dim=64)
    convs = [m for m in net.trunk.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 13 and not any(isinstance(m, nn.Linear) for m in net.trunk.modules())
    assert sum(p.numel() for p in net.trunk.parameters()) == count  # VGG16 without its classifier
    assert net.projection.in_features == 512


def test_random_initialisation_is_torchvisions():
    # the convolutions are built without storage and then initialised: none may keep what memory held
    torch.manual_seed(0)
    net = VGGEmbedder("vgg16_bn")
    for conv in (m for m in net.trunk.modules() if isinstance(m, nn.Conv2d)):
        want = (2 / (conv.out_channels * 9)) ** 0.5  # kaiming normal, fan out
        assert abs(conv.weight.std().item() / want - 1) < 0.1
        assert torch.equal(conv.bias, torch.zeros_like(conv.bias))
    for bn in (m for m in net.trunk.modules() if isinstance(m, nn.BatchNorm2d)):
        assert torch.equal(bn.running_var, torch.ones_like(bn.running_var)) and not bn.running_mean.any()
        assert torch.equal(bn.weight, torch.ones_like(bn.weight))


@pytest.mark.slow
@pytest.mark.parametrize("size", [32, 48])
def test_any_size_from_32_px(size):
    net = VGGEmbedder(embedding_dim=16).eval()
    assert net(torch.rand(2, 3, size, size)).shape == (2, 16)


def test_smaller_than_32_px_is_refused():
    with pytest.raises(ConfigError, match=r"at least 32x32 pixels, got 24x24: raise data\.image_size"):
        VGGEmbedder().eval()(torch.rand(1, 3, 24, 24))


@pytest.mark.slow
def test_a_torchvision_vgg16_weights_file_loads_without_its_classifier(tmp_path):
    source = VGGEmbedder("vgg16")
    state = {f"features.{k}": v for k, v in source.trunk[0].state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4096, 25088 // 49)  # any classifier: it is left out
    torch.save(state, tmp_path / "vgg16.pth")
    loaded = VGGEmbedder("vgg16", pretrained=str(tmp_path / "vgg16.pth"), in_channels=1)
    assert torch.equal(loaded.trunk[0][2].weight, source.trunk[0][2].weight)
    assert torch.equal(loaded.trunk[0][0].weight, source.trunk[0][0].weight.sum(1, keepdim=True))


def test_model_json_origin_of_imagenet_weights():
    origin = weights_origin({"_target_": "facecompare.models.VGGEmbedder", "pretrained": True})
    assert origin["pretrained"] is True and "ImageNet" in origin["licence"]
