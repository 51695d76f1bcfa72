import pytest
import torch

from facecompare.export.bundle_writer import _write_torchscript
from facecompare.export.parity import check_parity, parity_inputs
from facecompare.models import DlibResNetEmbedder
from facecompare.onnx_file import write_onnx


@pytest.mark.slow
def test_dlib_resnet_exports_to_onnx_and_torchscript_with_parity(tmp_path):
    # dlib's zero-padded sums (3 x 3 onto 4 x 4) must survive tracing at every batch size
    torch.manual_seed(0)
    net = DlibResNetEmbedder().eval()
    example = torch.rand(2, 3, 150, 150)
    write_onnx(net, example, tmp_path / "model.onnx", 18)
    _write_torchscript(net, example, tmp_path / "model.pt")
    parity = check_parity(net, tmp_path / "model.onnx", tmp_path / "model.pt", parity_inputs(3, 150), 1e-4)
    assert max(parity["max_abs_diff"].values()) < 1e-4 and parity["batch_sizes"] == [1, 5]
