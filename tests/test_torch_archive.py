"""Torch files whose bytes changed after they were written are refused, naming the file and the entry,
everywhere a checkpoint is read: export, evaluation, resume and Lightning's own loading."""

import zipfile

import pytest
from badfiles import flip_bytes_in_largest_entry

from facecompare.torch_archive import DamagedFileError, check_torch_archive


def test_a_bit_flipped_checkpoint_is_refused_by_every_reader(tiny_checkpoint, tmp_path, make_cfg):
    from facecompare.checkpoint import load_embedder, read_checkpoint
    from facecompare.export import export_bundle
    from facecompare.training.checkpoint_io import AtomicCheckpointIO
    from facecompare.training.train import train

    check_torch_archive(tiny_checkpoint)  # the intact file passes
    bad = tmp_path / "last.ckpt"
    entry = flip_bytes_in_largest_entry(tiny_checkpoint, bad)
    message = rf"^{bad}: damaged, the data of {entry} fails its CRC-32 check"
    readers = {
        "read": lambda: read_checkpoint(bad),
        "evaluate": lambda: load_embedder(bad),
        "export": lambda: export_bundle(bad, tmp_path / "bundle"),
        "lightning": lambda: AtomicCheckpointIO().load_checkpoint(bad, weights_only=True),
        "resume": lambda: train(make_cfg(f"ckpt_path={bad}")),  # once: "training loss is nan" after an epoch
    }
    for name, read in readers.items():
        with pytest.raises(DamagedFileError, match=message) as err:
            read()
        assert "\n" not in str(err.value), name
    assert not (tmp_path / "bundle").exists()


def test_files_that_are_not_zip_archives_are_left_to_torch(tmp_path):
    (tmp_path / "legacy.pt").write_bytes(b"\x80\x02 a legacy torch pickle")
    check_torch_archive(tmp_path / "legacy.pt")
    archive = tmp_path / "deflated.pt"  # torch stores its entries; a zip tool may have compressed them
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", bytes(range(256)) * 64)
        offset = z.getinfo("archive/data.pkl").header_offset + 30 + len("archive/data.pkl")
    data = bytearray(archive.read_bytes())
    data[offset : offset + 8] = b"\xff" * 8  # the compressed stream no longer inflates
    archive.write_bytes(bytes(data))
    with pytest.raises(DamagedFileError, match=rf"^{archive}: damaged archive \(Error -3"):
        check_torch_archive(archive)
