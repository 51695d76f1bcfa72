"""scripts/export.py's work: a bundle whose ONNX and TorchScript files embed like the checkpoint's network,
described by model.json, written atomically and refused when the parity check fails."""

import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import facecompare.export.bundle_writer as bundle_module
from facecompare.checkpoint import load_embedder
from facecompare.errors import ConfigError, DiskFullError, FacecompareError
from facecompare.export import export_bundle
from facecompare.export.parity import ParityError
from facecompare.inference.branch_quality import BranchQuality
from facecompare.inference.quality import EmbeddingQuality
from facecompare.training.train import train


@pytest.fixture(scope="module")
def exported(tiny_checkpoint, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "bundle"
    return out, export_bundle(tiny_checkpoint, out)


@pytest.mark.slow
def test_bundle_files_and_description(exported, tiny_checkpoint):
    out, meta = exported
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.onnx", "model.torchscript.pt"]
    assert json.loads((out / "model.json").read_text()) == meta
    _, _, info = load_embedder(tiny_checkpoint)
    assert meta["backbone"]["class"] == "facecompare.models.CompactCNN"
    assert meta["input"]["size"] == 32 and meta["input"]["channels"] == 3 and meta["input"]["range"] == [0.0, 1.0]
    assert len(meta["alignment"]["template"]) == 5 and meta["embedding"]["size"] == 128
    assert meta["distance"] == "euclidean" and meta["score"] == "1 / (1 + ||a - b||)"
    assert meta["threshold"] == {"value": info["threshold"], "source": "the checkpoint's validation threshold"}
    assert meta["metrics"]["validation"]["auc"] == info["val_metrics"]["auc"]
    assert meta["checkpoint"]["sha256"] == hashlib.sha256(tiny_checkpoint.read_bytes()).hexdigest()
    assert meta["files"]["onnx"]["sha256"] == hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest()
    assert max(meta["parity"]["max_abs_diff"].values()) <= 1e-4 and meta["parity"]["batch_sizes"] == [1, 5]


def test_torchscript_file_embeds_like_the_network(exported, tiny_checkpoint):
    out, _ = exported
    net, _, _ = load_embedder(tiny_checkpoint)
    scripted = torch.jit.load(str(out / "model.torchscript.pt"))
    x = torch.rand(7, 3, 32, 32)
    with torch.no_grad():
        np.testing.assert_allclose(scripted(x).numpy(), net(x).numpy(), atol=1e-5)


@pytest.mark.slow
def test_a_failed_parity_check_writes_nothing(tiny_checkpoint, tmp_path, monkeypatch):
    original = bundle_module.write_onnx

    def drifted(net, example, path, opset):  # an ONNX file of slightly different weights
        other, _, _ = load_embedder(tiny_checkpoint)
        with torch.no_grad():
            other.projection.bias += 1e-2
        original(other, example, path, opset)

    monkeypatch.setattr(bundle_module, "write_onnx", drifted)
    with pytest.raises(ParityError, match=r"export refused: onnx differs by [0-9.e-]+ \(tolerance 0.0001\)"):
        export_bundle(tiny_checkpoint, tmp_path / "bundle")
    assert list(tmp_path.iterdir()) == []  # neither the bundle nor its temporary folder


@pytest.mark.slow
def test_existing_folder_is_kept_unless_overwrite(exported, tiny_checkpoint, tmp_path):
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    with pytest.raises(ConfigError, match="already exists"):
        export_bundle(tiny_checkpoint, out)
    assert (out / "mine.txt").read_text() == "keep"
    (out / "mine.txt").unlink()
    export_bundle(tiny_checkpoint, out, overwrite=True)  # an empty folder
    with pytest.raises(ConfigError, match="already exists"):
        export_bundle(tiny_checkpoint, out, threshold=0.5)
    export_bundle(tiny_checkpoint, out, threshold=0.5, overwrite=True)  # an earlier bundle is replaced
    meta = json.loads((out / "model.json").read_text())
    assert meta["threshold"] == {"value": 0.5, "source": "given explicitly"}


@pytest.mark.slow
def test_calibration_file_sets_threshold_and_metrics(tiny_checkpoint, tmp_path):
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes(tiny_checkpoint.read_bytes())
    ckpt.with_suffix(".threshold.json").write_text(json.dumps({"threshold": 0.61, "method": "accuracy"}))
    meta = export_bundle(ckpt, tmp_path / "bundle")
    assert meta["threshold"]["value"] == 0.61 and meta["threshold"]["source"].endswith("model.threshold.json")
    assert meta["metrics"]["calibration"]["method"] == "accuracy" and "far_curve" not in meta["threshold"]


@pytest.mark.slow
def test_open_set_curve_is_carried_and_checked(tiny_checkpoint, tmp_path):
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes(tiny_checkpoint.read_bytes())
    curve = {"far": [0.01, 0.1], "threshold": [0.9, 0.7], "impostor_pairs": 100, "on": "pairsDevTrain.txt"}
    ckpt.with_suffix(".far_curve.json").write_text(json.dumps(curve))
    meta = export_bundle(ckpt, tmp_path / "bundle")
    assert meta["threshold"]["far_curve"] == curve
    assert json.loads((tmp_path / "bundle" / "model.json").read_text())["threshold"]["far_curve"] == curve
    ckpt.with_suffix(".far_curve.json").write_text(json.dumps({**curve, "far": [0.1, 0.01]}))
    with pytest.raises(ConfigError, match=r"model\.far_curve\.json: not a usable open-set curve"):
        export_bundle(ckpt, tmp_path / "other")
    assert not (tmp_path / "other").exists()


@pytest.mark.slow
def test_the_face_quality_model_is_carried_and_checked(tiny_checkpoint, tmp_path):
    from facecompare.inference.bundle import load_bundle

    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes(tiny_checkpoint.read_bytes())
    meta = export_bundle(ckpt, tmp_path / "plain")
    assert "quality" not in meta and load_bundle(tmp_path / "plain").quality_model is None
    axes = np.eye(meta["embedding"]["size"])
    record = EmbeddingQuality(axes[0], 0.1, 0.9, axes[1], 0.5, refuse_below=0.3).to_json() | {"on": "dev"}
    ckpt.with_suffix(".quality.json").write_text(json.dumps(record))
    # and the learned one, of a run trained with face_quality=branch
    layers = ((np.ones((3, meta["embedding"]["size"])), np.zeros(3)), (np.ones((1, 3)), np.zeros(1)))
    learned = BranchQuality(layers, 0.1, 0.9, 0.25).to_json()
    ckpt.with_suffix(".quality_learned.json").write_text(json.dumps(learned))
    export_bundle(ckpt, tmp_path / "bundle")
    bundle = load_bundle(tmp_path / "bundle")
    assert bundle.quality_methods == ["embedding", "learned"] and bundle.quality_model.refuse_below == 0.3
    bundle.use_quality("learned")
    assert bundle.quality_model.refuse_below == 0.25
    # a broken file fails the export, before any of it is written
    ckpt.with_suffix(".quality.json").write_text(json.dumps({**record, "low": None}))
    with pytest.raises(ConfigError, match=r"model\.quality\.json: not a usable face quality model"):
        export_bundle(ckpt, tmp_path / "other")
    ckpt.with_suffix(".quality.json").unlink()
    ckpt.with_suffix(".quality_learned.json").write_text(json.dumps({**learned, "layers": []}))
    with pytest.raises(ConfigError, match=r"model\.quality_learned\.json: not a usable face quality model"):
        export_bundle(ckpt, tmp_path / "other")
    assert not (tmp_path / "other").exists() and not list(tmp_path.glob(".tmp-*"))


@pytest.mark.slow
def test_binary_loss_models_carry_their_pair_head(tmp_path, photos):
    from conftest import compose_train

    from facecompare.inference import load_bundle
    from facecompare.inference.faces import FaceFinder, make_detector
    from facecompare.inference.identify import enroll, identify, open_gallery

    train(compose_train(["loss=binary", "test=false"], tmp_path / "run"))
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    meta = export_bundle(ckpt, tmp_path / "bundle")
    assert meta["distance"] == "learned" and meta["parity"]["pair_head_max_abs_diff"] <= 1e-4
    assert (tmp_path / "bundle" / "pair_head.npz").is_file() and "pair_head" in meta["files"]
    bundle = load_bundle(tmp_path / "bundle")
    _, loss, _ = load_embedder(ckpt)
    a, b = np.random.default_rng(1).standard_normal((2, 5, 128)).astype(np.float32)
    with torch.no_grad():
        want = loss.score(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(bundle.score(a, b), want, atol=1e-5)
    np.testing.assert_allclose(bundle.score(a[:1], b), bundle.score(np.repeat(a[:1], 5, 0), b), atol=1e-7)
    finder = FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size)
    with open_gallery(tmp_path / "g.db", bundle) as gallery:
        enroll(bundle, finder, gallery, "astronaut", [photos / "astronaut.jpg"])
        enroll(bundle, finder, gallery, "mirror", [photos / "mirrored.jpg"])
        found = identify(bundle, finder, gallery, photos / "astronaut.jpg", threshold=0.0)
        assert {m.person for m in found.matches} == {"astronaut", "mirror"}
        with pytest.raises(FacecompareError, match="use --search numpy"):
            identify(bundle, finder, gallery, photos / "astronaut.jpg", backend="faiss")


@pytest.mark.slow
def test_cli_bad_checkpoint_is_one_line(tmp_path):
    script = bundle_module.Path(__file__).resolve().parents[2] / "scripts" / "export.py"
    out = subprocess.run(
        [sys.executable, str(script), f"ckpt={tmp_path / 'missing.ckpt'}", f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'missing.ckpt'}: checkpoint not found"
    ]


@pytest.mark.slow
def test_mirror_averaging_ships_in_the_bundle(tmp_path):
    # experiment=lfw_scratch calibrates its threshold on flip-averaged embeddings: a bundle without the
    # averaging would be compared against a threshold it never produced
    from conftest import compose_train

    from facecompare.inference import load_bundle

    train(compose_train(["backbone.flip_average=true", "test=false"], tmp_path / "run"))
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    export_bundle(ckpt, tmp_path / "bundle")
    bundle = load_bundle(tmp_path / "bundle")
    crops = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    np.testing.assert_allclose(bundle.embed(crops), bundle.embed(crops[:, :, ::-1]), atol=1e-5)
    net, _, _ = load_embedder(ckpt)
    assert net.flip_average
    with torch.no_grad():
        want = net(torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255).numpy()
    np.testing.assert_allclose(bundle.embed(crops), want, atol=1e-5)
    net.flip_average = False  # the check above would pass for an averaging-free model only by accident
    with torch.no_grad():
        plain = net(torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255).numpy()
    assert np.abs(plain - want).max() > 1e-3


@pytest.mark.slow
def test_bundle_folder_and_files_are_as_readable_as_any_new_ones(tiny_checkpoint, tmp_path, set_umask):
    # the folder was tempfile.mkdtemp's 0700, renamed: the account that serves the bundle could not open it
    set_umask(0o022)
    out = tmp_path / "bundle"
    export_bundle(tiny_checkpoint, out)
    assert out.stat().st_mode & 0o777 == 0o755
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o644}


