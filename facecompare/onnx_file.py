"""Writing a network as an ONNX file: the bundle's model (export/) and evaluation's ONNX Runtime embedder
(evaluation/onnx_embedding.py) both use it, so it belongs to neither."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch


def write_onnx(net: torch.nn.Module, example: torch.Tensor, path: Path, opset: int) -> None:
    with warnings.catch_warnings():  # the exporter's progress chatter and deprecation notes of its internals
        warnings.simplefilter("ignore")
        for name in ("onnx_ir", "onnxscript", "torch.onnx"):
            logging.getLogger(name).setLevel(logging.WARNING)
        torch.onnx.export(
            net,
            (example,),
            str(path),
            dynamo=True,
            input_names=["images"],
            output_names=["embeddings"],
            dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=65536)},),
            opset_version=opset,
            external_data=False,  # one self-contained file
            verbose=False,
        )
