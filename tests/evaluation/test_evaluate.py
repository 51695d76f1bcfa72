"""scripts/evaluate.py's work end to end on tiny generated LFW and folder data."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from badfiles import photo
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from lfw_fakes import write_view1
from omegaconf import open_dict
from PIL import Image

from facecompare.errors import ConfigError, FacecompareError
from facecompare.evaluation.evaluate import evaluate
from facecompare.training.train import train

CONF = Path(__file__).resolve().parents[2] / "conf"


def pictures(root: Path) -> None:
    for i, f in enumerate(sorted(root.rglob("*.jpg"))):
        Image.fromarray(photo(48, 48, seed=i)).save(f, "JPEG")


def people_folder(root: Path, people: list[str], photos: int) -> Path:
    """A folder of people: photo k of the p-th person is ``<person>/<k>.png``, a 48 px picture seeded 10 p + k."""
    for p, person in enumerate(people):
        (root / person).mkdir(parents=True)
        for k in range(photos):
            Image.fromarray(photo(48, 48, seed=10 * p + k)).save(root / person / f"{k}.png")
    return root


def eval_cfg(tmp_path: Path, *overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        # dlib off unless a test asks: the suite must not depend on what else is installed
        cfg = compose("evaluate", overrides=["detector=none", "bootstrap=50", "baselines.dlib=false", *overrides])
    with open_dict(cfg):
        cfg.paths.output_dir = str(tmp_path / "eval")
        cfg.paths.cache_dir = str(tmp_path / "cache")
    return cfg


@pytest.fixture(scope="module")
def lfw_model(tmp_path_factory):
    """A tiny model trained on a fake LFW View 1 copy (detector=none)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import compose_train

    root = tmp_path_factory.mktemp("lfw")
    pictures(write_view1(root).images)
    run = tmp_path_factory.mktemp("run")
    cfg = compose_train(
        ["data=lfw", f"data.root={root}", "data.source.val_pairs=2", "data.image_size=32",
         "detector=none", "test=false"],
        run,
    )  # fmt: skip
    train(cfg)
    return root, run / "checkpoints" / "last.ckpt"


@pytest.mark.slow
def test_lfw_view1_report_metrics_and_calibration(lfw_model, tmp_path, monkeypatch):
    monkeypatch.setattr("facecompare.evaluation.far_curve.HIGHEST_FAR", 0.5)  # the fake calibration set is tiny
    root, ckpt = lfw_model
    result = evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", f"data.root={root}"))
    assert result.protocol == "lfw-view1" and result.pairs == 4
    assert result.embeddings == result.unique_images
    assert set(result.test) >= {"auc", "eer", "acc_at_best", "acc_at_threshold", "tar@far1e-3", "acc_ci95"}
    # pairsDevTrain (the protocol's calibration pairs) are between training people: flagged, not hidden
    leak = result.leakage["pairs_with_training_identities"]
    assert leak[str(root.resolve() / "pairsDevTest.txt")] == 0 and leak[str(root.resolve() / "pairsDevTrain.txt")] > 0
    calibration = json.loads(ckpt.with_suffix(".threshold.json").read_text())
    assert calibration["threshold"] == result.calibration["threshold"] and calibration["method"] == "accuracy"
    # the open-set curve: every pair of different people among the calibration images of the people the
    # model did not train on (its validation people Amy 1, Cy 1 and 2, Fay 1): C(4, 2) = 6 less Cy's own pair;
    # the six training people among the calibration images are left out
    curve = json.loads(ckpt.with_suffix(".far_curve.json").read_text())
    assert curve == {**result.open_set, "checkpoint": ckpt.name, "flip": None} and "far_curve" not in calibration
    counts = ("impostor_pairs", "images", "people", "training_people_left_out")
    assert [curve[k] for k in counts] == [5, 4, 3, 6]
    assert curve["far"] == [pytest.approx(1 / 5)] and len(curve["threshold"]) == 1
    report = (tmp_path / "eval" / "report.md").read_text()
    assert "identity leakage" in report and "| pairs evaluated | 4 (2 genuine, 2 impostor) |" in report
    assert "FAR from 2.0e-01 to 2.0e-01, on 5 impostor pairs among 4 images of 3 people of `" in report
    assert report.count("no false accept among 2 impostor pairs: too few to measure this FAR") == 3  # 1e-1..1e-3
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["pairs"] == 4
    assert set(result.baselines) == {"raw pixels", "eigenfaces (PCA 100)"} and "| raw pixels |" in report
    assert "| method | ROC AUC | EER | accuracy at the calibrated threshold |" in report  # each at its own
    # every figure is a real picture, linked from the report, and in TensorBoard with the projector
    assert set(result.figures) == {"roc_det", "scores", "mistakes", "training"}
    for png in result.figures.values():
        pixels = np.asarray(Image.open(tmp_path / "eval" / png).convert("L"), dtype=float)
        assert pixels.shape[0] > 200 and pixels.std() > 5 and f"]({png})" in report
    assert list((tmp_path / "eval" / "tensorboard").glob("events.out.tfevents.*"))
    assert (tmp_path / "eval" / "tensorboard" / "projector_config.pbtxt").is_file()


