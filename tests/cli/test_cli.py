"""The facecompare command: output, --json, and the documented exit codes."""

import json
import subprocess
import sys

import pytest

from facecompare.cli import EXIT_BAD_INPUT, EXIT_MATCH, EXIT_NO_FACE, EXIT_NO_MATCH, main


def test_verify_prints_verdict_score_threshold_and_boxes(tiny_bundle, photos, capsys):
    code = main(["verify", str(photos / "astronaut.jpg"), str(photos / "astronaut.jpg"), "--model", str(tiny_bundle)])
    out = capsys.readouterr().out.splitlines()
    assert code == EXIT_MATCH and out[0].startswith("MATCH  score 1.0000  threshold ")
    assert out[1].startswith(f"  {photos / 'astronaut.jpg'}: box ") and "p=" in out[1]


def test_json_and_threshold_override(tiny_bundle, photos, capsys):
    args = ["verify", str(photos / "astronaut.jpg"), str(photos / "mirrored.jpg"), "--model", str(tiny_bundle)]
    assert main([*args, "--json", "--threshold", "1"]) == EXIT_NO_MATCH
    result = json.loads(capsys.readouterr().out)
    assert result["match"] is False and result["threshold"] == 1.0 and len(result["faces"]) == 2
    assert main([*args, "--threshold", "0"]) == EXIT_MATCH


@pytest.mark.slow
def test_anchors(tiny_bundle, photos, tmp_path, capsys):
    anchors = tmp_path / "person"
    anchors.mkdir()
    for name in ("astronaut.jpg", "mirrored.jpg"):
        (anchors / name).write_bytes((photos / name).read_bytes())
    (anchors / "readme.txt").write_text("not an anchor")
    code = main(["verify", str(photos / "cropped.png"), "--anchors", str(anchors), "--model", str(tiny_bundle),
                 "--aggregate", "max", "--json"])  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert code in (EXIT_MATCH, EXIT_NO_MATCH) and result["aggregate"] == "max" and len(result["scores"]) == 2
    # any other file is an anchor (a photo is not always .jpg); one that cannot be read is named and skipped
    (anchors / "IMG_0001.jfif").write_bytes((photos / "cropped.png").read_bytes())
    assert main(["verify", str(photos / "cropped.png"), "--anchors", str(anchors), "--model", str(tiny_bundle),
                 "--json"]) in (EXIT_MATCH, EXIT_NO_MATCH)  # fmt: skip
    assert len(json.loads(capsys.readouterr().out)["scores"]) == 3
    (anchors / "scan.heic").write_bytes(b"not decodable here")
    model_json = str(tiny_bundle / "model.json")  # the bundle's description names the bundle too
    args = ["verify", str(photos / "cropped.png"), "--anchors", str(anchors), "--model", model_json]
    assert main([*args, "--json"]) in (EXIT_MATCH, EXIT_NO_MATCH)  # once: exit 2, the other 3 anchors unused
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert len(result["scores"]) == 3 and len(result["anchors_skipped"]) == 1
    assert result["anchors_skipped"][0].startswith(f"{anchors / 'scan.heic'}: not an image")
    assert err.splitlines() == [f"warning: {result['anchors_skipped'][0]}; skipped", "used 3 of 4 anchors"]
    unreadable = tmp_path / "unreadable"
    unreadable.mkdir()
    (unreadable / "a.jpg").write_bytes(b"no")
    assert main(["verify", str(photos / "cropped.png"), "--anchors", str(unreadable), "--model", model_json]) == 2
    assert "error: none of the 1 anchor images can be read" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["verify", str(photos / "cropped.png"), "--anchors", str(empty), "--model", str(tiny_bundle)]) == 2
    assert "empty: no anchor images in it" in capsys.readouterr().err


