"""The crop store's entries on disk."""

import numpy as np

from facecompare.data.crop_store import CropStore


def test_entries_get_the_permissions_of_any_new_file(tmp_path, set_umask):
    set_umask(0o022)
    store = CropStore(tmp_path / "cache")
    store.put_detection("det", "ab" * 32, {"faces": []})
    store.put_outcome("crop", "cd" * 32, {"status": "ok"}, np.zeros((4, 4, 3), np.uint8))
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(files) == 3 and {p.stat().st_mode & 0o777 for p in files} == {0o644}
    # but a cache folder it creates is the owner's alone: the crops are faces
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    opened = tmp_path / "shared"
    opened.mkdir(mode=0o755)  # one the user made (and opened up) keeps its mode
    CropStore(opened).put_detection("det", "ab" * 32, {"faces": []})
    assert opened.stat().st_mode & 0o777 == 0o755


def test_an_emptied_crop_file_is_a_miss_not_an_error(tmp_path):
    store = CropStore(tmp_path)
    digest = "ef" * 32
    store.put_outcome("crop", digest, {"status": "ok"}, np.zeros((4, 4, 3), np.uint8))
    assert store.get_outcome("crop", digest)[1].shape == (4, 4, 3)
    store.outcome_path("crop", digest).with_suffix(".npy").write_bytes(b"")  # what a power cut can leave
    assert store.get_outcome("crop", digest) is None  # recomputed
