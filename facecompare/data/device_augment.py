"""Training augmentation as batched tensor operations on the training device (``data/augment=light_device``).

albumentations works image by image on the CPU: on an H100 its `light` recipe capped training at ~10k
images/s with 8 loader workers (benchmarks/RESULTS.md), half of what resnet18 trains at. The same recipe as
a few batched ops runs on the GPU after the batch is copied there, and on the CPU it is one vectorised pass
instead of a Python loop over images. It is the `light` recipe, not bit-identical to albumentations: the
hue/saturation step is a YIQ hue rotation and a saturation blend with the luminance.

Randomness: a generator seeded from (seed, global step, process rank), so a run is reproducible and a
resumed run augments its later steps exactly as an uninterrupted one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

# RGB <-> YIQ (NTSC): a hue shift is a rotation of the I/Q plane
_RGB2YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_YIQ2RGB = torch.linalg.inv(_RGB2YIQ)


class DeviceAugment:
    """Flip, small affine (scale, shift, rotation, border replicated), brightness/contrast and hue/saturation,
    each applied to a random subset of a uint8 (N, C, H, W) batch; returns uint8 of the same shape."""

    def __init__(
        self,
        flip_p: float = 0.5,
        affine_p: float = 0.5,
        scale: tuple[float, float] = (0.95, 1.05),
        translate: float = 0.04,
        rotate_deg: float = 8.0,
        brightness_contrast_p: float = 0.8,
        brightness: float = 0.2,
        contrast: float = 0.2,
        hue_saturation_p: float = 0.3,
        hue_deg: float = 10.0,
        saturation: float = 0.08,
        seed: int = 0,
    ) -> None:
        self.flip_p, self.affine_p, self.scale, self.translate = flip_p, affine_p, tuple(scale), translate
        self.rotate = math.radians(rotate_deg)
        self.bc_p, self.brightness, self.contrast = brightness_contrast_p, brightness, contrast
        self.hs_p, self.hue, self.saturation = hue_saturation_p, math.radians(hue_deg), saturation
        self.seed = seed

    def generator(self, device: torch.device, step: int, rank: int = 0, stream: int = 0) -> torch.Generator:
        g = torch.Generator(device=device)
        g.manual_seed((self.seed * 1_000_003 + step * 7919 + rank * 104_729 + stream) % 2**63)
        return g

    def __call__(self, images: Tensor, generator: torch.Generator) -> Tensor:
        n, device = images.shape[0], images.device

        def uniform(low: float, high: float) -> Tensor:
            return torch.rand(n, device=device, generator=generator) * (high - low) + low

        def chosen(p: float) -> Tensor:
            return torch.rand(n, device=device, generator=generator) < p

        x = images.float().div_(255)
        x = torch.where(chosen(self.flip_p)[:, None, None, None], x.flip(-1), x)
        x = self._on(x, chosen(self.affine_p), self._affine, uniform)
        # brightness shifts by a share of the full range, contrast scales about the image's mean (albumentations)
        bc = chosen(self.bc_p)[:, None, None, None]
        alpha = (1 + uniform(-self.contrast, self.contrast))[:, None, None, None]
        beta = uniform(-self.brightness, self.brightness)[:, None, None, None]
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = torch.where(bc, (x - mean) * alpha + mean + beta, x)
        if x.shape[1] == 3:
            x = self._on(x, chosen(self.hs_p), self._hue_saturation, uniform)
        return x.clamp_(0, 1).mul_(255).round_().to(torch.uint8)

    @staticmethod
    def _on(x: Tensor, which: Tensor, op, uniform) -> Tensor:
        """``op`` on the chosen images only: a warp of every image with the identity for the others cost the
        CPU 3x more. The random draws are made for the whole batch either way, so the stream stays fixed."""
        chosen = which.nonzero().flatten()
        changed = op(x, uniform)  # the draws, made for all n images
        if len(chosen) == 0:
            return x
        x = x.clone()
        x[chosen] = changed(x[chosen], chosen)
        return x

    def _affine(self, x: Tensor, uniform):
        angle = uniform(-self.rotate, self.rotate)
        zoom = uniform(*self.scale)
        shift = torch.stack([uniform(-self.translate, self.translate), uniform(-self.translate, self.translate)], 1)
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        # affine_grid maps output to input coordinates in [-1, 1]: the inverse of the wanted transform
        rows = [torch.stack([cos, -sin, -2 * shift[:, 0]], 1), torch.stack([sin, cos, -2 * shift[:, 1]], 1)]
        theta = torch.stack(rows, 1)

        def warp(images: Tensor, index: Tensor) -> Tensor:
            grid = F.affine_grid(theta[index], list(images.shape), align_corners=False)
            return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)

        return warp

    def _hue_saturation(self, x: Tensor, uniform):
        angle = uniform(-self.hue, self.hue)
        sat = 1 + uniform(-self.saturation, self.saturation) * 255 / 100  # ~ +-20 of 255 on S, as `light`
        cos, sin = torch.cos(angle), torch.sin(angle)
        zeros, ones = torch.zeros_like(cos), torch.ones_like(cos)
        rotate = torch.stack(
            [torch.stack([ones, zeros, zeros], 1), torch.stack([zeros, cos * sat, -sin * sat], 1),
             torch.stack([zeros, sin * sat, cos * sat], 1)], 1,
        )  # fmt: skip
        matrix = _YIQ2RGB.to(x.device) @ rotate @ _RGB2YIQ.to(x.device)  # (N, 3, 3)

        def recolour(images: Tensor, index: Tensor) -> Tensor:
            return torch.einsum("nij,njhw->nihw", matrix[index], images)

        return recolour
