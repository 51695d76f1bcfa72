import numpy as np
from skimage import data

from facecompare.data.detection import HaarDetector, NoDetector


def test_haar_finds_the_astronaut():
    (faces,) = HaarDetector().detect([data.astronaut()])
    assert len(faces) == 1 and faces[0].landmarks is None and 0 < faces[0].prob < 1
    x0, y0, x1, y1 = faces[0].box
    assert 160 < x0 < x1 < 290 and 50 < y0 < y1 < 185


def test_haar_blank_image():
    assert HaarDetector().detect([np.full((100, 100, 3), 90, np.uint8)]) == [[]]


def test_no_detector_takes_the_whole_image():
    (faces,) = NoDetector().detect([np.zeros((30, 50, 3), np.uint8)])
    assert [f.box for f in faces] == [(0.0, 0.0, 50.0, 30.0)]
