"""Write a bundle folder from a checkpoint: ``model.onnx`` (dynamic batch), ``model.torchscript.pt`` and
``model.json`` (everything a caller needs to prepare inputs and read scores). All three are written to a
temporary folder, checked for parity and only then moved into place, so a refused or killed export leaves
no half-written bundle."""

from __future__ import annotations

import json
import secrets
import shutil
import warnings
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import torch

from facecompare.checkpoint import load_embedder
from facecompare.data.alignment import template
from facecompare.data.policy import DEFAULT_MIN_PROB, DEFAULT_SEVERAL
from facecompare.errors import ConfigError, disk_full_error
from facecompare.evaluation.far_curve import FAR_CURVE_SUFFIX
from facecompare.evaluation.quality_eval import BRANCH_SUFFIX, QUALITY_SUFFIX
from facecompare.evaluation.thresholds import read_calibration, resolve_threshold
from facecompare.export.parity import ParityError, check_parity, parity_inputs
from facecompare.export.weights_origin import weights_origin
from facecompare.inference.branch_quality import BranchQuality
from facecompare.inference.bundle import FORMAT, FORMAT_VERSION, file_sha256
from facecompare.inference.numpy_pair_head import NumpyPairHead
from facecompare.inference.open_set import FarCurve, OpenSetError
from facecompare.inference.quality import EmbeddingQuality
from facecompare.losses.pair_head import PairHead
from facecompare.onnx_file import write_onnx

ONNX_FILE, TORCHSCRIPT_FILE, META_FILE = "model.onnx", "model.torchscript.pt", "model.json"
SCORES = {
    "euclidean": "1 / (1 + ||a - b||)",
    "cosine": "(1 + cos(a, b)) / 2",
    "learned": "sigmoid(w2 . relu(W1 [|a - b|, a * b] + b1) + b2), weights in pair_head.npz",
}
PAIR_HEAD_FILE = "pair_head.npz"


def export_bundle(
    ckpt: str | Path,
    out_dir: str | Path,
    threshold: float | None = None,
    tolerance: float = 1e-4,
    opset: int = 18,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Export ``ckpt`` to ``out_dir``; returns the ``model.json`` record."""
    ckpt, out_dir = Path(ckpt), Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise ConfigError(f"{out_dir}: already exists; choose another out_dir or pass overwrite=true")
    if out_dir.exists() and not _replaceable(out_dir):
        # overwrite=true deletes the folder: only ever an earlier bundle (out_dir=. once took a project with it)
        raise ConfigError(f"{out_dir}: not a facecompare bundle and not empty; overwrite=true only replaces a bundle")
    net, loss, info = load_embedder(ckpt)
    head = getattr(loss, "head", None)
    distance = "learned" if isinstance(head, PairHead) else getattr(loss, "distance", None)
    if distance not in SCORES:
        raise ConfigError(f"{ckpt}: {type(loss).__name__} has no score a bundle can carry")
    data = info["config"]["data"]
    size, channels = int(data["image_size"]), int(data["channels"])
    value, source = resolve_threshold(ckpt, info, threshold)
    threshold_record = {"value": value, "source": source, **_far_curve(ckpt)}
    quality = _quality(ckpt)  # read and checked before the minutes of export: a broken file fails at once
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # not tempfile.mkdtemp: its folder is 0700, and the bundle, renamed from it, would be unreadable to the
    # service account that serves it; mkdir applies the umask as for any new folder
    tmp = out_dir.parent / f".tmp-{out_dir.name}-{secrets.token_hex(8)}"
    tmp.mkdir(mode=0o777)
    try:
        example = torch.rand(3, channels, size, size)
        write_onnx(net, example, tmp / ONNX_FILE, opset)
        _write_torchscript(net, example, tmp / TORCHSCRIPT_FILE)
        parity = check_parity(net, tmp / ONNX_FILE, tmp / TORCHSCRIPT_FILE, parity_inputs(channels, size), tolerance)
        if head is not None:
            parity["pair_head_max_abs_diff"] = _write_pair_head(loss, tmp / PAIR_HEAD_FILE, tolerance)
        record = _metadata(ckpt, net, info, size, channels, distance, threshold_record, parity, tmp)
        record.update(quality)
        (tmp / META_FILE).write_text(json.dumps(record, indent=1))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except Exception as err:  # ONNX, TorchScript and numpy write the files themselves: name the bundle
        full = disk_full_error(out_dir, err)
        if full is None:
            raise
        raise full from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return record


def _replaceable(folder: Path) -> bool:
    """An empty folder, or one holding a bundle's model.json (and nothing else of its own)."""
    if not folder.is_dir():
        return False
    entries = {p.name for p in folder.iterdir()}
    if not entries:
        return True
    try:
        meta = json.loads((folder / META_FILE).read_text())
    except (OSError, ValueError):
        return False
    known = {META_FILE, ONNX_FILE, TORCHSCRIPT_FILE, PAIR_HEAD_FILE}
    return isinstance(meta, dict) and meta.get("format") == FORMAT and entries <= known


def _write_pair_head(loss: torch.nn.Module, path: Path, tolerance: float) -> float:
    """Save the head's weights as plain arrays and check the numpy scorer against the loss's own score."""
    layers = loss.head
    arrays = {
        "hidden_weight": layers.hidden.weight,
        "hidden_bias": layers.hidden.bias,
        "output_weight": layers.output.weight,
        "output_bias": layers.output.bias,
    }
    np.savez(path, **{k: v.detach().cpu().numpy().astype(np.float32) for k, v in arrays.items()})
    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randn(64, layers.embedding_dim, generator=generator) for _ in range(2))
    with torch.no_grad():
        want = loss.score(a, b).numpy()
    diff = float(np.abs(NumpyPairHead.load(path).score(a.numpy(), b.numpy()) - want).max())
    if not diff <= tolerance:
        raise ParityError(f"export refused: the pair head differs by {diff:.2e} (tolerance {tolerance:g})")
    return diff


