"""data=rec: insightface's packed sets as a source, with the pixels and labels mxnet's reader gives."""

import logging

import cv2
import numpy as np
import pytest
from recordio_writer import write_rec

from facecompare.data.sources.rec import RecordIOSource
from facecompare.errors import ConfigError


def _people(n: int = 8, photos: int = 3, size: int = 16) -> tuple[list, list]:
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n * photos)]
    return images, [10 + i // photos for i in range(n * photos)]  # identities 10..17


def test_pixels_and_labels_are_the_records(tmp_path):
    images, labels = _people()
    write_rec(tmp_path, images, labels)  # PNG: lossless, so the decoded pixels are the written ones
    faces = RecordIOSource(str(tmp_path), split={"train": 0.5, "val": 0.25, "test": 0.25}).build(16, 3)
    seen = {}
    for part in (faces.train, faces.val, faces.test):
        for image, label in zip(part.images, part.labels, strict=True):
            seen[image.permute(1, 2, 0).numpy().tobytes()] = part.names[label]
    assert len(seen) == len(images)
    assert all(seen[img.tobytes()] == str(lab) for img, lab in zip(images, labels, strict=True))
    groups = [set(np.unique(p.labels)) for p in (faces.train, faces.val, faces.test)]
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2])  # identity-disjoint


def test_jpeg_records_decode_as_opencv_decodes_them_and_resize_to_the_image_size(tmp_path):
    images, labels = _people(size=24)
    write_rec(tmp_path, images, labels, fmt=".jpg")
    faces = RecordIOSource(str(tmp_path), split={"train": 0.5, "val": 0.5}).build(24, 3)
    encoded = cv2.imencode(".jpg", cv2.cvtColor(images[0], cv2.COLOR_RGB2BGR))[1]
    expected = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    every = np.concatenate([faces.train.images.numpy(), faces.val.images.numpy()])
    assert any(np.array_equal(x.transpose(1, 2, 0), expected) for x in every)
    small = RecordIOSource(str(tmp_path), split={"train": 0.5, "val": 0.5}).build(12, 1)
    assert tuple(small.train.images.shape[1:]) == (1, 12, 12)


def test_undecodable_records_are_counted_and_reported(tmp_path, caplog):
    images, labels = _people()
    write_rec(tmp_path, images, labels)
    blob = bytearray((tmp_path / "train.rec").read_bytes())
    start = blob.index(b"\x89PNG")  # the first image's payload: spoil its signature
    blob[start : start + 4] = b"junk"
    (tmp_path / "train.rec").write_bytes(bytes(blob))
    with caplog.at_level(logging.WARNING):
        faces = RecordIOSource(str(tmp_path), split={"train": 0.5, "val": 0.5}).build(16, 3)
    assert len(faces.train) + len(faces.val) == len(images) - 1
    assert "1 of 24 records left out: {'undecodable image': 1}" in caplog.text


def test_max_images_and_bad_settings(tmp_path):
    images, labels = _people()
    write_rec(tmp_path, images, labels)
    faces = RecordIOSource(str(tmp_path), split={"train": 0.5, "val": 0.5}, max_images=12).build(16, 3)
    assert len(faces.train) + len(faces.val) == 12
    with pytest.raises(ConfigError, match=r"nowhere has no train\.rec"):
        RecordIOSource(str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="max_images must be >= 1"):
        RecordIOSource(str(tmp_path), max_images=0)
    with pytest.raises(ConfigError, match="split needs train and val above 0"):
        RecordIOSource(str(tmp_path), split={"train": 1.0})


@pytest.mark.slow
def test_training_runs_on_a_rec_folder(make_cfg, tmp_path):
    from facecompare.training.train import train

    images, labels = _people(n=12, photos=4, size=32)
    write_rec(tmp_path / "faces", images, labels)
    cfg = make_cfg("data=rec", f"data.root={tmp_path / 'faces'}", "data.image_size=32",
                   "data.source.split={train: 0.5, val: 0.25, test: 0.25}")  # fmt: skip
    metrics = train(cfg)
    assert np.isfinite(metrics["train/loss"])
    # the crops were made by a detector and arcface's template: the bundle sends photos the same way
    from facecompare.export import export_bundle

    meta = export_bundle(tmp_path / "run" / "checkpoints" / "last.ckpt", tmp_path / "bundle")
    assert (
        meta["alignment"]["detector"]["_target_"].endswith("MTCNNDetector") and meta["alignment"]["name"] == "arcface"
    )
