"""Procedurally drawn cartoon faces: the built-in default dataset, deterministic from a seed, no download.

Each identity is a fixed set of traits (:class:`IdentityTraits`); each image redraws those traits under a random
pose, expression, lighting, background and noise, so a model has to recognise the person, not the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

Colour = tuple[int, int, int]
Curve = tuple[np.ndarray, np.ndarray]  # face-local (u, v): units of the face half-width, v pointing down

# A leading tag keeps trait and image streams apart: SeedSequence pads entropy with zeros, so
# default_rng([seed, identity]) would be the very same stream as image 0's default_rng([seed, identity, 0]).
_TRAITS_STREAM, _IMAGE_STREAM = 1, 2
_SKIN = np.array([(255, 226, 204), (234, 190, 152), (200, 142, 102), (150, 100, 66), (92, 60, 42)], float)
_HAIR = np.array([(25, 20, 18), (72, 46, 28), (128, 86, 50), (218, 182, 112), (168, 76, 34), (150, 150, 150)], float)
_HAIR_P = (0.27, 0.25, 0.16, 0.12, 0.08, 0.12)
_IRIS = np.array([(92, 56, 30), (42, 28, 20), (70, 122, 186), (76, 132, 80), (122, 132, 142), (140, 110, 56)], float)
_STYLE_P = (0.1, 0.22, 0.2, 0.2, 0.16, 0.12)  # bald, short, fringe, side part, long, voluminous
_LINE, _FRAME, _SCLERA, _MOUTH = (40, 28, 26), (30, 30, 36), (246, 244, 238), (70, 22, 28)
_X = np.linspace(-1, 1, 11)  # abscissae of the mouth and hairline curves
_F = np.linspace(0, 1, 6)  # positions along a brow


@dataclass(frozen=True)
class IdentityTraits:
    """What stays fixed for one person. Lengths are in units of the face half-width, v grows downwards."""

    face_width: float  # face half-width as a fraction of the image side
    face_height: float  # face half-height
    jaw: float  # 0 = round chin; larger = narrower, more pointed jaw
    skin: Colour
    eye_y: float
    eye_spacing: float  # half the distance between the eye centres
    eye_size: float  # half-width of one eye
    eye_aspect: float  # eye height / width when relaxed
    iris: Colour
    brow_thickness: float
    brow_angle: float  # rise of the outer end over the inner end
    brow_gap: float  # height of the brow above the eye
    nose_length: float
    nose_width: float
    mouth_y: float
    mouth_width: float
    lip_thickness: float
    lips: Colour
    hair: Colour
    hair_style: int  # 0 bald, 1 short, 2 fringe, 3 side part, 4 long, 5 voluminous
    hair_height: float  # how far the hair rises above the skull
    hairline: float  # where the hair starts on the forehead
    part_side: int  # -1 or +1: which way a side part sweeps
    ear_size: float
    glasses: bool
    beard: bool


def _rgb(x: np.ndarray) -> Colour:
    r, g, b = np.clip(np.rint(x), 0, 255).astype(int).tolist()
    return r, g, b


def _shade(c: Colour, k: float) -> Colour:
    return _rgb(np.asarray(c, float) * k)


def sample_identity(seed: int, identity: int) -> IdentityTraits:
    """Draw the traits of person ``identity``; they depend only on (seed, identity)."""
    r = np.random.default_rng([_TRAITS_STREAM, seed, identity])
    u = r.uniform
    height, eye_y, nose = u(1.12, 1.4), u(-0.24, 0.0), u(0.32, 0.56)
    pos = u(0, len(_SKIN) - 1)  # a continuous walk along the palette gives every shade in between
    lo = int(min(pos, len(_SKIN) - 2))
    skin = _SKIN[lo] + (pos - lo) * (_SKIN[lo + 1] - _SKIN[lo]) + r.normal(0, 7, 3)
    hair = _HAIR[r.choice(len(_HAIR), p=_HAIR_P)] * u(0.85, 1.15) + r.normal(0, 10, 3)
    return IdentityTraits(
        face_width=u(0.27, 0.32),
        face_height=height,
        jaw=u(0.0, 0.4),
        skin=_rgb(skin),
        eye_y=eye_y,
        eye_spacing=u(0.3, 0.46),
        eye_size=u(0.12, 0.2),
        eye_aspect=u(0.42, 0.72),
        iris=_rgb(_IRIS[r.integers(len(_IRIS))] + r.normal(0, 12, 3)),
        brow_thickness=u(0.035, 0.1),
        brow_angle=u(-0.1, 0.12),
        brow_gap=u(0.1, 0.22),
        nose_length=nose,
        nose_width=u(0.08, 0.18),
        mouth_y=min(eye_y + nose + u(0.18, 0.3), height - 0.34),
        mouth_width=u(0.2, 0.38),
        lip_thickness=u(0.03, 0.08),
        lips=_rgb(skin * 0.72 + np.array([175.0, 62, 72]) * u(0.15, 0.4) + r.normal(0, 6, 3)),
        hair=_rgb(hair),
        hair_style=int(r.choice(6, p=_STYLE_P)),
        hair_height=u(0.04, 0.3),
        hairline=u(-0.95, -0.6) * height,
        part_side=int(r.choice([-1, 1])),
        ear_size=u(0.14, 0.22),
        glasses=bool(r.random() < 0.2),
        beard=bool(r.random() < 0.2),
    )


class _Pose(NamedTuple):
    cx: float  # face centre, pixels
    cy: float
    a: float  # unit times cos / sin of the in-plane rotation
    b: float
    cos_yaw: float
    sin_yaw: float
    unit: float  # pixels per face half-width


class _Look(NamedTuple):
    """What changes between photos of one person besides pose and light."""

    smile: float
    open: float
    brow_raise: float
    eye_open: float
    gaze: float
    shirt: Colour


@lru_cache(maxsize=8)
def _circle(n: int) -> Curve:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.cos(t), np.sin(t)


def _ellipse(cu: float, cv: float, ru: float, rv: float, n: int = 16, bottom: float = 1.0) -> Curve:
    """An ellipse; ``bottom`` < 1 flattens its lower half (an almond eye)."""
    c, s = _circle(n)
    return cu + ru * c, cv + rv * s * np.where(s > 0, bottom, 1.0)


def _project(c: Curve, p: _Pose, warp: bool = True, depth: float = 0.0) -> list[float]:
    """Face-local points to the flat pixel list ImageDraw takes."""
    u, v = np.asarray(c[0], float), np.asarray(c[1], float)
    if warp:  # points on a cylinder turned by the yaw: features slide sideways, the far side is squashed
        u = u * p.cos_yaw + (np.sqrt(np.maximum(1 - u * u, 0)) + depth) * p.sin_yaw
    xy = np.empty(2 * len(u))
    xy[0::2] = p.cx + p.a * u - p.b * v
    xy[1::2] = p.cy + p.b * u + p.a * v
    return xy.tolist()


def _draw_head(d: ImageDraw.ImageDraw, t: IdentityTraits, p: _Pose, look: _Look) -> None:
    h, style, top = t.face_height, t.hair_style, t.face_height + t.hair_height
    c, s = _circle(48)
    if style in (4, 5):  # long or voluminous hair sits behind the head
        w, low = (1.18, h * 0.95) if style == 4 else (1.3, h * 0.55)
        d.polygon(_project((np.r_[w * c[24:], w, -w], np.r_[top * 1.04 * s[24:], low, low]), p, False), t.hair)
    neck = ([-0.42, 0.42, 0.48, -0.48], [h * 0.5, h * 0.5, h + 0.6, h + 0.6])
    d.polygon(_project(neck, p, False), _shade(t.skin, 0.8))
    body = ([-0.5, 0, 0.5, 2.2, 2.4, -2.4, -2.2], [h + 0.4, h + 0.65, h + 0.4, h + 0.8, 5, 5, h + 0.8])
    d.polygon(_project(body, p, False), look.shirt)
    for side in (-1, 1):  # the ear on the side the face turns away from shows more
        ear = _ellipse(side * 0.98, t.eye_y + 0.14, t.ear_size * 0.55 * (1 - 1.5 * side * p.sin_yaw), t.ear_size, 12)
        d.polygon(_project(ear, p, False), _shade(t.skin, 0.9))
    outline = (c * (1 - t.jaw * np.clip(s, 0, None) ** 2), h * s)
    d.polygon(_project(outline, p, False), t.skin)
    if t.beard:  # the outline below the mouth, closed by a straight edge
        keep = outline[1] > t.mouth_y - 0.12
        d.polygon(_project((outline[0][keep], outline[1][keep]), p, False), t.hair)
    if style == 0:  # bald: a little hair low at the sides
        for side in (-1, 1):
            tuft = (side * np.array([0.97, 1.05, 1.05, 0.97]), t.eye_y + np.array([-0.3, -0.25, 0.12, 0.08]))
            d.polygon(_project(tuft, p, False), t.hair)
        return
    cap_u, cap_v = 1.07 * c[24:], top * s[24:]
    keep = cap_v <= t.eye_y - 0.1
    x = _X[::-1]
    line = (
        t.hairline
        + {
            1: 0.35 * x**2,
            2: 0.3 + 0.15 * x**2 + 0.04 * np.cos(15 * x),
            3: 0.05 + 0.25 * (1 - t.part_side * x) + 0.15 * x**2,
            4: 0.12 + 0.3 * np.abs(x),
            5: 0.35 * x**2,
        }[style]
    )
    # the cap's outer edge is the silhouette; the hairline lies on the face and turns with it
    d.polygon(_project((cap_u[keep], cap_v[keep]), p, False) + _project((x, line), p), t.hair)


def _draw_eyes(d: ImageDraw.ImageDraw, t: IdentityTraits, p: _Pose, look: _Look, px: int) -> None:
    w, cv = t.eye_size, t.eye_y
    for side in (-1, 1):
        cu = side * t.eye_spacing
        hgt = w * t.eye_aspect * look.eye_open
        if look.eye_open < 0.2:  # a blink is just the closed lid
            lid = _ellipse(cu, cv, w, 0.25 * w)
            d.line(_project((lid[0][:9], lid[1][:9]), p), _LINE, px)
        else:
            d.polygon(_project(_ellipse(cu, cv, w, hgt, bottom=0.75), p), _SCLERA, _LINE)
            ir, gu = 0.5 * w, cu + look.gaze * 0.35 * w
            d.polygon(_project(_ellipse(gu, cv, ir, min(ir, 0.8 * hgt), 12), p), t.iris)
            d.polygon(_project(_ellipse(gu, cv, 0.45 * ir, min(0.45 * ir, 0.7 * hgt), 8), p), (12, 10, 10))
            lid = _ellipse(cu, cv, w, hgt)  # a heavier upper lid reads as an eye even at 32 px
            d.line(_project((np.r_[lid[0][8:], lid[0][0]], np.r_[lid[1][8:], lid[1][0]]), p), _LINE, px)
        brow_u = side * (t.eye_spacing - 1.1 * w + 2.3 * w * _F)
        brow_v = cv - w * t.eye_aspect - t.brow_gap - 0.07 * look.brow_raise - t.brow_angle * _F
        brow_v = brow_v - 0.05 * np.sin(np.pi * _F)
        width = max(1, round(t.brow_thickness * p.unit))
        d.line(_project((brow_u, brow_v), p), _shade(t.hair, 0.8), width, joint="curve")
        if t.glasses:
            d.polygon(_project(_ellipse(cu, cv, 1.5 * w, 1.2 * w, 20), p), outline=_FRAME, width=px)
            arm = ([side * (t.eye_spacing + 1.5 * w), side * 1.0], [cv, cv - 0.05])
            bridge = ([side * (t.eye_spacing - 1.5 * w), 0.0], [cv, cv - 0.03])
            d.line(_project(arm, p), _FRAME, px)
            d.line(_project(bridge, p), _FRAME, px)


def _draw_nose_mouth(d: ImageDraw.ImageDraw, t: IdentityTraits, p: _Pose, look: _Look, px: int) -> None:
    nose_c, bot, w = _shade(t.skin, 0.68), t.eye_y + t.nose_length, t.nose_width
    tip = (w * np.array([-1, -0.6, 0, 0.6, 1]), bot + np.array([-0.07, 0, 0.03, 0, -0.07]))
    d.line(_project(tip, p, depth=0.25), nose_c, px, joint="curve")  # the tip sticks out, so it slides further
    d.line(_project(([0.3 * w, 0.7 * w], [t.eye_y + 0.1, bot - 0.1]), p, depth=0.15), nose_c, px)
    mw, th, x = t.mouth_width * (1 + 0.12 * look.smile), t.lip_thickness, _X
    mid = t.mouth_y - look.smile * 0.09 * x**2  # corners rise with a smile
    gap = look.open * 0.13 * (1 - x**2)
    upper = mid - th * (1 - x**2) * (1.1 - 0.25 * np.cos(3 * np.pi * x))  # a slight cupid's bow
    lower = mid + gap + 1.3 * th * (1 - x**2)
    d.polygon(_project((mw * np.r_[x, x[::-1]], np.r_[upper, lower[::-1]]), p), t.lips)
    if look.open > 0.15:
        d.polygon(_project((mw * np.r_[x, x[::-1]], np.r_[mid, (mid + gap)[::-1]]), p), _MOUTH)
    else:
        d.line(_project((mw * x, mid), p), _shade(t.lips, 0.6), px)


@lru_cache(maxsize=8)
def _ramps(size: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.linspace(-1, 1, size, dtype=np.float32)
    return r[None, :], r[:, None]


def _photometric(img: Image.Image, rng: np.random.Generator) -> np.ndarray:
    """Directional light, exposure, colour cast, contrast and sensor noise."""
    a = np.asarray(img, np.float32)
    xx, yy = _ramps(a.shape[0])
    angle, strength = rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.4)
    gain = rng.uniform(0.75, 1.15) * (1 + strength * (np.cos(angle) * xx + np.sin(angle) * yy))
    a = a * gain[..., None] * rng.normal(1, 0.04, 3).astype(np.float32)
    mean = a.mean()
    a = (a - mean) * rng.uniform(0.75, 1.2) + mean
    # uniform rather than Gaussian noise: 4x cheaper to draw, and nobody can tell at this amplitude
    a += (rng.random(a.shape, dtype=np.float32) - 0.5) * np.float32(rng.uniform(3, 24))
    return np.clip(a + 0.5, 0, 255).astype(np.uint8)


def render_face(traits: IdentityTraits, rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """Draw one image of ``traits`` with random pose, expression, lighting and background: (size, size, 3) uint8."""
    if size < 16:
        raise ValueError(f"size must be >= 16, got {size}")
    factor = max(2, -(-128 // size))  # supersampling: at least 2x and at least 128 px to draw on
    canvas = size * factor
    base = rng.uniform(25, 230) + rng.normal(0, 35, 3)  # muted backgrounds: a grey level plus a tint
    corners = np.clip(base + rng.normal(0, 22, (2, 2, 3)), 0, 255).astype(np.uint8)
    # a smooth gradient drawn small and blown up: a bilinear upsample straight to the canvas costs 5x more
    img = Image.fromarray(corners).resize((canvas // 4, canvas // 4), Image.Resampling.BILINEAR)
    img = img.resize((canvas, canvas), Image.Resampling.NEAREST)
    angle, yaw, scale = np.deg2rad(rng.uniform(-12, 12)), rng.uniform(-0.35, 0.35), rng.uniform(0.9, 1.1)
    unit = traits.face_width * scale * canvas
    dx, dy = rng.uniform(-0.04, 0.04, 2) * canvas
    a, b = unit * np.cos(angle), unit * np.sin(angle)
    pose = _Pose(canvas * 0.5 + dx, canvas * 0.55 + dy, a, b, np.cos(yaw), np.sin(yaw), unit)
    blink = rng.random() < 0.08
    look = _Look(
        smile=rng.uniform(-0.4, 1.0),
        open=max(0.0, rng.uniform(-0.6, 1.0)),
        brow_raise=rng.uniform(-0.5, 1.0),
        eye_open=0.1 if blink else rng.uniform(0.55, 1.15),
        gaze=rng.uniform(-1, 1),
        shirt=_rgb(rng.uniform(20, 235, 3)),
    )
    d = ImageDraw.Draw(img)
    px = max(1, round(unit * 0.035))  # a line width that scales with the face
    _draw_head(d, traits, pose, look)
    _draw_eyes(d, traits, pose, look, px)
    _draw_nose_mouth(d, traits, pose, look, px)
    return _photometric(img.reduce(factor), rng)  # reduce = box filter: the antialiasing, and 10x cheaper than LANCZOS


def render_dataset(
    num_identities: int, images_per_identity: int, size: int = 64, seed: int = 0, first_identity: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Render people ``first_identity ..`` with ``images_per_identity`` images each, grouped by person.

    Returns images (N, size, size, 3) uint8 and labels (N,) int64 holding the identity index. Image j of
    identity i depends only on (seed, i, j), so any range of identities can be rendered on its own.
    """
    checks = [("num_identities", num_identities, 1), ("images_per_identity", images_per_identity, 1)]
    checks += [("size", size, 16), ("seed", seed, 0), ("first_identity", first_identity, 0)]
    for name, value, least in checks:
        if value < least:
            raise ValueError(f"{name} must be >= {least}, got {value}")
    images = np.empty((num_identities * images_per_identity, size, size, 3), np.uint8)
    ids = np.arange(first_identity, first_identity + num_identities, dtype=np.int64)
    for i, identity in enumerate(ids.tolist()):
        traits = sample_identity(seed, identity)
        for j in range(images_per_identity):
            rng = np.random.default_rng([_IMAGE_STREAM, seed, identity, j])
            images[i * images_per_identity + j] = render_face(traits, rng, size)
    return images, np.repeat(ids, images_per_identity)