def test_app_needs_a_login_or_an_explicit_choice_to_listen_beyond_this_machine(
    tiny_bundle, capsys, monkeypatch, tmp_path
):
    import facecompare.app.launch as launch

    calls = []
    monkeypatch.setattr(launch, "serve", lambda service, *args, auth=None: calls.append((*args, auth)))
    network = ["app", "--model", str(tiny_bundle), "--host", "0.0.0.0", "--max-upload-mb", "2"]
    assert main(network) == EXIT_BAD_INPUT and calls == []
    assert "--host 0.0.0.0 makes the app reachable from the network" in capsys.readouterr().err
    assert main([*network, "--allow-no-auth"]) == EXIT_MATCH
    assert calls == [("0.0.0.0", 7860, 2.0, None)]
    assert "serving on 0.0.0.0 without a login: anyone who can reach it can upload faces" in capsys.readouterr().err
    users = tmp_path / "users.txt"
    users.write_text("# who may log in\nguard:s3cret:with-colon\n\n")
    assert main([*network, "--auth-file", str(users)]) == EXIT_MATCH
    assert calls[-1] == ("0.0.0.0", 7860, 2.0, [("guard", "s3cret:with-colon")]) and capsys.readouterr().err == ""
    assert main(["app", "--model", str(tiny_bundle)]) == EXIT_MATCH
    assert calls[-1] == ("127.0.0.1", 7860, 10.0, None) and capsys.readouterr().err == ""
    users.write_text("guard\n")
    assert main([*network, "--auth-file", str(users)]) == EXIT_BAD_INPUT
    assert f"{users}:1: expected user:password" in capsys.readouterr().err
    assert main(["app", "--model", str(tiny_bundle), "--fpir", "0.01"]) == EXIT_BAD_INPUT  # no curve: not served
    assert len(calls) == 3 and "carries no open-set curve" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(["app", "--model", str(tiny_bundle), "--max-upload-mb", "0"]) == EXIT_BAD_INPUT
    assert "max-upload-mb must be positive" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("images", "extra", "code", "message"),
    [
        (["astronaut.jpg", "blank.png"], [], EXIT_NO_FACE, "blank.png: no face found"),
        (["astronaut.jpg", "notes.jpg"], [], EXIT_BAD_INPUT, "notes.jpg: "),
        (["astronaut.jpg"], [], EXIT_BAD_INPUT, "verify takes two images"),
        (["astronaut.jpg", "astronaut.jpg"], ["--model", "nowhere"], EXIT_BAD_INPUT, "nowhere: not a bundle"),
        (
            ["astronaut.jpg", "astronaut.jpg"],
            ["--quality", "learned"],
            EXIT_BAD_INPUT,
            "cannot give the 'learned' face quality; it gives: none",
        ),
    ],
)
def test_exit_codes_and_one_line_errors(tiny_bundle, photos, capsys, images, extra, code, message):
    args = ["verify", *(str(photos / i) for i in images), "--model", str(tiny_bundle), *extra]
    assert main(args) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


