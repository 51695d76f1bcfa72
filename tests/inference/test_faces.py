"""FaceFinder: several images are detected one per worker thread, with the same faces as one batch."""

import numpy as np
import pytest
import torch

from facecompare.data.detection.base import Detector, Face
from facecompare.errors import FacecompareError
from facecompare.inference import load_bundle
from facecompare.inference.faces import FaceFinder, NoFaceError, make_detector


@pytest.mark.slow
def test_workers_find_the_same_faces_in_the_same_order_and_give_torch_its_threads_back(tiny_bundle, photos):
    bundle = load_bundle(tiny_bundle)
    detector = make_detector("mtcnn", bundle.meta)
    paths = [photos / n for n in ("astronaut.jpg", "mirrored.jpg", "astronaut.jpg", "mirrored.jpg", "astronaut.jpg")]
    serial = FaceFinder(detector, bundle.size, workers=1).find(paths)
    threads = torch.get_num_threads()
    parallel = FaceFinder(detector, bundle.size, workers=2).find(paths)
    assert torch.get_num_threads() == threads
    assert [f.path for f in parallel] == paths
    for a, b in zip(serial, parallel, strict=True):
        assert a.box == pytest.approx(b.box, abs=1e-3) and np.abs(a.crop.astype(int) - b.crop).max() <= 1
    assert parallel[0].box != pytest.approx(parallel[1].box, abs=1.0)  # the mirror's face is elsewhere


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_photo_gets_the_same_face_whatever_it_is_found_with(tiny_bundle, photos, workers):
    # cropped.png is smaller than the astronaut: batched together it would be padded to 512 px and detected
    # a little differently (a score moved by 0.008 in a test before each image got its own detector call)
    bundle = load_bundle(tiny_bundle)
    finder = FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size, workers=workers)
    (alone,) = finder.find([photos / "cropped.png"])
    for company in (["astronaut.jpg"], ["mirrored.jpg", "astronaut.jpg", "astronaut.jpg"]):
        found = finder.find([photos / "cropped.png", *(photos / n for n in company)])
        assert found[0].box == alone.box and np.array_equal(found[0].crop, alone.crop)


class OneThreadOnly(Detector):
    def settings(self):
        return {"detector": "test"}

    def detect(self, images):
        return [[Face((0.0, 0.0, 10.0, 10.0), 1.0)] for _ in images]


def test_a_detector_that_is_not_thread_safe_runs_in_one_thread():
    assert FaceFinder(OneThreadOnly(), 32).workers == 1
    with pytest.raises(FacecompareError, match="workers must be 1 for OneThreadOnly"):
        FaceFinder(OneThreadOnly(), 32, workers=2)
    with pytest.raises(FacecompareError, match="got 0"):
        FaceFinder(OneThreadOnly(), 32, workers=0)


def test_auto_detector_is_what_the_model_was_trained_with():
    from facecompare.data.detection.base import NoDetector

    centre = {"alignment": {"detector": {"_target_": "facecompare.data.detection.NoDetector", "center": 0.5}}}
    built = make_detector("auto", centre)
    assert isinstance(built, NoDetector) and built.center == 0.5
    assert make_detector("none", {}).whole_image  # asked for explicitly, on a model that recorded nothing
    mtcnn = {"alignment": {"detector": {"_target_": "facecompare.data.detection.MTCNNDetector", "min_face_size": 30}}}
    assert make_detector("auto", mtcnn).min_face_size == 30


@pytest.mark.slow
def test_the_finder_crops_in_the_layout_the_bundle_trained_on(photos):
    from skimage import data

    from facecompare.data.alignment import template

    mtcnn = {"_target_": "facecompare.data.detection.MTCNNDetector"}
    dlib = {"alignment": {"detector": mtcnn, "name": "dlib", "margin": 0.0}}
    finder = FaceFinder(make_detector("mtcnn", dlib), 150)
    assert finder.alignment == "dlib"
    assert FaceFinder(make_detector("mtcnn", {"alignment": {"detector": mtcnn}}), 150).alignment == "arcface"
    image = data.astronaut()
    (face,) = [f for f in finder.detector.detect([image])[0] if f.prob > 0.9]
    crop = finder.find_in([image], [photos / "astronaut.jpg"])[0].crop
    want = finder.detector.crop(image, face, 150, 0.0, "dlib")
    assert np.array_equal(crop, want) and not np.array_equal(crop, finder.detector.crop(image, face, 150))
    assert template(150, 0.0, "dlib")[0, 1] < template(150)[0, 1]  # dlib's chips hold the eyes higher


