"""Video search on a generated clip: the astronaut's face is on screen from 1.0 s to 1.9 s only."""

import json

import cv2
import numpy as np
import pytest
from skimage import data

from facecompare.cli import EXIT_BAD_INPUT, EXIT_MATCH, main
from facecompare.errors import FacecompareError
from facecompare.inference import load_bundle
from facecompare.inference.face_filter import FaceFilter
from facecompare.inference.faces import FaceFinder, make_detector
from facecompare.inference.quality import EmbeddingQuality
from facecompare.inference.video import search_video

FPS = 10


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """30 frames at 10 fps; frames 10-19 show the astronaut, the others an empty grey room."""
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    face = cv2.cvtColor(cv2.resize(data.astronaut(), (240, 240)), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (320, 240))
    for i in range(30):
        frame = np.full((240, 320, 3), 90, np.uint8)
        if 10 <= i < 20:
            frame[:, 40:280] = face
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def tools(tiny_bundle, photos):
    bundle = load_bundle(tiny_bundle)
    finder = FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size)
    (face,) = finder.find([photos / "astronaut.jpg"])
    return bundle, finder, bundle.embed(face.crop[None])


@pytest.mark.slow
def test_sightings_at_the_right_times_and_thumbnails_on_request(tools, clip, tmp_path):
    bundle, finder, reference = tools
    live = []
    sightings, examined = search_video(
        bundle, finder.detector, reference, str(clip), every=2, batch=4, threshold=0.0,
        thumbnails=tmp_path / "thumbs", on_sighting=live.append,
    )  # fmt: skip
    assert examined == 15
    assert [s.frame for s in sightings] == [10, 12, 14, 16, 18] and live == sightings
    assert [s.seconds for s in sightings] == pytest.approx([1.0, 1.2, 1.4, 1.6, 1.8])
    x0, _, x1, _ = sightings[0].box
    assert 40 < x0 < x1 < 280  # the face inside the pasted photo
    assert sorted(p.name for p in (tmp_path / "thumbs").iterdir())[0] == "frame0000010_00001.000s.jpg"
    none, _ = search_video(bundle, finder.detector, reference, str(clip), every=2, threshold=1.01)
    assert none == []


def test_every_frame_and_max_frames(tools, clip):
    bundle, finder, reference = tools
    sightings, examined = search_video(bundle, finder.detector, reference, str(clip), every=1, max_frames=12,
                                       threshold=0.0)  # fmt: skip
    assert examined == 12 and [s.frame for s in sightings] == [10, 11]


def test_unreadable_source_is_named(tools, tmp_path):
    bundle, finder, reference = tools
    with pytest.raises(FacecompareError, match=r"nothing\.mp4: cannot be opened as a video"):
        search_video(bundle, finder.detector, reference, str(tmp_path / "nothing.mp4"))


def test_cli_with_a_reference_photo(tiny_bundle, photos, clip, capsys, tmp_path):
    args = ["search-video", str(clip), "--image", str(photos / "astronaut.jpg"), "--model", str(tiny_bundle)]
    annotated = tmp_path / "annotated.mp4"
    assert main([*args, "--every", "5", "--threshold", "0", "--json", "--annotate", str(annotated)]) == EXIT_MATCH
    out, err = capsys.readouterr()
    assert '"frames_examined": 6' in out and '"frame": 10' in out and '"frame": 15' in out
    assert f"annotated clip: {annotated}" in err and len(_frames(annotated)[1]) == 6


def test_cli_with_an_enrolled_person(tiny_bundle, photos, clip, tmp_path, capsys):
    common = ["--model", str(tiny_bundle), "--gallery", str(tmp_path / "g.db")]
    assert main(["enroll", "astronaut", str(photos / "astronaut.jpg"), *common]) == EXIT_MATCH
    args = ["search-video", str(clip), "--every", "10", "--threshold", "0", *common]
    assert main([*args, "--person", "astronaut"]) == EXIT_MATCH
    assert "1.00 s  frame      10  score" in capsys.readouterr().out
    assert main([*args, "--person", "nobody"]) == 2
    assert "no person named 'nobody'; enroll them first" in capsys.readouterr().err


def _frames(path):
    capture = cv2.VideoCapture(str(path))
    fps, frames = capture.get(cv2.CAP_PROP_FPS), []
    while True:
        ok, frame = capture.read()
        if not ok:
            return fps, frames
        frames.append(frame)


