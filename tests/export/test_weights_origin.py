import hashlib
from pathlib import Path

from facecompare.export.weights_origin import weights_origin


def test_random_initialisation_has_no_origin():
    assert weights_origin({"_target_": "facecompare.models.ResNetEmbedder", "pretrained": False}) == {
        "pretrained": None
    }
    assert weights_origin({"_target_": "facecompare.models.CompactCNN"}) == {"pretrained": None}


def test_named_weights_carry_the_class_licence():
    origin = weights_origin({"_target_": "facecompare.models.InceptionResnetEmbedder", "pretrained": "vggface2"})
    assert origin["pretrained"] == "vggface2"
    assert "VGGFace2" in origin["licence"] and "research" in origin["licence"]
    origin = weights_origin({"_target_": "facecompare.models.ResNetEmbedder", "pretrained": True})
    assert origin["pretrained"] is True and "ImageNet" in origin["licence"]


def test_a_weights_file_is_named_and_hashed_not_its_machine_path(tmp_path: Path):
    weights = tmp_path / "deep" / "resnet18.pth"
    weights.parent.mkdir()
    weights.write_bytes(b"some weights")
    origin = weights_origin({"_target_": "facecompare.models.ResNetEmbedder", "pretrained": str(weights)})
    assert origin["pretrained"] == "resnet18.pth"
    assert origin["sha256"] == hashlib.sha256(b"some weights").hexdigest()
    assert str(tmp_path) not in str(origin)