@pytest.mark.slow
def test_runs_as_a_program_with_its_exit_code(tiny_bundle, photos):
    args = ["verify", str(photos / "astronaut.jpg"), str(photos / "blank.png"), "--model", str(tiny_bundle)]
    out = subprocess.run([sys.executable, "-m", "facecompare.cli", *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == EXIT_NO_FACE and "blank.png: no face found" in out.stderr


def test_enroll_identify_list_remove(tiny_bundle, photos, tmp_path, capsys):
    common = ["--model", str(tiny_bundle), "--gallery", str(tmp_path / "g.db")]
    assert main(["enroll", "Eileen Collins", str(photos / "astronaut.jpg"), *common]) == EXIT_MATCH
    assert "enrolled 1 image(s) of 'Eileen Collins'" in capsys.readouterr().out
    assert main(["identify", str(photos / "astronaut.jpg"), "--search", "faiss", *common]) == EXIT_MATCH
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Eileen Collins  threshold") and out[1].startswith("  1. Eileen Collins  1.0000")
    assert main(["gallery", "list", *common]) == EXIT_MATCH
    assert capsys.readouterr().out == "Eileen Collins\t1\n"
    assert main(["gallery", "remove", "Eileen Collins", *common]) == EXIT_MATCH
    capsys.readouterr()
    assert main(["identify", str(photos / "astronaut.jpg"), "--json", *common]) == EXIT_NO_MATCH
    assert json.loads(capsys.readouterr().out)["identity"] == "UNKNOWN"
    assert main(["gallery", "remove", "Nobody", *common]) == EXIT_BAD_INPUT
    assert "no person named 'Nobody'" in capsys.readouterr().err


@pytest.mark.slow
def test_identify_with_an_allow_list(curved_bundle, photos, tmp_path, capsys):
    common = ["--model", str(curved_bundle), "--gallery", str(tmp_path / "g.db")]
    assert main(["enroll", "Eileen Collins", str(photos / "astronaut.jpg"), *common]) == EXIT_MATCH
    assert main(["enroll", "Mirror", str(photos / "mirrored.jpg"), *common]) == EXIT_MATCH
    capsys.readouterr()
    probe = str(photos / "astronaut.jpg")
    # decided at the threshold fitted for the default FPIR 1e-3: 5e-4 per embedding of 2, from 0.999
    assert main(["identify", probe, "--allow", "Eileen Collins", *common]) == EXIT_MATCH
    out = capsys.readouterr()
    assert out.out.startswith("GRANTED  Eileen Collins  score 1.0000  threshold 0.9990 [fpir 0.001]") and out.err == ""
    (tmp_path / "floor3.txt").write_text("# floor 3\nMirror\nNobody Here\n")
    assert main(["identify", probe, "--allow-file", str(tmp_path / "floor3.txt"), "--json", *common]) == EXIT_NO_MATCH
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert result["identity"] == "Eileen Collins" and result["access"]["reason"] == "not_allowed"
    assert result["threshold_rule"] == "fpir 0.001" and result["threshold"] == 0.999
    assert "warning: on the allow list but not in" in out.err and "'Nobody Here'" in out.err
    assert main(["identify", probe, "--allow-file", str(tmp_path / "floor3.txt"), *common]) == EXIT_NO_MATCH
    assert capsys.readouterr().out.startswith("DENIED  Eileen Collins is not on the allow list  score 1.0000")
    other = str(photos / "cropped.png")  # not enrolled: below the highest threshold there is
    assert main(["identify", other, "--allow", "Eileen Collins", "--threshold", "1", *common]) == EXIT_NO_MATCH
    out = capsys.readouterr().out
    assert out.startswith("DENIED  UNKNOWN  best ") and "threshold 1.0000 [given]" in out
    (tmp_path / "empty.txt").write_text("# nobody\n")
    assert main(["identify", probe, "--allow-file", str(tmp_path / "empty.txt"), *common]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'empty.txt'}: the allow list names nobody"


@pytest.mark.slow
def test_access_without_a_threshold_fitted_to_the_gallery_is_refused(
    tiny_bundle, curved_bundle, photos, tmp_path, capsys
):
    # tiny_bundle has no open-set curve: its 1:1 threshold would decide for a door, and strangers would pass
    common = ["--model", str(tiny_bundle), "--gallery", str(tmp_path / "g.db")]
    assert main(["enroll", "Eileen Collins", str(photos / "astronaut.jpg"), *common]) == EXIT_MATCH
    capsys.readouterr()
    for probe in ("astronaut.jpg", "blank.png"):  # refused before any detection
        for allow in (["--allow", "Eileen Collins"], ["--allow", "Eileen Collins", "--json"]):
            assert main(["identify", str(photos / probe), *allow, *common]) == EXIT_BAD_INPUT
            out = capsys.readouterr()
            assert out.out == "" and len(out.err.strip().splitlines()) == 1
            assert (
                out.err.startswith("error: access refused, nobody is granted")
                and "carries no open-set curve" in out.err
            )
            assert "run scripts/evaluate.py on the checkpoint and export it again" in out.err
    # a threshold given explicitly is the user's to vouch for
    probe = str(photos / "astronaut.jpg")
    assert main(["identify", probe, "--allow", "Eileen Collins", "--threshold", "0.5", *common]) == EXIT_MATCH
    assert capsys.readouterr().out.startswith("GRANTED  Eileen Collins  score 1.0000  threshold 0.5000 [given]")
    # without a list it identifies at the 1:1 threshold, says so, and warns
    assert main(["identify", probe, "--json", *common]) == EXIT_MATCH
    out = capsys.readouterr()
    assert json.loads(out.out)["threshold_rule"] == "1:1" and "not fitted to this gallery" in out.err
    # a curve that cannot show the default rate for this gallery's size refuses too: 1e-3 over 11 embeddings
    big = ["--model", str(curved_bundle), "--gallery", str(tmp_path / "big.db")]
    assert main(["enroll", "Crowd", *[str(photos / "astronaut.jpg")] * 11, *big]) == EXIT_MATCH
    capsys.readouterr()
    assert main(["identify", probe, "--allow", "Crowd", *big]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: access refused, nobody is granted") and "over 11 gallery embeddings" in err


def test_app_threshold_decides_access_in_the_identify_tab(tiny_bundle, monkeypatch):
    import facecompare.app.launch as launch

    services = []
    monkeypatch.setattr(launch, "serve", lambda service, *args, auth=None: services.append(service))
    assert main(["app", "--model", str(tiny_bundle), "--threshold", "0.7"]) == EXIT_MATCH
    assert services[0].threshold == 0.7 and services[0].fpir is None and not services[0].fitted
    with pytest.raises(SystemExit):  # one rule or the other
        main(["app", "--model", str(tiny_bundle), "--threshold", "0.7", "--fpir", "0.01"])


@pytest.mark.parametrize(
    "command",
    [
        ["identify", "{photo}"],
        ["gallery", "list"],
        ["gallery", "remove", "Eileen Collins"],
        ["search-video", "{photo}", "--person", "Eileen Collins"],
    ],
)
def test_only_enroll_creates_a_gallery(tiny_bundle, photos, tmp_path, capsys, command):
    typo = tmp_path / "galery.db"
    args = [a.format(photo=photos / "astronaut.jpg") for a in command]
    assert main([*args, "--model", str(tiny_bundle), "--gallery", str(typo)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert (
        err
        == f"error: {typo}: no such gallery (enroll people first: facecompare enroll NAME photos... --gallery {typo})\n"
    )
    assert not typo.exists()  # before, a mistyped path made an empty gallery and the answer was UNKNOWN


def test_enroll_creates_a_private_gallery_and_names_are_matched_as_enrolled(tiny_bundle, photos, tmp_path, capsys):
    import os
    import stat

    gallery = tmp_path / "new.db"
    common = ["--model", str(tiny_bundle), "--gallery", str(gallery)]
    old = os.umask(0o022)
    try:
        assert main(["enroll", " Padded Name ", str(photos / "astronaut.jpg"), *common]) == EXIT_MATCH
    finally:
        os.umask(old)
    assert stat.S_IMODE(gallery.stat().st_mode) == 0o600  # embeddings are biometric templates
    assert "enrolled 1 image(s) of 'Padded Name'" in capsys.readouterr().out
    assert main(["gallery", "remove", " Padded Name ", *common]) == EXIT_MATCH
    assert capsys.readouterr().out == f"removed 'Padded Name' (1 embedding(s)) from {gallery}\n"
    assert main(["gallery", "remove", "  ", *common]) == EXIT_BAD_INPUT
    assert "gallery remove needs the NAME" in capsys.readouterr().err


@pytest.mark.slow
def test_vote_says_how_many_anchors_matched(tiny_bundle, photos, tmp_path, capsys):
    anchors = tmp_path / "person"
    anchors.mkdir()
    for name in ("astronaut.jpg", "mirrored.jpg", "cropped.png"):
        (anchors / name).write_bytes((photos / name).read_bytes())
    args = ["verify", str(photos / "astronaut.jpg"), "--anchors", str(anchors), "--model", str(tiny_bundle)]
    # only the anchor that is the probe itself reaches 0.999
    assert main([*args, "--aggregate", "vote", "--threshold", "0.999"]) == EXIT_NO_MATCH
    line = capsys.readouterr().out.splitlines()[0]
    assert line == "NO MATCH  vote: 1 of 3 anchors match at threshold 0.9990 (needs 2)"
    assert main([*args, "--aggregate", "vote", "--threshold", "0", "--json"]) == EXIT_MATCH
    result = json.loads(capsys.readouterr().out)
    assert result["aggregate"] == "vote" and result["score"] == 1.0 and result["threshold"] == 0.0
    assert (result["votes"], result["anchors"], result["votes_needed"]) == (3, 3, 2)
    assert main([*args, "--aggregate", "mean", "--json"]) in (EXIT_MATCH, EXIT_NO_MATCH)
    assert "votes" not in json.loads(capsys.readouterr().out)


def test_the_face_taken_from_a_group_photo_follows_the_models_training(tiny_bundle, photos, tmp_path, capsys):
    import shutil

    import cv2
    import numpy as np
    from PIL import Image
    from skimage import data

    # a large face at the top, a smaller one in the middle (LFW's layout: the labelled person in the middle)
    astronaut = data.astronaut()
    canvas = np.full((600, 600, 3), 90, np.uint8)
    canvas[0:360, 240:600] = cv2.resize(astronaut, (360, 360), interpolation=cv2.INTER_AREA)
    canvas[261:461, 203:403] = cv2.resize(astronaut, (200, 200), interpolation=cv2.INTER_AREA)
    Image.fromarray(canvas).save(tmp_path / "two.png")
    lfw_like = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, lfw_like)
    meta = json.loads((lfw_like / "model.json").read_text())
    meta["alignment"]["faces"] = {"several_faces": "central", "min_prob": 0.9}
    (lfw_like / "model.json").write_text(json.dumps(meta))

    def box(model, *extra):
        args = ["verify", str(tmp_path / "two.png"), str(photos / "astronaut.jpg"), "--model", str(model), "--json"]
        main([*args, *extra])
        x0, y0, x1, y1 = json.loads(capsys.readouterr().out)["faces"][0]["box"]
        return (x0 + x1) / 2, (y0 + y1) / 2

    assert box(lfw_like)[1] > 250  # trained on central faces: the one in the middle
    assert box(lfw_like, "--faces", "largest")[1] < 150
    assert box(tiny_bundle)[1] < 150  # trained taking the largest (or recorded nothing): the one at the top


def test_identify_fits_the_threshold_to_the_gallery(curved_bundle, tiny_bundle, photos, tmp_path, capsys):
    common = ["--model", str(curved_bundle), "--gallery", str(tmp_path / "g.db")]
    for name, photo in (("Eileen Collins", "astronaut.jpg"), ("Mirror", "mirrored.jpg")):
        assert main(["enroll", name, str(photos / photo), *common]) == EXIT_MATCH
    capsys.readouterr()
    probe = str(photos / "astronaut.jpg")
    # 0.2 % over 2 embeddings: 1e-3 each, from 0.99
    assert main(["identify", probe, "--fpir", "0.002", *common]) == EXIT_MATCH
    out = capsys.readouterr()
    assert out.out.startswith(
        "Eileen Collins  threshold 0.9900 [fpir 0.002]  (2 people in the gallery; strangers taken for "
    )
    assert "at most 0.20%" in out.out.splitlines()[0] and out.err == ""
    # without --fpir or --threshold: fitted for 1e-3 (5e-4 each, from 0.999), not the 1:1 threshold 0.95
    assert main(["identify", probe, "--json", *common]) == EXIT_MATCH
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert result["threshold"] == 0.999 and result["threshold_rule"] == "fpir 0.001"
    assert result["fpir_bound"] == pytest.approx(2e-4) and out.err == ""
    # the 1:1 threshold 0.95 given by hand is only bounded by FAR(0.9) = 1 %, times 2 embeddings: a warning says so
    assert main(["identify", probe, "--json", "--threshold", "0.95", *common]) == EXIT_MATCH
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert result["threshold"] == 0.95 and result["threshold_rule"] == "given" and result["embeddings_in_gallery"] == 2
    assert result["fpir_bound"] == pytest.approx(0.02)
    assert "up to 2.0% of strangers may be taken for someone among this gallery's 2 embeddings" in out.err
    # rates the curve cannot show, and bundles without one, fail before any detection, in one line
    assert main(["identify", str(photos / "blank.png"), "--fpir", "1e-5", *common]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "1e-05 over 2 gallery embeddings needs a per-comparison false accept rate of 5.0e-06" in err
    plain = ["--model", str(tiny_bundle), "--gallery", str(tmp_path / "g.db")]
    assert main(["identify", str(photos / "blank.png"), "--fpir", "0.01", *plain]) == EXIT_BAD_INPUT
    assert "carries no open-set curve" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["identify", probe, "--fpir", "0.01", "--threshold", "0.5", *common])
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command, message",
    [
        (["verify", "{a}", "{a}", "--threshold", "1.5"], "--threshold 1.5: scores are in [0, 1]"),
        (["identify", "{a}", "--threshold", "-0.1"], "--threshold -0.1: scores are in [0, 1]"),
        (["search-video", "{a}", "--image", "{a}", "--threshold", "nan"], "--threshold nan: scores are in [0, 1]"),
        (["verify", "{a}", "{a}", "--aggregate", "vote"], "--aggregate vote combines scores against --anchors"),
        (["gallery", "list", "extra"], "gallery list takes no NAME, got 'extra'"),
        (["search-video", "{a}", "--image", "{a}", "--min-inside", "75"], "min-prob, min-inside and min-quality must"),
    ],
)
def test_arguments_that_could_never_work_are_refused_before_the_model_loads(photos, tmp_path, capsys, command, message):
    # the model does not exist: the argument must be the error, not the missing bundle
    args = [a.format(a=photos / "astronaut.jpg") for a in command]
    assert main([*args, "--model", str(tmp_path / "no_bundle")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_verify_scores_quality_by_the_method_asked_for(tiny_bundle, photos, tmp_path, capsys):
    import json
    import shutil

    import numpy as np

    from facecompare.inference.branch_quality import BranchQuality

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    meta = json.loads((bundle / "model.json").read_text())
    rng = np.random.default_rng(0)
    size = meta["embedding"]["size"]
    layers = ((rng.normal(size=(4, size)), rng.normal(size=4)), (rng.normal(size=(1, 4)), rng.normal(size=1)))
    meta["quality_learned"] = BranchQuality(layers, low=-10.0, high=10.0).to_json()
    (bundle / "model.json").write_text(json.dumps(meta))
    args = ["verify", str(photos / "astronaut.jpg"), str(photos / "astronaut.jpg"), "--model", str(bundle), "--json"]
    main([*args, "--quality", "learned"])
    faces = json.loads(capsys.readouterr().out)["faces"]
    assert [f["quality_method"] for f in faces] == ["learned", "learned"]
    assert 0.0 <= faces[0]["quality"] <= 1.0