@pytest.mark.slow
def test_dlib_baseline_wiring(lfw_model, tmp_path, monkeypatch):
    """With a stand-in face_recognition module (the real one is an optional 100 MB install; its LFW numbers are
    in benchmarks/RESULTS.md): 150 px RGB crops go in with the whole crop as the face box, a row comes out."""
    import sys
    import types

    root, ckpt = lfw_model
    seen = []

    def face_encodings(image, locations, num_jitters, model):
        seen.append((image.shape, image.dtype, locations, model))
        small = image[::15, ::15].astype(float).ravel()[:128]
        return [small - small.mean()]

    monkeypatch.setitem(sys.modules, "face_recognition", types.SimpleNamespace(face_encodings=face_encodings))
    result = evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", f"data.root={root}", "baselines.dlib=true", "projector=0"))
    row = result.baselines["dlib face_recognition (pretrained)"]
    assert row["pairs"] == 4 and 0 <= row["auc"] <= 1 and "acc_at_threshold" in row
    assert seen[0] == ((150, 150, 3), np.uint8, [(0, 150, 150, 0)], "small")
    assert "| dlib face_recognition (pretrained) |" in (tmp_path / "eval" / "report.md").read_text()
    monkeypatch.setitem(sys.modules, "face_recognition", None)  # not installed
    with pytest.raises(ConfigError, match="pip install dlib-bin"):
        evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", f"data.root={root}", "baselines.dlib=true"))
    without = evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", f"data.root={root}", "baselines.dlib=auto"))
    assert "dlib face_recognition (pretrained)" not in without.baselines


@pytest.mark.slow
def test_far_calibration(lfw_model, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("facecompare.evaluation.evaluate.retain_freed_memory", lambda: calls.append(1))
    root, ckpt = lfw_model
    result = evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", f"data.root={root}", "calibration.method=far",
                               "calibration.far=0.0", "calibration.write=false"))  # fmt: skip
    assert result.calibration["method"] == "far" and result.calibration["far"] == 0.0
    assert calls == [1]  # the allocator setting is on by default (conf/evaluate.yaml)
    evaluate(eval_cfg(tmp_path / "b", f"ckpt={ckpt}", f"data.root={root}", "calibration.write=false",
                      "retain_freed_memory=false", "bootstrap=0"))  # fmt: skip
    assert calls == [1]


