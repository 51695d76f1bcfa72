import numpy as np
import pytest
from skimage import data

from facecompare.data.alignment import template
from facecompare.data.detection import MTCNNDetector


@pytest.fixture(scope="module")
def mtcnn():
    return MTCNNDetector(device="cpu")


def test_finds_the_astronaut(mtcnn):
    image = data.astronaut()
    (faces,) = mtcnn.detect([image])
    assert len(faces) == 1
    face = faces[0]
    x0, y0, x1, y1 = face.box
    assert face.prob > 0.99 and 170 < x0 < x1 < 280 and 50 < y0 < y1 < 185
    (lx, ly), (rx, ry) = face.landmarks[:2]
    assert lx < rx and abs(ly - ry) < 10  # upright face, left eye on the left


@pytest.mark.slow
def test_batch_of_mixed_sizes_matches_single_calls(mtcnn):
    big = data.astronaut()
    small = np.ascontiguousarray(big[::2, ::2])
    wide = np.zeros((400, 700, 3), np.uint8)
    wide[50:306, 100:356] = small
    batch = mtcnn.detect([big, small, wide])
    single = [mtcnn.detect([im])[0] for im in (big, small, wide)]
    for got, want in zip(batch, single, strict=True):
        assert len(got) == len(want) == 1
        np.testing.assert_allclose(got[0].box, want[0].box, atol=3.0)  # pyramid over the padded size
    np.testing.assert_allclose(np.array(batch[2][0].box) - [100, 50, 100, 50], batch[1][0].box, atol=4.0)


def test_large_photos_are_detected_in_full_image_coordinates(mtcnn):
    image = data.astronaut()
    big = np.ascontiguousarray(np.repeat(np.repeat(image, 3, 0), 3, 1))  # 1536 px, shrunk to 640 for detection
    (faces,) = mtcnn.detect([big])
    (ref,) = mtcnn.detect([image])
    np.testing.assert_allclose(np.array(faces[0].box) / 3, ref[0].box, atol=4.0)


def test_blank_image_has_no_face(mtcnn):
    assert mtcnn.detect([np.zeros((120, 120, 3), np.uint8)]) == [[]]


def test_aligned_crop_puts_the_eyes_on_the_template(mtcnn):
    """Align the astronaut to 112 px, detect again on the crop: the eyes are within 4 px of the template."""
    from facecompare.data.alignment import align_face

    (faces,) = mtcnn.detect([data.astronaut()])
    crop = align_face(data.astronaut(), np.array(faces[0].landmarks), 112)
    (again,) = MTCNNDetector(device="cpu", min_face_size=40).detect([crop])
    eyes = np.array(again[0].landmarks[:2])
    assert np.abs(eyes - template(112)[:2]).max() < 4.0


@pytest.mark.slow
def test_concurrent_calls_match_serial_ones(mtcnn):
    # the Preprocessor's workers call one detector from several threads at once, each single-threaded
    from concurrent.futures import ThreadPoolExecutor

    import torch

    faces = data.lfw_subset()[:6]  # 25 x 25 grey crops; upscaled so MTCNN has a face to find
    images = [np.repeat(np.kron(f, np.ones((6, 6)))[..., None], 3, 2).__mul__(255).astype(np.uint8) for f in faces]
    images.append(data.astronaut())
    serial = [mtcnn.detect([im])[0] for im in images]
    threads = torch.get_num_threads()

    def single_threaded(im):
        torch.set_num_threads(1)
        return mtcnn.detect([im])[0]

    try:
        with ThreadPoolExecutor(3) as pool:
            concurrent = list(pool.map(single_threaded, images))
    finally:
        torch.set_num_threads(threads)
    for got, want in zip(concurrent, serial, strict=True):
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a.box, b.box, atol=0.5)
            np.testing.assert_allclose(a.landmarks, b.landmarks, atol=0.5)
    assert len(concurrent[-1]) == 1 and sum(map(len, concurrent)) > 3


def test_default_workers_on_cpu_is_one_per_torch_thread(mtcnn):
    import torch

    assert mtcnn.default_workers() == max(1, torch.get_num_threads())


def _astronaut_on_canvas(face_side: int) -> np.ndarray:
    """The astronaut photo shrunk to ``face_side`` px on a grey canvas (her face is ~1/5 of the photo's width)."""
    import cv2

    small = cv2.resize(data.astronaut(), (face_side, face_side), interpolation=cv2.INTER_AREA)
    canvas = np.full((560, 560, 3), 90, np.uint8)
    canvas[20 : 20 + face_side, 30 : 30 + face_side] = small
    return canvas


@pytest.mark.slow
def test_large_faces_only_finds_large_faces_exactly_as_the_full_search(mtcnn):
    coarse = mtcnn.large_faces_only()
    assert coarse.model is mtcnn.model and coarse.skip_levels == 2 and mtcnn.skip_levels == 0
    assert coarse.smallest_face == pytest.approx(1.5 * 20 / 0.709**2) and mtcnn.smallest_face == 0.0
    # the crop store's cache key of the full search is what it always was
    assert "skip_levels" not in mtcnn.settings() and coarse.settings()["skip_levels"] == 2
    for image in (data.astronaut(), _astronaut_on_canvas(480), _astronaut_on_canvas(400)):
        (full,), (fast,) = mtcnn.detect([image]), coarse.detect([image])
        assert len(full) == len(fast) == 1
        assert full[0].box == fast[0].box and full[0].landmarks == fast[0].landmarks


def test_large_faces_only_leaves_out_small_faces(mtcnn):
    image = _astronaut_on_canvas(150)  # a face ~25 px wide: found by the full search only
    (full,), (fast,) = mtcnn.detect([image]), mtcnn.large_faces_only().detect([image])
    assert len(full) == 1 and fast == []


@pytest.mark.parametrize("side", [20, 24, 30, 39])
def test_an_image_too_small_for_the_levels_searched_has_no_face(mtcnn, side):
    # the large-faces-first search skips the finest levels; a 20-39 px photo has no level left, which once
    # ended in torch.cat of an empty list instead of "no face"
    image = np.full((side, side, 3), 128, np.uint8)
    assert mtcnn.large_faces_only().detect([image]) == [[]]
    assert mtcnn.detect([image]) == [[]]
