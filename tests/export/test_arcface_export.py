"""The arcface_torch backbones export: ONNX and TorchScript files that embed as the PyTorch network, for
MobileFaceNet with one residual block a stage at half width (its layer types and wrapper, not its depth, are
what the export meets; the full mbf took 21 s here). IResNet shares the wrapper and its layer types (conv,
batch norm, PReLU, flatten, fc); its export checked by hand, kept out of the suite for time (12 s)."""

import numpy as np
import pytest
import torch
from torch import nn

from facecompare.export.bundle_writer import _write_torchscript
from facecompare.export.parity import check_parity, parity_inputs
from facecompare.models import MobileFaceNetEmbedder, mobilefacenet
from facecompare.onnx_file import write_onnx

SMALLEST = {"mobilefacenet": lambda: MobileFaceNetEmbedder(arch="mbf_small")}


@pytest.mark.slow
@pytest.mark.parametrize("name", SMALLEST)
def test_onnx_and_torchscript_embed_as_the_network(name, tmp_path, monkeypatch):
    monkeypatch.setitem(mobilefacenet.ARCHS, "mbf_small", ((1, 1, 1, 1), 1))
    torch.manual_seed(0)
    net = SMALLEST[name]()
    # batch-norm statistics of the data, as a trained network has: with fresh ones, arcface_torch's
    # initialisation gives every input the same embedding and the parity check would compare constants
    for bn in (m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)):
        bn.momentum = None  # a plain average over the batches seen
    with torch.no_grad():
        net.train()(torch.rand(8, 3, 112, 112))
    net.eval()
    example = torch.rand(3, 3, 112, 112)
    write_onnx(net, example, tmp_path / "model.onnx", opset=18)
    _write_torchscript(net, example, tmp_path / "model.torchscript.pt")
    parity = check_parity(net, tmp_path / "model.onnx", tmp_path / "model.torchscript.pt", parity_inputs(3, 112), 1e-4)
    assert parity["batch_sizes"] == [1, 5]
    assert max(parity["max_abs_diff"].values()) <= 1e-4
    with torch.no_grad():  # the check compares embeddings that differ between faces, not a constant
        out = net(torch.from_numpy(parity_inputs(3, 112)[1])).numpy()
    assert np.abs(out[0] - out[1]).max() > 1e-3
