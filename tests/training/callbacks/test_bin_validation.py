import pytest

from facecompare.data.sources.insightface_bin import encode_jpeg, write_bin
from facecompare.data.synthetic import render_dataset
from facecompare.training.train import train


def synthetic_bin(path, pairs: int = 20):
    """Alternately two photos of one synthetic person and photos of two, 32 px."""
    images, _ = render_dataset(pairs, 2, size=32, seed=11, first_identity=900)  # person i: images 2i, 2i + 1
    encoded, same = [], []
    for k in range(pairs):
        b = 2 * k + 1 if k % 2 == 0 else (2 * k + 3) % (2 * pairs)
        encoded += [encode_jpeg(images[2 * k]), encode_jpeg(images[b])]
        same.append(k % 2 == 0)
    return write_bin(path, encoded, same)


@pytest.mark.slow
def test_bin_sets_are_logged_every_epoch_and_can_pick_the_checkpoint(make_cfg, tmp_path):
    sets = [synthetic_bin(tmp_path / "faces.bin"), synthetic_bin(tmp_path / "more.bin", 10)]
    cfg = make_cfg(f"callbacks.val_sets.sets=[{sets[0]},{sets[1]}]", "callbacks.model_checkpoint.monitor=val/faces/acc",
                   "callbacks.early_stopping.monitor=val/faces/acc", "trainer.max_epochs=2", "test=false")  # fmt: skip
    logged = train(cfg)
    for name in ("faces", "more"):
        assert {f"val/{name}/{m}" for m in ("acc", "auc", "eer")} <= set(logged)
        assert 0.0 <= logged[f"val/{name}/acc"] <= 1.0 and 0.0 <= logged[f"val/{name}/auc"] <= 1.0
    # the monitor found its metric every epoch: the best checkpoint was written by it
    assert list((tmp_path / "run" / "checkpoints").glob("epoch_*.ckpt"))


@pytest.mark.slow
def test_sets_scored_every_n_epochs_and_the_last_with_their_cost_logged(make_cfg, tmp_path, caplog):
    caplog.set_level("INFO", logger="facecompare.training.callbacks.bin_validation")
    path = synthetic_bin(tmp_path / "faces.bin")
    cfg = make_cfg(f"callbacks.val_sets.sets=[{path}]", "callbacks.val_sets.every_n_epochs=2", "trainer.max_epochs=3",
                   "test=false", "logger=csv")  # fmt: skip
    train(cfg)
    import csv

    rows = list(csv.DictReader(next((tmp_path / "run").rglob("metrics.csv")).open()))
    scored = sorted({int(r["epoch"]) for r in rows if r.get("val/faces/acc")})
    assert scored == [1, 2]  # the second epoch (every 2) and the last of 3, not the first
    assert all(float(r["time/val_sets_s"]) > 0 < float(r["time/epoch_s"]) for r in rows if r.get("val/faces/acc"))
    (told,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("validation sets: ")]
    assert " % on top of this epoch's " in told


def test_a_bad_set_stops_the_run_before_training(make_cfg, tmp_path):
    (tmp_path / "bad.bin").write_bytes(b"not a pickle at all")
    with pytest.raises(Exception, match=r"bad\.bin: not a readable \.bin file"):
        train(make_cfg(f"callbacks.val_sets.sets=[{tmp_path / 'bad.bin'}]", "test=false"))
    assert not (tmp_path / "run" / "checkpoints" / "last.ckpt").exists()
