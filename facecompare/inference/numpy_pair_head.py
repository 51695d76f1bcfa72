"""The learned pair head of ``loss=binary`` models, in numpy: ``sigmoid(w2 . relu(W1 [|a - b|, a * b] + b1)
+ b2)``, the same function as facecompare.losses.PairHead followed by the loss's sigmoid. Its weights travel
in the bundle as ``pair_head.npz``, plain arrays read with ``allow_pickle=False``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

KEYS = ("hidden_weight", "hidden_bias", "output_weight", "output_bias")


class NumpyPairHead:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        missing = [k for k in KEYS if k not in arrays]
        if missing:
            raise ValueError(f"pair head weights lack {', '.join(missing)}")
        self.w1, self.b1 = arrays["hidden_weight"].astype(np.float32), arrays["hidden_bias"].astype(np.float32)
        self.w2, self.b2 = arrays["output_weight"].astype(np.float32), arrays["output_bias"].astype(np.float32)

    @classmethod
    def load(cls, path: Path) -> NumpyPairHead:
        with np.load(path, allow_pickle=False) as arrays:
            return cls({k: arrays[k] for k in arrays.files})

    def score(self, a: np.ndarray, b: np.ndarray, chunk: int = 65536) -> np.ndarray:
        """Row i of ``a`` against row i of ``b`` (a single row of either is broadcast), in [0, 1]."""
        a, b = np.atleast_2d(a).astype(np.float32), np.atleast_2d(b).astype(np.float32)
        n = max(len(a), len(b))
        out = np.empty(n, np.float32)
        for start in range(0, n, chunk):  # bounded memory for a large gallery
            aa = a if len(a) == 1 else a[start : start + chunk]
            bb = b if len(b) == 1 else b[start : start + chunk]
            features = np.concatenate(np.broadcast_arrays(np.abs(aa - bb), aa * bb), axis=1)
            hidden = np.maximum(features @ self.w1.T + self.b1, 0.0)
            logits = (hidden @ self.w2.T + self.b2)[:, 0]
            # the tanh form of the sigmoid: exp(-logit) overflows (and warns) for a very negative logit
            out[start : start + len(logits)] = 0.5 * (1.0 + np.tanh(0.5 * logits))
        return out.astype(np.float64)
