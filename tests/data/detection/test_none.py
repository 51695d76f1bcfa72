"""detector=none: the whole image, or fixed centre crops (center < 1) as the seed-style baseline uses."""

import numpy as np
import pytest

from facecompare.data.detection import NoDetector
from facecompare.data.preprocess import Preprocessor


def test_whole_image_and_centre_boxes():
    image = np.zeros((250, 200, 3), np.uint8)
    assert NoDetector().detect([image])[0][0].box == (0.0, 0.0, 200.0, 250.0)
    half = NoDetector(center=0.5)
    assert half.detect([image])[0][0].box == (50.0, 75.0, 150.0, 175.0)  # the middle half of the shorter side
    assert NoDetector().settings() == {"detector": "none"}  # the crop cache key of existing caches is kept
    assert half.settings() == {"detector": "none", "center": 0.5}
    with pytest.raises(ValueError, match="center must be in"):
        NoDetector(center=0)


def test_centre_crop_through_the_preprocessor(tmp_path):
    from PIL import Image

    image = np.zeros((200, 200, 3), np.uint8)
    image[50:150, 50:150] = 255  # a white middle half on black
    path = tmp_path / "face.png"
    Image.fromarray(image).save(path)
    (whole,) = Preprocessor(NoDetector(), progress=False).run([(path, "p")], 32)
    (middle,) = Preprocessor(NoDetector(center=0.5), progress=False).run([(path, "p")], 32)
    assert whole.crop[0, 0].max() == 0 and whole.crop[16, 16].min() == 255  # the whole frame, shrunk
    assert middle.crop[2:-2, 2:-2].min() == 255  # only the white middle, enlarged
