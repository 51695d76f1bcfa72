"""Degraded copies of a uint8 batch, each of random kind and strength: what the quality branch learns to
score low. The kinds are those of inference/quality.py's ``degrade`` (blur, darkness, noise, a face a few
pixels across), here graded from mild to unrecognisable so the branch sees every step between."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF


def degrade_batch(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """(N, C, H, W) uint8 -> degraded copies, same shape and dtype; ``generator`` (on the CPU; default: torch's
    global one, which a seeded run seeds) draws the kinds and strengths."""
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"degrade_batch expects (N, C, H, W) uint8 images, got {images.dtype} {tuple(images.shape)}")
    size = images.shape[-1]
    draws = torch.rand(len(images), 2, generator=generator)
    out = []
    for image, (kind, strength) in zip(images.float(), draws.tolist(), strict=True):
        kind = int(kind * 4)
        if kind == 0:
            sigma = 0.5 + strength * (size / 8 - 0.5)
            radius = int(3 * sigma) | 1
            bad = TF.gaussian_blur(image, [2 * radius + 1] * 2, [sigma, sigma])
        elif kind == 1:
            bad = image * (0.05 + 0.65 * strength)
        elif kind == 2:
            noise = torch.randn(image.shape, generator=generator).to(image.device)
            bad = image * (1 - 0.5 * strength) + 64 * strength + (8 + 56 * strength) * noise
        else:
            side = max(4, round(size / 3 - strength * (size / 3 - 4)))
            tiny = F.interpolate(image[None], size=(side, side), mode="area")
            bad = F.interpolate(tiny, size=(size, size), mode="bilinear", align_corners=False)[0]
        out.append(bad.clamp(0, 255).round().to(torch.uint8))
    return torch.stack(out)
