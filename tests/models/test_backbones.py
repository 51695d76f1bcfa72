"""Every backbone: output shape, unit norm, truly shared weights, grayscale, weight files and bad values."""

import os
from urllib.error import URLError

import pytest
import torch
import torchvision
from badfiles import flip_bytes_in_largest_entry

from facecompare.errors import ConfigError
from facecompare.models import (
    CompactCNN,
    InceptionResnetEmbedder,
    MobileNetEmbedder,
    ResNetEmbedder,
    VGGEmbedder,
)
from facecompare.models.weights import WeightsError
from facecompare.torch_archive import DamagedFileError

# (factory, smallest useful input) — InceptionResnetV1 needs at least 80 px
BACKBONES = {
    "cnn": (lambda **kw: CompactCNN(widths=(8, 16, 32), **kw), 32),
    "resnet18": (lambda **kw: ResNetEmbedder("resnet18", **kw), 32),
    "mobilenet_v3_small": (lambda **kw: MobileNetEmbedder("mobilenet_v3_small", **kw), 32),
    "mobilenet_v2": (lambda **kw: MobileNetEmbedder("mobilenet_v2", **kw), 32),
    "inception_resnet": (lambda **kw: InceptionResnetEmbedder(**kw), 80),
    "vgg16": (lambda **kw: VGGEmbedder("vgg16", **kw), 32),
}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKBONES)
def test_shape_and_unit_norm(name):
    make, size = BACKBONES[name]
    net = make(embedding_dim=24).eval()
    out = net(torch.rand(3, 3, size, size))
    assert out.shape == (3, 24)
    assert torch.allclose(out.norm(dim=1), torch.ones(3), atol=1e-5)


@pytest.mark.parametrize("name", ["cnn", "resnet18"])
def test_normalize_off_gives_raw_projection(name):
    make, size = BACKBONES[name]
    out = make(embedding_dim=8, normalize=False).eval()(torch.rand(2, 3, size, size))
    assert not torch.allclose(out.norm(dim=1), torch.ones(2))


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKBONES)
def test_weights_shared_between_the_two_images(name):
    """A gradient from either image of a pair reaches the very same parameters."""
    from facecompare.training.module import SiameseModule

    make, size = BACKBONES[name]
    net = make(embedding_dim=8)
    module = SiameseModule(net, loss=torch.nn.Identity(), optimizer=torch.optim.SGD)
    a, b = torch.rand(2, 3, size, size), torch.rand(2, 3, size, size)
    stem = next(p for p in net.trunk.parameters() if p.ndim == 4)  # the first conv's weight

    grads = []
    for pick in (0, 1):  # back-propagate through image a only, then through image b only
        net.zero_grad()
        ea, eb = module.embed_pairs(a, b)
        (ea if pick == 0 else eb).sum().backward()
        grads.append(stem.grad.clone())
    assert grads[0].abs().sum() > 0 and grads[1].abs().sum() > 0
    assert not torch.equal(grads[0], grads[1])  # different images, same tensor receiving both
    assert sum(p.numel() for p in module.parameters()) == sum(p.numel() for p in net.parameters())


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKBONES)
def test_grayscale_input(name):
    make, size = BACKBONES[name]
    net = make(embedding_dim=8, in_channels=1).eval()
    assert net(torch.rand(2, 1, size, size)).shape == (2, 8)
    with pytest.raises(ValueError, match=r"expects \(N, 1, H, W\)"):
        net(torch.rand(2, 3, size, size))


def test_gray_stem_sums_pretrained_rgb_filters(tmp_path):
    reference = torchvision.models.resnet18()
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    gray = ResNetEmbedder("resnet18", pretrained=str(path), in_channels=1)
    assert torch.allclose(gray.trunk.conv1.weight, reference.conv1.weight.sum(1, keepdim=True))


def test_local_torchvision_weights_file_is_loaded(tmp_path):
    reference = torchvision.models.mobilenet_v3_small()
    path = tmp_path / "mnv3.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()}}, path)
    net = MobileNetEmbedder("mobilenet_v3_small", pretrained=str(path))
    assert torch.equal(net.trunk[0][0][0].weight, reference.features[0][0].weight)


@pytest.mark.slow
def test_local_facenet_weights_file_is_loaded(tmp_path):
    from facenet_pytorch import InceptionResnetV1

    reference = InceptionResnetV1()
    path = tmp_path / "facenet.pt"
    torch.save(reference.state_dict(), path)
    net = InceptionResnetEmbedder(pretrained=str(path))
    assert torch.equal(net.trunk.net.block8.conv2d.weight, reference.block8.conv2d.weight)


@pytest.mark.slow
def test_mismatched_or_missing_weights_file(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), path)
    with pytest.raises(WeightsError, match="do not match"):
        ResNetEmbedder("resnet34", pretrained=str(path))
    with pytest.raises(WeightsError, match="not found"):
        ResNetEmbedder("resnet18", pretrained=str(tmp_path / "nope.pth"))


class Evil:
    def __reduce__(self):
        return (os.remove, ("/nonexistent",))


@pytest.mark.parametrize("obj", [{"model": torchvision.models.resnet18()}, {"w": Evil()}])
def test_pickled_object_refused_by_weights_only(tmp_path, obj):
    path = tmp_path / "evil.pth"
    torch.save(obj, path)  # a whole pickled module, or a call, not a state dict
    with pytest.raises(WeightsError) as err:
        ResNetEmbedder("resnet18", pretrained=str(path))
    # torch's own message advises weights_only=False, which would run the file's code
    assert str(err.value) == f"{path}: not a plain weights file (it holds objects other than tensors and " + (
        "containers, never loaded)"
    )


