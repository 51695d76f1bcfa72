import json

import numpy as np
import pytest
from PIL import Image

from facecompare.cli import EXIT_BAD_INPUT, EXIT_MATCH, main
from facecompare.data.synthetic import render_face, sample_identity
from facecompare.errors import FacecompareError
from facecompare.inference.bundle import load_bundle
from facecompare.inference.quality import EmbeddingQuality


@pytest.fixture
def people(tmp_path):
    """8 synthetic people of 3 photos each, and a file in a person folder that is no photo."""
    root = tmp_path / "people"
    rng = np.random.default_rng(0)
    for person in range(8):
        (root / f"p{person}").mkdir(parents=True)
        for k in range(3):
            face = render_face(sample_identity(5, person), rng, size=64)
            Image.fromarray(face).save(root / f"p{person}" / f"{k}.png")
    (root / "p0" / "broken.jpg").write_text("not a picture")
    return root


def test_calibrate_writes_a_checked_copy_with_the_threshold_and_curve(tiny_bundle, people, tmp_path, capsys):
    out = tmp_path / "calibrated"
    before = (tiny_bundle / "model.json").read_text()
    args = ["calibrate", str(people), "--model", str(tiny_bundle), "--out", str(out), "--detector", "none"]
    assert main([*args, "--pairs", "40", "--json"]) == EXIT_MATCH
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert "broken.jpg" in captured.err and "skipped" in captured.err  # counted and named, not dropped silently
    c = printed["calibration"]
    # 8 people of 3 photos: min(10 folds, 8 people with pairs, 8 // 2) = 4 folds of 2 people
    assert c["folds"] == 4 and len(c["kfold"]["fold_accuracy"]) == 4 and c["skipped_images"] == 1
    assert c["images"] == 24 and c["people"] == 8 and c["pairs"] == 40 and c["genuine_pairs"] == 20
    assert c["previous_threshold"] == load_bundle(tiny_bundle).threshold
    # every pair of different people: 24 * 23 / 2 - 8 * 3 = 252 impostor pairs
    assert printed["far_curve"]["impostor_pairs"] == 252 and printed["far_curve"]["people"] == 8
    calibrated = load_bundle(out)  # its model files pass the bundle's hash checks
    assert calibrated.threshold == printed["value"] and calibrated.meta["threshold"]["source"].endswith(str(people))
    assert (tiny_bundle / "model.json").read_text() == before  # the bundle given is left as it was
    # the tiny model's embeddings do not set degraded faces apart: no quality model, and it says so
    assert printed["quality"] is None and "no face quality model from these photos" in captured.err
    # the calibrated threshold is the one verify uses
    face = str(people / "p1" / "0.png")
    assert main(["verify", face, face, "--model", str(out), "--detector", "none", "--json"]) == EXIT_MATCH
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["threshold"] == pytest.approx(printed["value"])
    # a second calibration does not overwrite the first
    assert main([*args, "--pairs", "40"]) == EXIT_BAD_INPUT
    assert "already exists" in capsys.readouterr().err


def test_a_folder_without_genuine_pairs_is_refused_by_name(tiny_bundle, tmp_path, capsys):
    root = tmp_path / "singles"
    for person in range(3):
        (root / f"p{person}").mkdir(parents=True)
        face = render_face(sample_identity(5, person), np.random.default_rng(person), size=64)
        Image.fromarray(face).save(root / f"p{person}" / "0.png")
    args = ["calibrate", str(root), "--model", str(tiny_bundle), "--out", str(tmp_path / "c"), "--detector", "none"]
    assert main(args) == EXIT_BAD_INPUT
    assert "needs genuine and impostor pairs: 3 people, 0 with two or more photos" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_a_copy_that_fails_midway_leaves_nothing(tiny_bundle, tmp_path, monkeypatch):
    from facecompare.inference import bundle_copy

    bundle = load_bundle(tiny_bundle)
    monkeypatch.setattr(bundle_copy.shutil, "copy2", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        bundle_copy.copy_with_threshold(bundle, {"value": 0.5, "source": "t"}, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FacecompareError, match="is the bundle itself"):
        bundle_copy.copy_with_threshold(
            bundle, {"value": 0.5, "source": "t"}, tiny_bundle.parent / "x" / ".." / tiny_bundle.name
        )


def test_faces_show_their_quality_and_enrolment_refuses_one_below_the_bar(tiny_bundle, people, tmp_path, capsys):
    import shutil

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    meta = json.loads((bundle / "model.json").read_text())
    axes = np.eye(meta["embedding"]["size"])
    meta["quality"] = EmbeddingQuality(axes[0], 0.0, 1.0, axes[1], 0.5, refuse_below=0.3).to_json()
    (bundle / "model.json").write_text(json.dumps(meta))
    face = str(people / "p1" / "0.png")
    assert main(["verify", face, face, "--model", str(bundle), "--detector", "none", "--json"]) == EXIT_MATCH
    faces = json.loads(capsys.readouterr().out)["faces"]
    assert all(0.0 <= f["quality"] <= 1.0 and f["quality_note"] is None for f in faces)
    assert faces[0]["quality"] == faces[1]["quality"]
    # enrolment refuses a face below the bar, naming the photo and its score, and writes nothing
    gallery = tmp_path / "g.db"
    enroll = ["enroll", "someone", face, "--model", str(bundle), "--gallery", str(gallery), "--detector", "none"]
    assert main([*enroll, "--min-quality", "1.0"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{face}: face quality {faces[0]['quality']:.2f} is below --min-quality 1.00" in err
    listing = ["gallery", "list", "--model", str(bundle), "--gallery", str(gallery)]
    assert main(listing) == EXIT_MATCH and "someone" not in capsys.readouterr().out
    assert main([*enroll, "--min-quality", "0"]) == EXIT_MATCH
    assert main(listing) == EXIT_MATCH and "someone" in capsys.readouterr().out


def test_the_learned_quality_is_refitted_or_kept_with_a_warning(tiny_bundle, people, tmp_path, capsys):
    import shutil

    import numpy as np

    from facecompare.inference.branch_quality import BranchQuality

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    meta = json.loads((bundle / "model.json").read_text())
    size = meta["embedding"]["size"]
    # a branch whose output is the same for every crop: no scale can come from it
    flat = ((np.zeros((2, size)), np.ones(2)), (np.ones((1, 2)), np.zeros(1)))
    meta["quality_learned"] = BranchQuality(flat, 0.0, 1.0, 0.2).to_json()
    (bundle / "model.json").write_text(json.dumps(meta))
    out = tmp_path / "calibrated"
    args = ["calibrate", str(people), "--model", str(bundle), "--out", str(out), "--detector", "none", "--pairs", "40"]
    assert main([*args, "--json"]) == EXIT_MATCH
    captured = capsys.readouterr()
    assert json.loads(captured.out)["quality_learned"] is None
    assert "the learned face quality keeps the bundle's scale: the quality branch scores degraded" in captured.err
    assert load_bundle(out).meta["quality_learned"] == meta["quality_learned"]  # kept as it was
