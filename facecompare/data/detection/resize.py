"""Shrinking and padding images so detectors see a bounded, uniform batch."""

from __future__ import annotations

import cv2
import numpy as np


def downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``image`` shrunk so its longer side is at most ``max_side``, and the factor applied (<= 1)."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return image, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def pad_batch(images: list[np.ndarray]) -> np.ndarray:
    """Stack (H_i, W_i, 3) images into (B, H, W, 3), zero-padded at the bottom and right."""
    height = max(im.shape[0] for im in images)
    width = max(im.shape[1] for im in images)
    batch = np.zeros((len(images), height, width, 3), np.uint8)
    for out, im in zip(batch, images, strict=True):
        out[: im.shape[0], : im.shape[1]] = im
    return batch