@pytest.mark.slow
def test_large_faces_first_uses_the_face_the_full_search_uses(tiny_bundle, photos, tmp_path):
    import cv2
    from PIL import Image
    from skimage import data

    # a second photo whose only face is too small for the large-face search: the full search runs after it
    small = cv2.resize(data.astronaut(), (150, 150), interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 480, 3), 90, np.uint8)
    canvas[100:250, 150:300] = small
    Image.fromarray(canvas).save(tmp_path / "far.png")
    bundle = load_bundle(tiny_bundle)
    detector = make_detector("mtcnn", bundle.meta)
    assert not detector.large_faces_only().detect([canvas])[0]
    paths = [photos / "astronaut.jpg", photos / "mirrored.jpg", photos / "cropped.png", tmp_path / "far.png"]
    full = FaceFinder(detector, bundle.size, large_first=False).find(paths)
    fast = FaceFinder(detector, bundle.size).find(paths)
    for a, b in zip(full, fast, strict=True):
        assert a.box == b.box and np.array_equal(a.crop, b.crop)
    with pytest.raises(NoFaceError, match=r"blank\.png"):
        FaceFinder(detector, bundle.size).find([photos / "blank.png"])


def test_the_face_training_would_have_taken_is_the_one_used(tiny_bundle, tmp_path):
    import cv2
    from skimage import data

    # a large face near the top edge and a smaller one in the middle of the picture (LFW's layout: the
    # labelled person in the middle, a bystander cut off at the border)
    astronaut = data.astronaut()
    canvas = np.full((600, 600, 3), 90, np.uint8)
    canvas[0:360, 240:600] = cv2.resize(astronaut, (360, 360), interpolation=cv2.INTER_AREA)
    canvas[261:461, 203:403] = cv2.resize(astronaut, (200, 200), interpolation=cv2.INTER_AREA)
    bundle = load_bundle(tiny_bundle)
    detector = make_detector("mtcnn", bundle.meta)

    def centre(found):
        return (found.box[0] + found.box[2]) / 2, (found.box[1] + found.box[3]) / 2

    (largest,) = FaceFinder(detector, bundle.size).find_in([canvas], ["two.png"])
    (central,) = FaceFinder(detector, bundle.size, several_faces="central").find_in([canvas], ["two.png"])
    assert central.faces_found == 2  # the whole search: a large-faces-first one would miss the central face
    assert abs(centre(central)[0] - 300) < 30 and abs(centre(central)[1] - 300) < 30
    assert centre(largest)[1] < 150  # the one at the top
    assert (largest.took, central.took) == ("largest", "central")  # the tools' output says which
    assert central.to_json()["took"] == "central"
    from facecompare.app.web import _face_line

    assert _face_line("first", central).endswith("2 faces in the photo, used the central one")
    with pytest.raises(FacecompareError, match="several_faces must be"):
        FaceFinder(detector, bundle.size, several_faces="skip")


def test_a_bundle_says_which_face_its_training_took(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    assert bundle.face_policy == {"several_faces": "largest", "min_prob": 0.9}  # synthetic: no detection
    del bundle.meta["alignment"]["faces"]  # a bundle exported before it was recorded
    assert bundle.face_policy == {"several_faces": "largest", "min_prob": 0.9}
    bundle.meta["alignment"]["faces"] = {"several_faces": "central", "min_prob": 0.95}
    assert bundle.face_policy == {"several_faces": "central", "min_prob": 0.95}


def test_a_finder_from_make_detector_takes_the_face_and_margin_the_bundle_trained_with(tiny_bundle):
    from two_faces import is_central, two_faces

    meta = load_bundle(tiny_bundle).meta
    meta["alignment"] |= {"faces": {"several_faces": "central", "min_prob": 0.95}, "margin": 0.2}
    finder = FaceFinder(make_detector("mtcnn", meta), 32)  # the plain call: nothing but the bundle says central
    (found,) = finder.find_in([two_faces()], ["two.png"])
    assert found.took == "central" and is_central(found.box)
    assert (finder.min_prob, finder.margin) == (0.95, 0.2)
    assert FaceFinder(make_detector("none", meta), 32).margin == 0.2
    # an explicit choice wins; a bundle trained with skip took no face of such photos: a tool takes the largest
    (largest,) = FaceFinder(make_detector("mtcnn", meta), 32, several_faces="largest").find_in([two_faces()], ["t"])
    assert largest.took == "largest" and not is_central(largest.box)
    meta["alignment"]["faces"]["several_faces"] = "skip"
    assert FaceFinder(make_detector("mtcnn", meta), 32).policy.several_faces == "largest"
