import numpy as np
import pytest

from facecompare.data.alignment import TEMPLATE_112, align_face, crop_box, crop_face, similarity_transform, template
from facecompare.data.detection.base import Face


def apply(matrix, points):
    return points @ matrix[:, :2].T + matrix[:, 2]


def test_similarity_recovers_a_known_transform():
    angle, scale, shift = 0.3, 1.7, np.array([5.0, -3.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = np.random.default_rng(0).normal(size=(5, 2)) * 20
    dst = scale * src @ rot.T + shift
    matrix = similarity_transform(src, dst)
    np.testing.assert_allclose(matrix[:, :2], scale * rot, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-9)


def test_mirrored_points_give_no_reflection():
    src = TEMPLATE_112
    dst = src * np.array([-1.0, 1.0])
    matrix = similarity_transform(src, dst)
    assert np.linalg.det(matrix[:, :2]) > 0


def test_template_scales_and_margin_shrinks_towards_centre():
    np.testing.assert_allclose(template(224), TEMPLATE_112 * 2)
    wide = template(112, margin=0.25)
    centre = np.array([56.0, 56.0])
    np.testing.assert_allclose(
        np.linalg.norm(wide - centre, axis=1), np.linalg.norm(TEMPLATE_112 - centre, axis=1) / 1.25
    )
    with pytest.raises(ValueError):
        template(112, margin=-0.1)


def test_align_puts_marked_points_on_the_template():
    """Paint the 5 landmarks as bright dots in a rotated, scaled layout; after alignment the dots sit on the
    template within a pixel."""
    image = np.zeros((300, 260, 3), np.uint8)
    angle, scale = -0.4, 1.6
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    marks = (TEMPLATE_112 - 56) @ rot.T * scale + np.array([130, 150])
    for x, y in np.round(marks).astype(int):
        image[y - 1 : y + 2, x - 1 : x + 2] = 255
    out = align_face(image, marks, 112)
    for tx, ty in template(112):
        patch = out[int(ty) - 3 : int(ty) + 4, int(tx) - 3 : int(tx) + 4, 0]
        assert patch.max() > 100


def test_crop_box_is_square_around_the_box():
    image = np.zeros((100, 100, 3), np.uint8)
    image[20:60, 30:70] = 200
    out = crop_box(image, np.array([30, 20, 70, 60]), 40)
    assert out.shape == (40, 40, 3) and out[2:-2, 2:-2].min() == 200


def test_dlib_layout_puts_the_points_where_dlibs_chips_have_them():
    # where MTCNN's left eye and right mouth corner lie on dlib's 150 px chips (padding 0.25) of LFW training
    # photos, on average (benchmarks/dlib_template.py): eyes under a third of the way down
    points = template(150, 0.0, "dlib")
    assert points[0] == pytest.approx((48.036, 46.088), abs=1e-2)
    assert points[4] == pytest.approx((98.951, 105.472), abs=1e-2)
    assert not np.allclose(points, template(150))  # not the ArcFace layout scaled
    image = np.zeros((200, 200, 3), np.uint8)
    marks = template(200, 0.0, "dlib") * 0.9 + 10  # a face of that shape somewhere in a photo
    x, y = np.round(marks[2]).astype(int)
    image[y - 1 : y + 2, x - 1 : x + 2] = 255  # the nose
    crop = crop_face(image, Face((0, 0, 200, 200), 0.99, tuple(map(tuple, marks))), 150, 0.0, "dlib")
    weight = crop.sum(axis=2).astype(float)
    rows, cols = np.indices(weight.shape)
    centre = ((cols * weight).sum() / weight.sum(), (rows * weight).sum() / weight.sum())
    assert centre == pytest.approx(tuple(points[2]), abs=0.5)
    with pytest.raises(ValueError, match="alignment must be one of"):
        template(150, 0.0, "mtcnn")