@pytest.mark.slow
def test_the_bundle_records_which_face_training_took(tiny_checkpoint, tmp_path):
    from facecompare.checkpoint import read_checkpoint

    state = read_checkpoint(tiny_checkpoint)
    state["facecompare_config"]["data"]["source"]["preprocess"] = {"several_faces": "central", "min_prob": 0.95}
    ckpt = tmp_path / "lfw_like.ckpt"
    torch.save(state, ckpt)
    record = export_bundle(ckpt, tmp_path / "bundle")
    assert record["alignment"]["faces"] == {"several_faces": "central", "min_prob": 0.95}


@pytest.mark.slow
def test_overwrite_replaces_only_a_bundle_or_an_empty_folder(tiny_checkpoint, tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(ConfigError, match="not a facecompare bundle and not empty"):
        export_bundle(tiny_checkpoint, precious, overwrite=True)
    assert (precious / "thesis.txt").read_text() == "years of work"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_bundle(tiny_checkpoint, empty, overwrite=True)["format"] == "facecompare-bundle"
    (empty / "notes.txt").write_text("mine")  # a bundle with a file of the user's: kept too
    with pytest.raises(ConfigError, match="only replaces a bundle"):
        export_bundle(tiny_checkpoint, empty, overwrite=True)


def test_full_disk_names_the_bundle_and_leaves_nothing(tiny_checkpoint, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")  # as onnx's own write does, naming no file

    monkeypatch.setattr(bundle_module, "write_onnx", full)
    with pytest.raises(DiskFullError, match=rf"^{re.escape(str(tmp_path / 'bundle'))}: No space left on device$"):
        export_bundle(tiny_checkpoint, tmp_path / "bundle")
    assert list(tmp_path.iterdir()) == []  # nor a half-written temporary folder


@pytest.mark.slow
def test_full_disk_on_a_real_file_system_is_one_line(tmp_path):
    """The run folder on a 4 kB tmpfs, mounted in a mount namespace of the script's own: it goes when the
    process does, however it ends. Where neither root nor user namespaces allow the mount, the test is skipped."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1)")
    script = bundle_module.Path(__file__).resolve().parents[2] / "scripts" / "export.py"
    full = tmp_path / "full"
    full.mkdir()
    export = f"{sys.executable} {script} ckpt=m.ckpt hydra.run.dir={full}/run"
    shell = f"mount -t tmpfs -o size=4k tmpfs {full} || exit 99; exec {export}"
    as_root = [] if os.geteuid() == 0 else ["--map-root-user"]
    unshare = ["unshare", "--mount", *as_root, "sh", "-c", shell]
    out = subprocess.run(unshare, capture_output=True, text=True, timeout=120)
    if out.returncode == 99 or out.stderr.startswith("unshare:"):
        pytest.skip(f"cannot mount a small file system here: {out.stderr.strip()}")
    # Hydra's own write of .hydra/config.yaml fails, before the task: no file is named, the run folder is
    assert (out.returncode, out.stderr) == (2, f"error: {full}/run: No space left on device\n")
    assert list(full.iterdir()) == []  # the mount went with the process