def _write_torchscript(net: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    # torch.jit is deprecated upstream but still what C++ (libtorch) and mobile runtimes load; the parity
    # check below runs the traced file at other batch sizes, so a trace that froze a shape is caught.
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(net, example), str(path))


def _metadata(ckpt, net, info, size, channels, distance, threshold, parity, folder) -> dict[str, Any]:
    config = info["config"]
    net_config = {k: v for k, v in config["model"]["net"].items() if k != "pretrained"}
    preprocess = config["data"].get("source", {}).get("preprocess") or {}
    margin = float(preprocess.get("margin") or 0.0)
    alignment = str(preprocess.get("alignment") or config["data"].get("alignment") or "arcface")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "facecompare_version": _version(),
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "backbone": {"class": net_config.pop("_target_"), **net_config},
        "weights_origin": weights_origin(config["model"]["net"]),
        "input": {
            "name": "images",
            "layout": "NCHW",
            "dtype": "float32",
            "size": size,
            "channels": channels,
            "color": "RGB" if channels == 3 else "grayscale",
            "range": [0.0, 1.0],
            "normalisation": "inside the model: (x - mean) / std on [0, 1] input",
            "mean": net.mean.flatten().tolist(),
            "std": net.std.flatten().tolist(),
        },
        "alignment": {
            "detector": config.get("detector"),
            "landmarks": ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"],
            "template": template(size, margin, alignment).tolist(),
            "margin": margin,
            "name": alignment,
            # which face of a photo training used: the tools pick the same one (LFW: the central face)
            "faces": {
                "several_faces": preprocess.get("several_faces", DEFAULT_SEVERAL),
                "min_prob": float(preprocess.get("min_prob", DEFAULT_MIN_PROB)),
            },
        },
        "embedding": {"name": "embeddings", "size": int(net.embedding_dim), "l2_normalized": bool(net.normalize)},
        "distance": distance,
        "score": SCORES[distance],
        "threshold": threshold,
        "metrics": _metrics(ckpt, info),
        "checkpoint": {"file": ckpt.name, "sha256": file_sha256(ckpt)},
        "files": {
            name: {"file": file, "sha256": file_sha256(folder / file)}
            for name, file in (("onnx", ONNX_FILE), ("torchscript", TORCHSCRIPT_FILE), ("pair_head", PAIR_HEAD_FILE))
            if (folder / file).is_file()
        },
        "parity": parity,
    }


def _version() -> str:
    try:
        return version("facecompare")
    except PackageNotFoundError:  # run from a source tree that was never pip-installed
        return "unknown"


def _metrics(ckpt: Path, info: dict[str, Any]) -> dict[str, Any]:
    """Validation metrics from training and, when scripts/evaluate.py calibrated this checkpoint, its record."""
    metrics: dict[str, Any] = {"validation": info.get("val_metrics", {})}
    calibration = ckpt.with_suffix(".threshold.json")
    if calibration.is_file():
        metrics["calibration"] = read_calibration(calibration)
    return metrics


def _far_curve(ckpt: Path) -> dict[str, Any]:
    """The open-set FAR curve scripts/evaluate.py wrote beside the checkpoint, which the tools use to fit
    thresholds to a gallery's size (facecompare.inference.open_set); nothing when it was not evaluated."""
    path = ckpt.with_suffix(FAR_CURVE_SUFFIX)
    if not path.is_file():
        return {}
    try:
        curve = json.loads(path.read_text())
        FarCurve.from_meta({"threshold": {"far_curve": curve}})  # a broken file fails the export, not the tools
    except (ValueError, OpenSetError) as err:
        raise ConfigError(f"{path}: not a usable open-set curve ({err})") from None
    return {"far_curve": curve}


def _quality(ckpt: Path) -> dict[str, Any]:
    """The face quality models scripts/evaluate.py fitted beside the checkpoint, which the tools show and
    enrolment gates on: ``quality`` (training-free, inference/quality.py) and, for a run trained with
    ``face_quality=branch``, ``quality_learned`` (inference/branch_quality.py); nothing for one not evaluated."""
    found = {}
    models = ((QUALITY_SUFFIX, "quality", EmbeddingQuality), (BRANCH_SUFFIX, "quality_learned", BranchQuality))
    for suffix, key, model in models:
        path = ckpt.with_suffix(suffix)
        if not path.is_file():
            continue
        try:
            record = json.loads(path.read_text())
            model.from_json(record)  # a broken file fails the export, not the tools
        except (ValueError, KeyError, TypeError) as err:
            raise ConfigError(f"{path}: not a usable face quality model ({type(err).__name__}: {err})") from None
        found[key] = record
    return found