def test_annotated_clip_boxes_the_person_in_green(tools, clip, tmp_path):
    bundle, finder, reference = tools
    out = tmp_path / "out" / "annotated.mp4"
    sightings, examined = search_video(bundle, finder.detector, reference, str(clip), every=2, threshold=0.0,
                                       annotate=out)  # fmt: skip
    fps, frames = _frames(out)
    assert len(frames) == examined == 15 and fps == pytest.approx(FPS / 2)  # as long as the source
    assert sorted(p.name for p in out.parent.iterdir()) == ["annotated.mp4"]  # no partial file left
    green = np.array([60, 200, 60])

    def green_pixels(frame):
        return int((np.abs(frame.astype(int) - green).max(axis=2) < 40).sum())

    # examined frames 10, 12, ... 18 (clip frames 5-9) show the face boxed in green; the empty room none
    assert all(green_pixels(frames[i]) > 200 for i in range(5, 10))
    assert all(green_pixels(frames[i]) < 20 for i in [*range(0, 5), *range(10, 15)])
    x0, y0, x1, _ = (round(v) for v in sightings[0].box)
    edge = frames[5][y0 - 1 : y0 + 2, x0 + 5 : x1 - 5]  # the top edge of the first sighting's box
    assert (np.abs(edge.astype(int) - green).max(axis=2) < 60).mean() > 0.5


def test_below_the_threshold_faces_are_boxed_in_red_and_bad_names_refused(tools, clip, tmp_path):
    bundle, finder, reference = tools
    out = tmp_path / "annotated.avi"
    sightings, _ = search_video(bundle, finder.detector, reference, str(clip), every=5, threshold=1.01,
                                annotate=out)  # fmt: skip
    _, frames = _frames(out)
    assert sightings == [] and len(frames) == 6
    red = np.array([60, 60, 230])
    assert (np.abs(frames[2].astype(int) - red).max(axis=2) < 60).sum() > 200  # frame 10: the face, not him
    with pytest.raises(FacecompareError, match=r"clip\.gif: an annotated clip must be \.mp4 or \.avi"):
        search_video(bundle, finder.detector, reference, str(clip), annotate=tmp_path / "clip.gif")


