"""The export's parity check: the shipped ONNX and TorchScript files must embed like the PyTorch network."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from facecompare.errors import FacecompareError
from facecompare.inference.bundle import import_onnxruntime


class ParityError(FacecompareError):
    """An exported model's embeddings differ from the PyTorch network's by more than the tolerance."""


def parity_inputs(channels: int, size: int, seed: int = 0) -> list[np.ndarray]:
    """Batches of 1 and 5 images in [0, 1]: two batch sizes, so a batch dimension frozen at export shows."""
    rng = np.random.default_rng(seed)
    return [rng.random((n, channels, size, size), dtype=np.float32) for n in (1, 5)]


def check_parity(net: nn.Module, onnx_path: Path, torchscript_path: Path, inputs: list[np.ndarray], tol: float) -> dict:
    """Max absolute embedding difference of each exported file against ``net``, read back from disk.
    Raises ParityError when either is above ``tol``."""
    session = import_onnxruntime().InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    with warnings.catch_warnings():  # torch.jit's deprecation notice; the file is what libtorch users load
        warnings.simplefilter("ignore")
        scripted = torch.jit.load(str(torchscript_path), map_location="cpu")
    diffs = {"onnx": 0.0, "torchscript": 0.0}
    with torch.no_grad():
        for batch in inputs:
            reference = net(torch.from_numpy(batch)).numpy()
            (onnx_out,) = session.run(None, {session.get_inputs()[0].name: batch})
            ts_out = scripted(torch.from_numpy(batch)).numpy()
            for name, out in (("onnx", onnx_out), ("torchscript", ts_out)):
                if out.shape != reference.shape:
                    raise ParityError(f"{name} export gives shape {out.shape} for a batch of {len(batch)}")
                diffs[name] = max(diffs[name], float(np.abs(out - reference).max()))
    bad = {name: d for name, d in diffs.items() if not d <= tol}
    if bad:
        detail = ", ".join(f"{name} differs by {d:.2e}" for name, d in bad.items())
        raise ParityError(f"export refused: {detail} (tolerance {tol:g}); nothing was written")
    return {"max_abs_diff": diffs, "tolerance": tol, "batch_sizes": [len(b) for b in inputs]}
