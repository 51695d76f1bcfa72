"""Loading a bundle: embeddings and scores as the checkpoint gives them, integrity checks, and an import
path free of Lightning and Hydra."""

import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from facecompare.checkpoint import load_embedder
from facecompare.inference import BundleError, load_bundle


def test_embed_and_score_match_the_checkpoint(tiny_bundle, tiny_checkpoint):
    bundle = load_bundle(tiny_bundle)
    net, loss, _ = load_embedder(tiny_checkpoint)
    crops = np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    got = bundle.embed(crops, batch_size=4)  # two onnxruntime calls of different sizes
    with torch.no_grad():
        want = net(torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255)
        want_scores = loss.score(want[:3], want[3:]).numpy()
    np.testing.assert_allclose(got, want.numpy(), atol=1e-4)
    np.testing.assert_allclose(bundle.score(got[:3], got[3:]), want_scores, atol=1e-4)
    assert bundle.score(got[0], got[0])[0] == pytest.approx(1.0)
    assert bundle.threshold == json.loads((tiny_bundle / "model.json").read_text())["threshold"]["value"]


def test_wrong_crops_are_refused(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    with pytest.raises(ValueError, match=r"expected \(N, 32, 32, C\) uint8 crops"):
        bundle.embed(np.zeros((2, 64, 64, 3), np.uint8))


def test_damaged_bundles_are_refused_with_the_file_named(tiny_bundle, tmp_path):
    with pytest.raises(BundleError, match=r"no model\.json"):
        load_bundle(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(tiny_bundle, copy)
    onnx = copy / "model.onnx"
    onnx.write_bytes(onnx.read_bytes()[:-100])
    with pytest.raises(BundleError, match=r"model.onnx: does not match the SHA-256"):
        load_bundle(copy)
    meta = json.loads((copy / "model.json").read_text())
    (copy / "model.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(BundleError, match="format version 99"):
        load_bundle(copy)
    (copy / "model.json").write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        load_bundle(copy)


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"threshold": None}, r"threshold\.value is None, expected int or float"),
        ({"threshold": {"value": "0.5"}}, r"threshold\.value is '0\.5', expected int or float"),
        ({"files": "x"}, r"files is 'x', expected dict"),
        ({"files": {"onnx": "model.onnx"}}, r"files\.onnx is 'model\.onnx', expected"),
        ({"input": {"size": 32.5, "channels": 3}}, r"input\.size is 32\.5, expected int"),
    ],
)
def test_a_hand_edited_model_json_names_the_field(tiny_bundle, tmp_path, edit, message):
    # valid JSON of the wrong shape once gave a TypeError from deep inside the loader
    copy = tmp_path / "copy"
    shutil.copytree(tiny_bundle, copy)
    meta = json.loads((copy / "model.json").read_text())
    (copy / "model.json").write_text(json.dumps({**meta, **edit}))
    with pytest.raises(BundleError, match=message):
        load_bundle(copy)


def test_a_bundle_cropped_on_another_template_is_refused(tiny_bundle, tmp_path):
    # the tools crop by the alignment's name: a bundle exported before that name's template was refined would
    # get other crops than its threshold was calibrated on
    copy = tmp_path / "copy"
    shutil.copytree(tiny_bundle, copy)
    meta = json.loads((copy / "model.json").read_text())
    load_bundle(copy)  # as exported, the template is today's
    meta["alignment"]["template"] = np.add(meta["alignment"]["template"], [0.5, 0.0]).tolist()
    (copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match=r"model\.json: its crops put the landmarks at .*template was refined"):
        load_bundle(copy)
    meta["alignment"]["name"] = "mine"
    (copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match=r"alignment .* is not usable \(alignment must be one of"):
        load_bundle(copy)


@pytest.mark.slow
def test_the_runtime_path_imports_no_lightning_or_hydra(tiny_bundle):
    code = (
        "import sys\n"
        "from facecompare.inference import load_bundle\n"
        "import facecompare.data.detection, facecompare.data.alignment, facecompare.cli\n"
        "import facecompare.inference.identify, facecompare.inference.video, facecompare.app.launch\n"
        "import facecompare.serve.server\n"
        f"load_bundle({str(tiny_bundle)!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pytorch_lightning', 'lightning', 'hydra'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_onnxruntime_writes_nothing_to_home_or_tmp(tiny_bundle, tmp_path):
    # onnxruntime's POSIX telemetry wrote a device id and the machine's details under ~/.cache/Microsoft and a
    # .ses file in $TMPDIR as soon as it was imported; the subprocess does not inherit this process's opt-out
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir(), tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    code = (
        "import numpy as np\n"
        "from facecompare.inference import load_bundle\n"
        f"bundle = load_bundle({str(tiny_bundle)!r})\n"
        "print(bundle.embed(np.zeros((2, 32, 32, 3), np.uint8)).shape)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "HOME": str(home), "TMPDIR": str(tmp)},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "(2, 128)"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["home", "tmp"]


def test_the_path_of_model_json_names_its_bundle(tiny_bundle, tmp_path):
    assert load_bundle(tiny_bundle / "model.json").path == tiny_bundle
    (tmp_path / "model.json").write_text("{}")  # a stray model.json outside a bundle is still refused, named
    with pytest.raises(BundleError, match=r"model\.json: not a facecompare bundle description"):
        load_bundle(tmp_path / "model.json")


def test_scores_of_every_distance_stay_in_0_1():
    # what the CLI's --threshold range rests on: cosine is clipped, euclidean 1 / (1 + d), a learned head squashed
    from facecompare.inference.bundle import distance_to_score
    from facecompare.inference.numpy_pair_head import NumpyPairHead

    d = np.array([0.0, 1e-9, 2.0, 2.0 + 1e-6, 1e6, np.inf])
    for kind in ("cosine", "euclidean"):
        scores = distance_to_score(d, kind)
        assert ((scores >= 0) & (scores <= 1)).all(), kind
    rng = np.random.default_rng(0)
    head = NumpyPairHead({"hidden_weight": rng.normal(0, 100, (8, 8)), "hidden_bias": np.zeros(8),
                          "output_weight": rng.normal(0, 100, (1, 8)), "output_bias": np.zeros(1)})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a huge logit must not print numpy's overflow warning to the user
        scores = head.score(rng.normal(0, 10, (50, 4)), rng.normal(0, 10, (50, 4)))
    assert ((scores >= 0) & (scores <= 1)).all() and scores.min() == 0 and scores.max() == 1