@pytest.mark.slow
def test_folder_pairs_are_saved_and_repeatable(lfw_model, tmp_path):
    _, ckpt = lfw_model
    people = people_folder(tmp_path / "people", [f"person {p}" for p in range(4)], photos=3)
    (tmp_path / "groups.csv").write_text("person,group\nperson 0,north\nperson 1,north\nperson 2,south\n")
    first = evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", "data=folder", f"data.root={people}", "num_pairs=20",
                              f"groups={tmp_path / 'groups.csv'}"))  # fmt: skip
    pairs_file = tmp_path / "eval" / "pairs.csv"
    rows = pairs_file.read_text().splitlines()
    # 4 people of 3 photos make 2 folds of 2 people (10 asked): each pair within one fold
    assert rows[0] == "file_a,file_b,same,fold" and len(rows) == 21 and first.pairs == 20
    fields = [r.split(",") for r in rows[1:]]
    assert sum(f[2] == "1" for f in fields) == 10 and all(r.startswith("person ") for r in rows[1:])
    fold_of = {}
    for a, b, _, fold in fields:
        for person in (a.split("/")[0], b.split("/")[0]):
            assert fold_of.setdefault(person, fold) == fold
    assert sorted(set(fold_of.values())) == ["0", "1"]
    assert first.kfold["folds_from"] == "the 2 folds of " + str(pairs_file) and first.kfold["pairs"] == 20
    # person 3 is in no group: its pairs are counted in their own row, never dropped
    groups = {g["group"]: g["pairs"] for g in first.groups}
    assert groups["all"] == 20 and sum(v for k, v in groups.items() if k != "all") == 20
    report = (tmp_path / "eval" / "report.md").read_text()
    assert "| north |" in report
    # no calibration pairs here: the test figures use the checkpoint's own threshold, and the report says so,
    # once; the threshold calibrated on all these pairs is written for the tools, checked fold by fold
    assert "calibrated threshold" not in report and report.count("training validation threshold") == 1
    assert "2-fold accuracy, each fold at the threshold calibrated on the others" in report
    assert first.calibration["on"] == f"all 20 pairs of {pairs_file}"
    assert json.loads(ckpt.with_suffix(".threshold.json").read_text())["threshold"] == first.calibration["threshold"]
    # the open-set curve then comes from the test photos: 4 people, none of them trained on
    curve = first.open_set
    assert curve["people"] == 4 and curve["training_people_left_out"] == 0 and curve["on"] == str(pairs_file)
    assert curve["impostor_pairs"] >= 10 and (ckpt.with_suffix(".far_curve.json")).is_file()
    assert (tmp_path / "eval" / "groups.csv").read_text().startswith("group,people,pairs")
    # a photo added in front of every person's sorted list shifts LFW-style positions, not paths
    for p in range(4):
        Image.fromarray(photo(48, 48, seed=99 + p)).save(people / f"person {p}" / "0 new.png")
    again = evaluate(eval_cfg(tmp_path / "b", f"ckpt={ckpt}", "data=folder", f"data.root={people}",
                              f"pairs_file={pairs_file}"))  # fmt: skip
    assert again.test["auc"] == first.test["auc"] and again.pairs == 20
    assert "person 1/2.png" in pairs_file.read_text()  # the seeded draw uses the photo removed next
    (people / "person 1" / "2.png").unlink()
    with pytest.raises(ConfigError, match=r"pairs\.csv: 1 image\(s\) named by the pairs file do not exist"):
        evaluate(eval_cfg(tmp_path / "c", f"ckpt={ckpt}", "data=folder", f"data.root={people}",
                          f"pairs_file={pairs_file}"))  # fmt: skip


@pytest.mark.slow
def test_the_pairs_drawn_over_a_folder_are_reported_once_as_drawn(lfw_model, tmp_path, monkeypatch, caplog):
    import logging
    import sys
    import types

    _, ckpt = lfw_model
    people = people_folder(tmp_path / "people", [f"person {p}" for p in range(4)], photos=3)
    # the dlib baseline (a stand-in here) builds the sets again at its own crop size: the pairs are not drawn again
    encode = types.SimpleNamespace(face_encodings=lambda image, *_, **__: [image[::15, ::15].ravel()[:128] / 255])
    monkeypatch.setitem(sys.modules, "face_recognition", encode)
    caplog.set_level(logging.INFO)
    result = evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", "data=folder", f"data.root={people}", "num_pairs=3000",
                               "baselines.dlib=true", "projector=0", "calibration.write=false"))  # fmt: skip
    said = [r.getMessage() for r in caplog.records if " pairs" in r.getMessage() and "impostor pairs of" not in
            r.getMessage() and r.name.startswith("facecompare.evaluation")]  # fmt: skip
    # 4 people of 3 photos have 12 genuine pairs: 24 pairs in all, and one message says so
    assert len(said) == 1 and said[0].startswith("drew 24 balanced pairs (12 genuine, 12 impostor) over ")
    assert ", not 3000: " in said[0] and result.pairs == 24
    assert result.baselines["dlib face_recognition (pretrained)"]["pairs"] == 24