def test_an_interrupted_search_keeps_a_playable_clip_and_a_failed_one_leaves_none(tools, clip, tmp_path, monkeypatch):
    import facecompare.inference.video as video

    bundle, finder, reference = tools
    real = video.sampled_frames

    def stop_after(count, error):
        def frames(*args, **kwargs):
            for n, item in enumerate(real(*args, **kwargs)):
                if n == count:
                    raise error
                yield item

        return frames

    monkeypatch.setattr(video, "sampled_frames", stop_after(7, KeyboardInterrupt()))  # Ctrl-C on a webcam
    out = tmp_path / "live.mp4"
    sightings, examined = search_video(bundle, finder.detector, reference, str(clip), every=2, threshold=0.0,
                                       annotate=out)  # fmt: skip
    assert examined == 7 and [s.frame for s in sightings] == [10, 12] and len(_frames(out)[1]) == 7
    monkeypatch.setattr(video, "sampled_frames", stop_after(3, RuntimeError("camera unplugged")))
    broken = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError, match="camera unplugged"):
        search_video(bundle, finder.detector, reference, str(clip), every=2, annotate=broken, batch=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.mp4"]


def test_a_file_without_frames_is_bad_input_not_a_search_that_found_nobody(tiny_bundle, tools, photos, capsys):
    bundle, finder, reference = tools
    with pytest.raises(FacecompareError, match=r"notes\.jpg: no frames could be decoded \(not a video"):
        search_video(bundle, finder.detector, reference, str(photos / "notes.jpg"))
    with pytest.raises(FacecompareError, match="max_frames must be at least 1, got 0"):
        search_video(bundle, finder.detector, reference, str(photos / "notes.jpg"), max_frames=0)
    args = ["search-video", str(photos / "notes.jpg"), "--image", str(photos / "astronaut.jpg")]
    assert main([*args, "--model", str(tiny_bundle)]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    expected = f"{photos / 'notes.jpg'}: no frames could be decoded (not a video, or a format OpenCV cannot read)"
    assert out == "" and err == f"error: {expected}\n"  # one line: ffmpeg's own complaints go to fd 2, not here


def test_a_thumbnails_file_is_refused_before_the_search(tiny_bundle, tools, photos, clip, tmp_path, capsys):
    bundle, finder, reference = tools
    taken = tmp_path / "hits"
    taken.write_text("someone else's file")
    # no face reaches a threshold above 1: before, the folder was only made, and failed, at the first match
    with pytest.raises(FacecompareError, match=r"hits: exists and is not a folder"):
        search_video(bundle, finder.detector, reference, str(clip), threshold=1.01, thumbnails=taken)
    args = ["search-video", str(clip), "--image", str(photos / "astronaut.jpg"), "--model", str(tiny_bundle)]
    assert main([*args, "--threshold", "0", "--thumbnails", str(taken)]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {taken}: exists and is not a folder; thumbnails need a folder\n"
    assert taken.read_text() == "someone else's file"


def test_detector_none_scores_the_whole_frame(tiny_bundle, tools, photos, clip, capsys):
    # frames 10-19 hold the 240 px astronaut in their centred 240 px square: the crop detector=none takes
    bundle, _, _ = tools
    finder = FaceFinder(make_detector("none", bundle.meta), bundle.size)
    (face,) = finder.find([photos / "astronaut.jpg"])
    sightings, examined = search_video(bundle, finder.detector, bundle.embed(face.crop[None]), str(clip), every=2,
                                       threshold=0.0)  # fmt: skip
    assert examined == 15 and len(sightings) == 15  # every frame is one face: the frame itself
    scores = {s.frame: s.score for s in sightings}
    assert min(scores[f] for f in range(10, 20, 2)) > max(s for f, s in scores.items() if not 10 <= f < 20)
    assert sightings[0].box == (0.0, 0.0, 320.0, 240.0)
    args = ["search-video", str(clip), "--image", str(photos / "astronaut.jpg"), "--model", str(tiny_bundle)]
    assert main([*args, "--detector", "none", "--every", "10", "--threshold", "0", "--json"]) == EXIT_MATCH
    assert [s["frame"] for s in json.loads(capsys.readouterr().out)["sightings"]] == [0, 10, 20]


@pytest.mark.slow
def test_faces_mostly_outside_the_frame_or_tiny_are_dropped_and_counted(tiny_bundle, tools, photos, tmp_path, capsys):
    # MTCNN finds the astronaut's face with probability 1.0 when 53 % of it is past the left edge, and at 20 px:
    # both were scored, and reported at any threshold, like the flag patch of a lobby video
    face = cv2.resize(data.astronaut(), (240, 240))
    frames = [np.full((240, 320, 3), 90, np.uint8) for _ in range(3)]
    frames[0][:, :146] = face[:, 94:]  # the face's box from x = -29 to 27
    frames[1][10:130, 10:130] = cv2.resize(data.astronaut(), (120, 120), interpolation=cv2.INTER_AREA)
    frames[2][:, 40:280] = face
    path = tmp_path / "edges.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (320, 240))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    bundle, finder, reference = tools
    faces = FaceFilter()
    sightings, examined = search_video(bundle, finder.detector, reference, str(path), every=1, threshold=0.0,
                                       face_filter=faces)  # fmt: skip
    assert examined == 3 and [s.frame for s in sightings] == [2]
    assert faces.dropped == {"outside_frame": 1, "too_small": 1}
    args = ["search-video", str(path), "--image", str(photos / "astronaut.jpg"), "--model", str(tiny_bundle)]
    assert main([*args, "--every", "1", "--threshold", "0", "--json"]) == EXIT_MATCH
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert [s["frame"] for s in report["sightings"]] == [2]
    assert report["detections"]["dropped"] == {
        "low_probability": 0,
        "too_small": 1,
        "outside_frame": 1,
        "low_quality": 0,
    }
    assert "dropped 2 detections: 1 less than 75% inside the frame, 1 smaller than 40 px" in err
    loose = ["--min-size", "8", "--min-inside", "0.4"]
    assert main([*args, "--every", "1", "--threshold", "0", "--json", *loose]) == EXIT_MATCH
    assert [s["frame"] for s in json.loads(capsys.readouterr().out)["sightings"]] == [0, 1, 2]


def test_faces_below_the_minimum_quality_are_skipped_and_counted(tools, clip):
    import dataclasses

    bundle, finder, reference = tools
    with pytest.raises(FacecompareError, match="a minimum face quality needs a quality model"):
        search_video(bundle, finder.detector, reference, str(clip), every=5, face_filter=FaceFilter(min_quality=0.5))
    axes = np.eye(bundle.meta["embedding"]["size"])
    quality = EmbeddingQuality(axes[0], 0.0, 1.0, axes[1], 0.5, refuse_below=0.3).to_json()
    rated = dataclasses.replace(bundle, meta={**bundle.meta, "quality": quality})
    everyone = FaceFilter()
    seen, _ = search_video(rated, finder.detector, reference, str(clip), every=5, threshold=0.0, face_filter=everyone)
    strict = FaceFilter(min_quality=1.0)  # no face reaches 1.0: each one found is counted, none scored
    none, examined = search_video(rated, finder.detector, reference, str(clip), every=5, threshold=0.0,
                                  face_filter=strict)  # fmt: skip
    assert examined == 6 and seen and none == [] and strict.dropped["low_quality"] == len(seen)
