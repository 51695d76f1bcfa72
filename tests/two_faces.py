"""A photo with two real faces where the largest is not the central one (LFW's layout: the named person in
the middle, a bystander cut off at the border), for tests of which face is taken."""

from __future__ import annotations

import numpy as np

SIZE = 600


def two_faces() -> np.ndarray:
    """skimage's astronaut, large near the top edge and smaller in the middle of a 600 x 600 picture: MTCNN
    finds both (the central face's centre is about (300, 300), the large one's above y = 150)."""
    import cv2
    from skimage import data

    astronaut = data.astronaut()
    canvas = np.full((SIZE, SIZE, 3), 90, np.uint8)
    canvas[0:360, 240:600] = cv2.resize(astronaut, (360, 360), interpolation=cv2.INTER_AREA)
    canvas[261:461, 203:403] = cv2.resize(astronaut, (200, 200), interpolation=cv2.INTER_AREA)
    return canvas


def centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def is_central(box: tuple[float, float, float, float]) -> bool:
    x, y = centre(box)
    return abs(x - SIZE / 2) < 30 and abs(y - SIZE / 2) < 30