@pytest.mark.slow
def test_lfw_format_pairs_over_a_folder_are_positions(lfw_model, tmp_path, caplog):
    _, ckpt = lfw_model
    people = tmp_path / "people"
    for p in ("ann", "bob"):
        (people / p).mkdir(parents=True)
        for k in range(2):
            Image.fromarray(photo(48, 48, seed=k + 5 * len(p))).save(people / p / f"{k}.png")
    (tmp_path / "pairs.txt").write_text("1\nann\t1\t2\nann\t2\tbob\t1\n")
    result = evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", "data=folder", f"data.root={people}",
                               f"pairs_file={tmp_path / 'pairs.txt'}"))  # fmt: skip
    assert result.pairs == 2
    assert "positions in each person's sorted file list" in caplog.text


@pytest.mark.slow
def test_bad_inputs_get_clear_messages(lfw_model, tmp_path):
    root, ckpt = lfw_model
    people = tmp_path / "people"
    for p in ("ann", "bob"):
        (people / p).mkdir(parents=True)
        Image.fromarray(photo(48, 48)).save(people / p / "1.png")
    (tmp_path / "pairs.txt").write_text("1\nann\t1\t2\nann\t1\tbob\t1\n")
    with pytest.raises(ConfigError, match=r"'ann' has 1 images .* asks for number 2"):
        evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", "data=folder", f"data.root={people}",
                          f"pairs_file={tmp_path / 'pairs.txt'}"))  # fmt: skip
    (tmp_path / "bad.txt").write_text("1\nann\t1\n")
    with pytest.raises(ConfigError, match=r"bad\.txt:2"):
        evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", "data=folder", f"data.root={people}",
                          f"pairs_file={tmp_path / 'bad.txt'}"))  # fmt: skip
    (root / "images" / "Tia_Tan" / "Tia_Tan_0002.jpg").rename(root / "moved.jpg")
    try:
        with pytest.raises(ConfigError, match=r"do not exist, e\.g\. .*Tia_Tan_0002\.jpg"):
            evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", f"data.root={root}"))
    finally:
        (root / "moved.jpg").rename(root / "images" / "Tia_Tan" / "Tia_Tan_0002.jpg")


def test_checkpoint_of_another_backbone(lfw_model, tmp_path):
    _, ckpt = lfw_model
    raw = torch.load(ckpt, weights_only=True)
    raw["facecompare_config"]["model"]["net"]["widths"] = [8, 8, 8, 8]
    torch.save(raw, tmp_path / "edited.ckpt")
    from facecompare.checkpoint import load_embedder

    with pytest.raises(FacecompareError, match="weights do not fit the CompactCNN"):
        load_embedder(tmp_path / "edited.ckpt")


