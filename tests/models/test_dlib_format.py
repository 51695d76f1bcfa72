from pathlib import Path

import numpy as np
import pytest
from dlib_writer import tiny_network

from facecompare.models.dlib_format import DlibFormatError, read_dlib_network


def tiny(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    conv_w, conv_b = rng.normal(size=(4, 3, 3, 3)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    fc_w = rng.normal(size=(4, 2)).astype(np.float32)
    path = tmp_path / "tiny.dat"
    path.write_bytes(tiny_network(conv_w, conv_b, fc_w))
    return path, conv_w, conv_b, fc_w


def test_a_network_reads_back_as_written(tmp_path):
    path, conv_w, conv_b, fc_w = tiny(tmp_path)
    net = read_dlib_network(path)
    assert (net.loss, net.input, net.input_size) == ("loss_metric_2", "input_rgb_image_sized", (8, 8))
    assert net.input_mean == pytest.approx((122.782, 117.001, 104.298), abs=1e-9)
    assert [layer.kind for layer in net.layers] == ["con", "avg_pool", "fc"]
    con, pool, fc = net.layers
    assert con.settings == {
        "num_filters": 4,
        "nr": 3,
        "nc": 3,
        "stride_y": 1,
        "stride_x": 1,
        "padding_y": 1,
        "padding_x": 1,
    }
    np.testing.assert_array_equal(con.params["weight"], conv_w)
    np.testing.assert_array_equal(con.params["bias"], conv_b)
    assert pool.settings["nr"] == 0  # avg_pool_everything
    np.testing.assert_array_equal(fc.params["weight"], fc_w)
    assert "bias" not in fc.params and fc.settings == {"outputs": 2, "inputs": 4}


def test_a_truncated_file_names_the_file_and_the_byte(tmp_path):
    path, *_ = tiny(tmp_path)
    data = path.read_bytes()
    cut = tmp_path / "cut.dat"
    cut.write_bytes(data[:200])
    with pytest.raises(DlibFormatError, match=r"cut\.dat: .*the file ends early .* at byte \d+"):
        read_dlib_network(cut)
    longer = tmp_path / "longer.dat"
    longer.write_bytes(data + b"\x00\x00")
    with pytest.raises(DlibFormatError, match=r"2 bytes left over after the network at byte " + str(len(data))):
        read_dlib_network(longer)


def test_a_foreign_file_is_refused_at_its_first_bytes(tmp_path):
    png = tmp_path / "face.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(DlibFormatError, match=r"face\.png: not a dlib network this reader knows: .* at byte 0"):
        read_dlib_network(png)
    other = tmp_path / "classifier.dat"  # a dlib network, but not a metric-learning one
    other.write_bytes(b"\x01\x01" + b"\x01\x13loss_multiclass_log" + bytes(8))
    with pytest.raises(DlibFormatError, match="loss layer 'loss_multiclass_log'"):
        read_dlib_network(other)
