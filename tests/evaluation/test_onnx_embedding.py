import logging

import pytest
import torch

from facecompare.checkpoint import load_embedder
from facecompare.evaluation.embedding import embed_images
from facecompare.evaluation.onnx_embedding import onnx_embedder


@pytest.mark.slow
@pytest.mark.parametrize("flip", [None, "sum"])
def test_onnx_runtime_embeds_as_torch_does(tiny_checkpoint, flip):
    net, _, info = load_embedder(tiny_checkpoint)
    size = int(info["config"]["data"]["image_size"])
    images = torch.randint(0, 256, (70, 3, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    embed = onnx_embedder(net, 3, size, flip, batch_size=32)  # three batches, the last one short
    assert embed.__name__ == "on_onnx"
    assert torch.allclose(embed(images), embed_images(net, images, flip=flip), atol=1e-4)


def test_a_network_that_does_not_export_is_embedded_by_torch(tiny_checkpoint, monkeypatch, caplog):
    import facecompare.onnx_file as onnx_file

    def broken(*args, **kwargs):
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(onnx_file, "write_onnx", broken)
    net, _, info = load_embedder(tiny_checkpoint)
    with caplog.at_level(logging.WARNING):
        embed = onnx_embedder(net, 3, int(info["config"]["data"]["image_size"]), None)
    assert embed.__name__ == "on_torch" and "ONNX export for evaluation failed (RuntimeError" in caplog.text
