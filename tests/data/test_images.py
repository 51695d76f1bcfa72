from pathlib import Path

import numpy as np
import pytest
from badfiles import exif_rotated_jpeg, jpeg_bytes, photo, write_bad_files
from PIL import Image

from facecompare.data.images import ImageError, center_square, decode_rgb, is_ignored, read_rgb


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("bad")
    return folder, write_bad_files(folder)


def test_every_case_gets_its_outcome(bad):
    folder, expected = bad
    for name, status in expected.items():
        if status == "ok":
            image = read_rgb(folder / name)
            assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3, name
        else:
            with pytest.raises(ImageError) as err:
                read_rgb(folder / name)
            assert err.value.status == status, (name, err.value.detail)


def test_messages_say_what_is_wrong(bad):
    folder, _ = bad
    messages = {}
    for name in ("zero.jpg", "truncated.jpg", "text.jpg", "bomb.png", "tiny.png"):
        with pytest.raises(ImageError) as err:
            read_rgb(folder / name)
        messages[name] = err.value.detail
    assert messages["zero.jpg"] == "empty file (0 bytes)"
    assert "truncated" in messages["truncated.jpg"].lower()
    assert "not an image" in messages["text.jpg"]
    assert "decompression bomb" in messages["bomb.png"] and "144000000 pixels" in messages["bomb.png"]
    assert messages["tiny.png"] == "8x8 is smaller than 20 px on a side"


def test_exif_orientation_is_honoured(tmp_path):
    exif_rotated_jpeg(tmp_path / "r.jpg")
    image = read_rgb(tmp_path / "r.jpg")
    assert image.shape == (40, 24, 3)
    top, bottom = image[:10].reshape(-1, 3).mean(0), image[-10:].reshape(-1, 3).mean(0)
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]


def test_sixteen_bit_keeps_its_tones(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 40).astype(np.uint16), (30, 1))
    Image.fromarray(ramp).save(tmp_path / "s.png")
    image = read_rgb(tmp_path / "s.png")
    assert image[0, 0, 0] == 0 and image[0, -1, 0] == 255 and 120 <= image[0, 20, 0] <= 135


def test_transparency_goes_on_white_and_cmyk_keeps_colour(tmp_path):
    rgba = np.zeros((30, 30, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent on the left half
    rgba[:, 15:, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    image = read_rgb(tmp_path / "t.png")
    assert image[0, 0].tolist() == [255, 255, 255] and image[0, -1].tolist() == [255, 0, 0]
    red = np.zeros((30, 30, 3), np.uint8)
    red[..., 0] = 220
    Image.fromarray(red).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    r, g, b = read_rgb(tmp_path / "c.jpg").reshape(-1, 3).mean(0)
    assert r > 180 and g < 60 and b < 60


def test_decode_limits_are_configurable():
    data = jpeg_bytes(photo(64, 64))
    with pytest.raises(ImageError, match="over the limit of 1000"):
        decode_rgb(data, max_pixels=1000)
    with pytest.raises(ImageError) as err:
        decode_rgb(data, min_side=100)
    assert err.value.status == "too_small"


def test_a_large_non_image_is_refused_from_its_header(tmp_path, monkeypatch):
    import facecompare.data.images as images_module

    monkeypatch.setattr(images_module, "SNIFF_ABOVE_BYTES", 1000)
    (tmp_path / "clip.mov").write_bytes(b"\x00\x00\x00\x18ftypqt  " + bytes(5000))  # a QuickTime header
    Image.fromarray(photo(64, 64)).save(tmp_path / "big.png")  # > 1000 bytes, a real image
    read_whole = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read_whole.append(self.name) or original(self))
    with pytest.raises(ImageError, match=r"not an image PIL can read \(0 MB; a video\?\)"):
        read_rgb(tmp_path / "clip.mov")
    assert read_rgb(tmp_path / "big.png").shape == (64, 64, 3)
    assert read_whole == ["big.png"]


def test_only_clear_non_images_are_ignored():
    assert is_ignored(Path("a/.DS_Store")) and is_ignored(Path("notes.TXT")) and is_ignored(Path("._IMG_1.jpg"))
    assert not is_ignored(Path("IMG_1.HEIC")) and not is_ignored(Path("scan")) and not is_ignored(Path("x.jpg"))


def test_center_square():
    image = np.zeros((40, 80, 3), np.uint8)
    image[:, 20:60] = 255
    out = center_square(image, 16)
    assert out.shape == (16, 16, 3) and out.min() > 200