@pytest.mark.slow
def test_cli_missing_checkpoint_is_one_line(tmp_path):
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "scripts" / "evaluate.py"
    proc = subprocess.run(
        [sys.executable, str(script), f"ckpt={tmp_path / 'nope.ckpt'}", f"hydra.run.dir={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == f"error: {tmp_path / 'nope.ckpt'}: checkpoint not found"


@pytest.mark.slow
@pytest.mark.slow
def test_unseen_only_scores_the_pairs_of_people_the_model_never_trained_on(lfw_model, tmp_path):
    root, ckpt = lfw_model
    common = (f"ckpt={ckpt}", f"data.root={root}", "calibration.write=false", "bootstrap=0", "projector=0")
    every = evaluate(eval_cfg(tmp_path / "a", *common))
    devtrain = str(root.resolve() / "pairsDevTrain.txt")
    leaked = every.leakage["pairs_with_training_identities"][devtrain]
    unseen = evaluate(eval_cfg(tmp_path / "b", *common, "unseen_only=true"))
    # the calibration pairs lose those between training people, the test pairs (DevTest people) nothing
    assert unseen.leakage["unseen_only"] == {devtrain: leaked, str(root.resolve() / "pairsDevTest.txt"): 0}
    assert set(unseen.leakage["pairs_with_training_identities"].values()) == {0} and unseen.pairs == every.pairs
    report = (tmp_path / "b" / "eval" / "report.md").read_text()
    assert "never trained on are scored (unseen_only); pairs left out: " in report and f"{devtrain}: {leaked}" in report
    assert "WARNING: identity leakage" not in report
    raw = torch.load(ckpt, weights_only=True)
    del raw["facecompare_train_identities"]
    torch.save(raw, tmp_path / "anonymous.ckpt")
    with pytest.raises(ConfigError, match=r"unseen_only=true: .*anonymous.ckpt does not record the people"):
        evaluate(eval_cfg(tmp_path / "c", f"ckpt={tmp_path / 'anonymous.ckpt'}", *common[1:], "unseen_only=true"))


def test_flip_on_a_mirror_averaging_network_warns_and_changes_nothing(lfw_model, tmp_path, caplog):
    root, ckpt = lfw_model
    raw = torch.load(ckpt, weights_only=True)
    raw["facecompare_config"]["model"]["net"]["flip_average"] = True
    torch.save(raw, tmp_path / "averaging.ckpt")
    common = (f"ckpt={tmp_path / 'averaging.ckpt'}", f"data.root={root}", "calibration.write=false", "bootstrap=0")
    plain = evaluate(eval_cfg(tmp_path / "a", *common))
    assert "already averages" not in caplog.text
    flipped = evaluate(eval_cfg(tmp_path / "b", *common, "flip=sum"))
    assert "flip=sum: this network already averages each image with its mirror" in caplog.text
    assert flipped.test["auc"] == pytest.approx(plain.test["auc"], abs=1e-6)


@pytest.mark.slow
def test_lfw_view2_is_scored_fold_by_fold_and_calibrated_on_all_folds(lfw_model, tmp_path):
    from lfw_fakes import write_view2

    _, ckpt = lfw_model
    root = tmp_path / "view2"
    pictures(write_view2(root).images)
    (root / "people.txt").unlink()  # it splits training people only: scoring reads pairs.txt alone
    cfg = eval_cfg(tmp_path, f"ckpt={ckpt}", f"data.root={root}", "data.source.view=view2", "calibration.write=false")
    result = evaluate(cfg)
    k = result.kfold
    assert result.protocol == "lfw-view2" and k["folds_from"] == f"the 3 folds of {root.resolve() / 'pairs.txt'}"
    assert len(k["fold_accuracy"]) == 3 and k["pairs"] == result.pairs and k["pairs_across_folds"] == 0
    assert result.calibration["mean"] == k["mean"] and result.calibration["on"].startswith("all ")
    report = (tmp_path / "eval" / "report.md").read_text()
    assert "3-fold accuracy, each fold at the threshold calibrated on the others" in report
    assert report.count("| mean ± std |") == 1
    # the baselines by the same 3-fold calibration as the model, not at their best threshold
    assert "| method | ROC AUC | EER | 3-fold accuracy |" in report
    assert set(result.baselines["raw pixels"]) >= {"kfold_mean", "acc_at_best"}


@pytest.mark.slow
def test_a_pairs_file_without_folds_gets_folds_of_people_and_the_pairs_across_them_are_counted(lfw_model, tmp_path):
    _, ckpt = lfw_model
    people = people_folder(tmp_path / "people", [f"p{p}" for p in range(6)], photos=2)
    rows = [f"p{p}/0.png,p{p}/1.png,1" for p in range(6)]
    rows += [f"p{p}/0.png,p{q}/1.png,0" for p in range(6) for q in range(p + 1, 6)]
    (tmp_path / "pairs.csv").write_text("file_a,file_b,same\n" + "\n".join(rows) + "\n")
    result = evaluate(eval_cfg(tmp_path, f"ckpt={ckpt}", "data=folder", f"data.root={people}",
                               f"pairs_file={tmp_path / 'pairs.csv'}", "calibration.folds=3",
                               "calibration.write=false"))  # fmt: skip
    k = result.kfold
    assert k["folds_from"] == "3 folds of people dealt with seed 0" and len(k["fold_accuracy"]) == 3
    # all six genuine pairs stay; of the 15 impostor pairs, the one within each fold of two people
    assert k["pairs"] == 6 + 3 and k["pairs_across_folds"] == 12


@pytest.mark.slow
def test_a_folder_with_a_view2_format_pairs_file_is_scored_fold_by_fold(lfw_model, tmp_path):
    from lfw_fakes import write_view2

    _, ckpt = lfw_model
    layout = write_view2(tmp_path / "v2")
    pictures(layout.images)
    cfg = eval_cfg(tmp_path, f"ckpt={ckpt}", "data=folder", f"data.root={layout.images}",
                   f"pairs_file={tmp_path / 'v2' / 'pairs.txt'}", "calibration.write=false")  # fmt: skip
    k = evaluate(cfg).kfold
    assert k["folds_from"] == f"the 3 folds of {tmp_path / 'v2' / 'pairs.txt'}" and len(k["fold_accuracy"]) == 3


@pytest.mark.slow
def test_a_bin_written_from_view2_scores_as_view2_does(lfw_model, tmp_path):
    from lfw_fakes import write_view2

    from facecompare.evaluation.bins import evaluate_bins

    _, ckpt = lfw_model
    root = tmp_path / "view2"
    layout = write_view2(root)
    pictures(layout.images)
    view2 = evaluate(eval_cfg(tmp_path / "v", f"ckpt={ckpt}", f"data.root={root}", "data.source.view=view2",
                              "flip=sum", "calibration.write=false", "bootstrap=0"))  # fmt: skip
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "scripts" / "make_bin.py"
    spec = importlib.util.spec_from_file_location("make_bin", script)
    make_bin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_bin)
    args = ["--images", str(layout.images), "--pairs", str(root / "pairs.txt"), "--out", str(tmp_path / "lfw.bin")]
    assert make_bin.main(args) == 0
    (layout.images / "Pat_Ames" / "Pat_Ames_0001.jpg").unlink()  # a photo the pairs name, gone: nothing written
    assert make_bin.main([*args[:-1], str(tmp_path / "other.bin")]) == 2 and not (tmp_path / "other.bin").exists()
    # View 2's three folds of the fake are its three consecutive blocks, as the .bin's folds are
    cfg = eval_cfg(tmp_path / "b", f"ckpt={ckpt}", f"bins=[{tmp_path / 'lfw.bin'}]", "bin_folds=3")
    (row,) = evaluate_bins(cfg)
    assert row["pairs"] == view2.pairs and abs(row["acc"] - view2.kfold["mean"]) <= 0.002
    assert abs(row["auc"] - view2.test["auc"]) < 0.02
    report = (tmp_path / "b" / "eval" / "report.md").read_text()
    assert report.count("| lfw |") == 1


@pytest.mark.slow
def test_a_bin_that_would_run_a_command_ends_the_script_with_exit_code_2(lfw_model, tmp_path):
    import os
    import pickle
    import subprocess
    import sys

    _, ckpt = lfw_model
    marker = tmp_path / "ran"

    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (tmp_path / "evil.bin").write_bytes(pickle.dumps(([b"a", b"b"], [Boom()])))
    script = Path(__file__).resolve().parents[2] / "scripts" / "evaluate.py"
    run = subprocess.run([sys.executable, str(script), f"ckpt={ckpt}", f"bins=[{tmp_path / 'evil.bin'}]",
                          f"hydra.run.dir={tmp_path / 'run'}"], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and "refused: the pickle asks for posix.system" in run.stderr
    assert not marker.exists()


def test_ijb_one_to_one_report(lfw_model, tmp_path):
    from test_ijb import write_layout

    from facecompare.evaluation.ijb_eval import evaluate_ijb

    _, ckpt = lfw_model
    root = write_layout(tmp_path / "IJBC")
    result = evaluate_ijb(eval_cfg(tmp_path, f"ckpt={ckpt}", f"ijb={root}"))
    assert result["pairs"] == 4 and result["genuine_pairs"] == 1 and "tar@far1e-6" in result
    report = (tmp_path / "eval" / "report.md").read_text()
    assert report.startswith("# Evaluation: IJBC 1:1 (template protocol)") and "TAR at FAR 1e-6" in report
    assert (tmp_path / "eval" / "roc_det.png").is_file()
