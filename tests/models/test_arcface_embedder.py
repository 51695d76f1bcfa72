"""What the arcface_torch backbones share: where their weights come from, keys that do not fit, the
identity projection, and their licence in model.json."""

import pytest
import torch
from arcface_reference import mbf_spec, random_state

from facecompare.export.weights_origin import weights_origin
from facecompare.models import IResNetEmbedder, MobileFaceNetEmbedder
from facecompare.models.weights import WeightsError


@pytest.fixture
def backbone_pth(tmp_path):
    def write(state):
        torch.save(state, tmp_path / "backbone.pth")
        return str(tmp_path / "backbone.pth")

    return write


def test_pretrained_true_says_where_the_weights_come_from():
    with pytest.raises(WeightsError) as err:
        MobileFaceNetEmbedder(pretrained=True)
    assert str(err.value) == (
        "backbone.pretrained=true: insightface's weights have no download facecompare can make; arcface_torch "
        "backbone.pth files come from the Model Zoo of insightface's recognition/arcface_torch README, for "
        "non-commercial research use only: set backbone.pretrained=/path/to/backbone.pth"
    )


def test_a_missing_file_says_where_the_weights_come_from(tmp_path):
    with pytest.raises(WeightsError, match=r"nope\.pth: pretrained weights file not found; arcface_torch .*"
                       "Model Zoo of insightface's .*non-commercial research use only$"):  # fmt: skip
        IResNetEmbedder("iresnet18", pretrained=str(tmp_path / "nope.pth"))


def test_missing_unexpected_and_reshaped_keys_are_listed_with_their_counts(backbone_pth):
    state = random_state(mbf_spec(), seed=0)
    conv_sep = [k for k in state if k.startswith("conv_sep.")]
    for key in conv_sep:
        del state[key]
    state |= {"head.weight": torch.zeros(2), "margin": torch.zeros(1)}
    state["features.layers.2.weight"] = torch.zeros(128, 512)  # a 128-d model's last layer
    path = backbone_pth(state)
    with pytest.raises(WeightsError) as err:
        MobileFaceNetEmbedder(pretrained=path)
    assert str(err.value) == (
        f"{path}: weights do not match the network (missing ({len(conv_sep)}): {', '.join(conv_sep[:3])}, ...; "
        "unexpected (2): head.weight, margin; "
        "other shape (1): features.layers.2.weight (128, 512) (network: (512, 512)))"
    )


def test_an_iresnet_file_is_not_taken_for_a_mobilefacenet(backbone_pth):
    path = backbone_pth({"conv1.weight": torch.zeros(64, 3, 3, 3), "fc.bias": torch.zeros(512)})
    with pytest.raises(WeightsError, match=r"missing \(\d+\): layers.0.layers.0.weight, .*unexpected \(2\)"):
        MobileFaceNetEmbedder(pretrained=path)


def test_the_projection_starts_as_the_identity_only_for_pretrained_512d(backbone_pth):
    path = backbone_pth(random_state(mbf_spec(), seed=0))
    assert torch.equal(MobileFaceNetEmbedder(pretrained=path).projection.weight, torch.eye(512))
    assert not torch.equal(MobileFaceNetEmbedder().projection.weight, torch.eye(512))
    assert MobileFaceNetEmbedder(pretrained=path, embedding_dim=128).projection.weight.shape == (128, 512)


@pytest.mark.parametrize("target", ["IResNetEmbedder", "MobileFaceNetEmbedder"])
def test_model_json_says_insightface_weights_are_non_commercial(target, tmp_path):
    (tmp_path / "backbone.pth").write_bytes(b"weights")
    origin = weights_origin({"_target_": f"facecompare.models.{target}", "pretrained": str(tmp_path / "backbone.pth")})
    assert origin["pretrained"] == "backbone.pth"
    assert "arcface_torch" in origin["source"]
    assert "insightface's published arcface_torch weights are for non-commercial research only" in origin["licence"]
    assert weights_origin({"_target_": f"facecompare.models.{target}", "pretrained": None}) == {"pretrained": None}
