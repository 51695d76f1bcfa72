"""The annotated clip is legible: the time shows on white, labels stay inside the frame, and .mp4 is H.264
where OpenCV can write it, without FFmpeg's complaints on the terminal where it cannot."""

import cv2
import numpy as np

from facecompare.inference import video_clip
from facecompare.inference.video_clip import FONT, AnnotatedClip, codec_note, open_writer


def _written(tmp_path, frame, boxes, name="clip.avi"):
    clip = AnnotatedClip(tmp_path / name, 5.0)
    for _ in range(3):
        clip.add(frame, 1.5, boxes)
    clip.close(complete=True)
    ok, image = cv2.VideoCapture(str(tmp_path / name)).read()
    assert ok
    return image


def test_the_time_is_legible_on_a_white_frame(tmp_path):
    image = _written(tmp_path, np.full((240, 320, 3), 255, np.uint8), [])
    corner = image[:30, :90].astype(int)
    # white text alone vanished on white: the outline must show as dark pixels around it
    assert (corner.max(axis=2) < 80).sum() > 100


def test_a_label_at_the_frame_edge_is_shown_whole(tmp_path):
    grey = np.full((240, 320, 3), 90, np.uint8)
    image = _written(tmp_path, grey, [((-12.0, 60.0, 48.0, 130.0), 0.68, False)])  # a face past the left edge
    label = np.abs(image[30:56].astype(int) - 90).max(axis=2) > 40  # above the box, where its label goes
    columns = np.flatnonzero(label.any(axis=0))
    (width, _), _ = cv2.getTextSize("0.68", FONT, 0.5, 1)
    assert columns.max() - columns.min() >= width  # it started at the box's left edge, off the frame


class _OnlyH264Writer:
    """A VideoWriter of a build that can encode H.264 and nothing else."""

    def __init__(self, path, fourcc, fps, size):
        self.fourcc = fourcc

    def isOpened(self):
        return self.fourcc == cv2.VideoWriter_fourcc(*"avc1")

    def release(self):
        pass


def test_mp4_clips_are_h264_where_opencv_can_write_it(tmp_path, monkeypatch):
    monkeypatch.setattr(video_clip.cv2, "VideoWriter", _OnlyH264Writer)
    assert open_writer(tmp_path / "a.mp4", 5.0, (64, 48))[1] == "avc1"
    assert open_writer(tmp_path / "a.avi", 5.0, (64, 48)) is None  # .avi is Motion JPEG only


def test_the_fallback_says_which_codec_and_leaves_no_ffmpeg_noise(tmp_path, capfd):
    image = _written(tmp_path, np.full((48, 64, 3), 128, np.uint8), [], name="clip.mp4")
    assert image.shape == (48, 64, 3)
    note = codec_note(tmp_path / "clip.mp4")
    assert note == "H.264" or note.startswith("MPEG-4 Part 2: this OpenCV has no H.264 encoder")
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # a failed H.264 attempt printed four lines of FFmpeg and OpenCV errors