def test_a_bit_flipped_weights_file_is_refused_naming_the_entry(tmp_path):
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / "resnet18.pth")
    entry = flip_bytes_in_largest_entry(tmp_path / "resnet18.pth", tmp_path / "flipped.pth")
    with pytest.raises(DamagedFileError, match=rf"flipped\.pth: damaged, the data of {entry} fails its CRC-32"):
        ResNetEmbedder("resnet18", pretrained=str(tmp_path / "flipped.pth"))


def test_offline_download_says_what_to_do(monkeypatch):
    def no_network(*args, **kwargs):
        raise URLError("no route to host")

    import torchvision.models._api as api

    # the name torchvision's weight enums call, so the test never touches the network even where there is one
    monkeypatch.setattr(api, "load_state_dict_from_url", no_network)
    with pytest.raises(WeightsError, match=r"download https://.*resnet18.*backbone.pretrained="):
        ResNetEmbedder("resnet18", pretrained=True)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CompactCNN(embedding_dim=0), "backbone.embedding_dim must be >= 1, got 0"),
        (lambda: CompactCNN(widths=[]), "backbone.widths"),
        (lambda: ResNetEmbedder("resnet99"), r"backbone.arch must be one of \['resnet18'"),
        (lambda: MobileNetEmbedder("mobilenet_v9"), "backbone.arch must be one of"),
        (lambda: CompactCNN(in_channels=4), "backbone.in_channels must be 1"),
        (lambda: CompactCNN(pool_grid=0), "backbone.pool_grid must be >= 1, got 0"),
    ],
)
def test_bad_values_give_one_clear_line(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


@pytest.mark.parametrize(("make", "feature_dim"), [(ResNetEmbedder, 512), (MobileNetEmbedder, 576)])
def test_torchvision_backbones_default_to_their_first_arch(make, feature_dim):
    # resnet18's pooled features are 512 wide, mobilenet_v3_small's 576
    assert make(in_channels=1).projection.in_features == feature_dim


def test_too_small_input_names_the_fix():
    with pytest.raises(ConfigError, match=r"at least 80x80 pixels, got 64x64: raise data.image_size"):
        InceptionResnetEmbedder(embedding_dim=8).eval()(torch.rand(1, 3, 64, 64))


def test_pool_grid_keeps_where_on_the_face_a_feature_is():
    # the same blob at two places two pixels apart (a shift the conv and 2x2 pooling carry over exactly, away
    # from the border): global pooling cannot tell the two apart, a 2 x 2 grid can
    torch.manual_seed(0)
    top_left, bottom_right = torch.zeros(1, 3, 16, 16), torch.zeros(1, 3, 16, 16)
    top_left[..., 4:6, 4:6] = 1.0
    bottom_right[..., 8:10, 8:10] = 1.0
    global_net = CompactCNN([4], embedding_dim=8, normalize=False).eval()
    grid_net = CompactCNN([4], embedding_dim=8, normalize=False, pool_grid=2).eval()
    assert grid_net.projection.in_features == 4 * 2 * 2
    with torch.no_grad():
        torch.testing.assert_close(global_net(top_left), global_net(bottom_right))
        assert (grid_net(top_left) - grid_net(bottom_right)).abs().max() > 1e-3
    with pytest.raises(ConfigError, match="at least 8x8 pixels, got 4x4"):
        CompactCNN([4, 8], pool_grid=2)(torch.rand(1, 3, 4, 4))


@pytest.mark.parametrize("normalize", [True, False])
def test_flip_average_embeds_a_face_and_its_mirror_alike_outside_training(normalize):
    from facecompare.models import CompactCNN

    torch.manual_seed(0)
    net = CompactCNN([8, 16], embedding_dim=16, normalize=normalize, flip_average=True).eval()
    plain = CompactCNN([8, 16], embedding_dim=16, normalize=normalize).eval()
    plain.load_state_dict(net.state_dict())
    images = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        got = net(images)
        torch.testing.assert_close(got, net(images.flip(-1)))  # a mirror gives the same embedding
        by_hand = (plain._embed(images) + plain._embed(images.flip(-1))) / 2
        torch.testing.assert_close(got, torch.nn.functional.normalize(by_hand, dim=1) if normalize else by_hand)
    net.train(), plain.train()
    torch.manual_seed(1)
    images = torch.rand(4, 3, 32, 32)
    torch.testing.assert_close(net(images), plain(images))  # training sees each image as it is


@pytest.mark.slow
def test_facenet_fine_tuning_starts_from_facenets_own_embedding(tmp_path):
    from facenet_pytorch import InceptionResnetV1

    torch.manual_seed(0)
    reference = InceptionResnetV1(pretrained=None).eval()  # a stand-in for the VGGFace2 file, offline
    torch.save(reference.state_dict(), tmp_path / "facenet.pt")
    net = InceptionResnetEmbedder(pretrained=str(tmp_path / "facenet.pt"), embedding_dim=512).eval()
    images = torch.rand(2, 3, 96, 96)
    with torch.no_grad():
        facenet = reference(images * 255 / 128 - 127.5 / 128)  # facenet-pytorch's own scaling, L2-normalised
        torch.testing.assert_close(net(images), facenet, atol=1e-5, rtol=1e-4)
