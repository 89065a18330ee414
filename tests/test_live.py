"""deepdream.live: the live dreamer, its sources, the recorder and the broadcast."""

import time

import cv2
import numpy as np
import pytest

import deepdream_utils as dd
from deepdream import flow, live
from tests.helpers import duration_and_frames, pan_clip


@pytest.fixture(scope="module")
def mountain() -> np.ndarray:
    return dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=1024)


# --------------------------------------------------------------------------- settings and the dreamer


def test_settings_refuse_steps_or_widths_that_cannot_be_live_with_a_clear_error():
    with pytest.raises(ValueError, match="steps must be a whole number from 1 to 4"):
        live.LiveSettings(steps=10)
    with pytest.raises(ValueError, match="width must be a whole number from 96 to 640"):
        live.LiveSettings(width=1920)
    with pytest.raises(ValueError, match="strength"):
        live.LiveSettings(strength=0)
    with pytest.raises(ValueError, match="folds"):
        live.LiveSettings(folds=30)


def test_frame_size_keeps_the_aspect_with_even_sides():
    assert live.LiveSettings(width=320).frame_size(1280, 720) == (320, 180)
    assert live.LiveSettings(width=256).frame_size(640, 480) == (256, 192)
    assert live.LiveSettings(width=100).frame_size(333, 200) == (100, 60)


def test_a_frame_is_dreamed_at_the_settings_width_and_differs_from_the_camera(mountain):
    frame = flow.panning_clip(mountain, frames=1, size=(640, 360))[0]
    dreamer = live.LiveDreamer(live.LiveSettings(width=256))
    dreamed = dreamer.dream(frame)
    assert dreamed.shape == (144, 256, 3) and dreamed.dtype == np.uint8
    small = cv2.resize(frame, (256, 144), interpolation=cv2.INTER_AREA)
    assert np.abs(dreamed.astype(float) - small).mean() > 1.0
    assert set(dreamer.seconds) == {"resize", "flow", "dream"}


def test_each_frame_carries_the_last_ones_dream_so_patterns_build_up(mountain):
    frame = flow.panning_clip(mountain, frames=1, size=(256, 144))[0]
    dreamer = live.LiveDreamer(live.LiveSettings(width=256))
    changes = [np.abs(dreamer.dream(frame).astype(float) - frame).mean() for _ in range(3)]
    assert changes[0] < changes[1] < changes[2], changes
    dreamer.reset()  # the next frame starts without carried detail
    again = np.abs(dreamer.dream(frame).astype(float) - frame).mean()
    assert again == pytest.approx(changes[0], abs=0.05)


def test_a_new_size_or_layer_starts_afresh_without_carried_detail(mountain):
    frame = flow.panning_clip(mountain, frames=1, size=(256, 144))[0]
    dreamer = live.LiveDreamer(live.LiveSettings(width=256))
    first = dreamer.dream(frame)
    dreamer.dream(frame)
    assert dreamer.dream(frame, live.LiveSettings(width=128)).shape == (72, 128, 3)
    assert np.array_equal(dreamer.dream(frame, live.LiveSettings(width=256)), first)  # afresh: as the first frame


def test_a_live_kaleidoscope_is_symmetric(mountain):
    frame = flow.panning_clip(mountain, frames=1, size=(256, 144))[0]
    dreamed = live.LiveDreamer(live.LiveSettings(width=256, mirror=True)).dream(frame)
    assert np.abs(dreamed.astype(int) - dreamed[:, ::-1]).max() <= 1


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize("source, message", [
    ("7", "There is no camera 7 on this machine"),
    ("http://127.0.0.1:9/camera.mjpg", "did not answer with video within 5 s"),
    ("no_such_clip.mp4", "There is no video file 'no_such_clip.mp4'"),
    ("README.md", "is not a video OpenCV can read"),
])
def test_a_source_that_cannot_be_read_gets_one_clear_error(source, message):
    with pytest.raises(ValueError, match=message):
        live.open_source(source)


def test_a_file_is_read_at_its_own_pace_and_a_slow_reader_gets_only_the_newest_frame(mountain, tmp_path):
    clip = pan_clip(mountain, tmp_path / "pan.mp4", frames=30, fps=30)
    source = live.LatestFrame(*live.open_source(str(clip))).start()
    taken = []
    try:
        while (got := source.newest(taken[-1] if taken else -1)) is not None:
            taken.append(got[0])
            time.sleep(0.1)  # a dream slower than the source
        elapsed = time.monotonic() - source.started
    finally:
        source.close()
    assert source.captured == 30 and elapsed >= 0.95, "a 1 s clip is read in real time, not at once"
    assert taken == sorted(set(taken)) and len(taken) < 20 and source.dropped == 30 - len(taken)
    assert taken[-1] >= 26, "the frame taken is the newest, not the next in a queue"


# --------------------------------------------------------------------------- recording and broadcasting


def test_a_recording_lasts_the_time_recorded_each_frame_as_long_as_it_was_shown(tmp_path):
    recorder = live.Recorder()
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30)]
    for shown, colour in zip((100.0, 100.5, 100.6, 101.5), colours):
        recorder.add(live.encode_jpeg(np.full((72, 128, 3), colour, np.uint8)), shown)
    recorder.stop(102.0)
    assert recorder.seconds == pytest.approx(2.0)
    seconds, frames = duration_and_frames(recorder.write(tmp_path / "recorded.mp4"))
    assert seconds == pytest.approx(2.0, abs=0.01) and frames == 4 + 1  # the last once more, at the stop


def test_a_recording_of_nothing_says_so(tmp_path):
    with pytest.raises(ValueError, match="Nothing was recorded"):
        live.Recorder().write(tmp_path / "empty.mp4")
    assert not (tmp_path / "empty.mp4").exists()


def test_a_broadcast_gives_each_viewer_the_newest_picture():
    broadcast = live.Broadcast()
    assert broadcast.next(0, timeout=0.01) == (0, None)
    broadcast.publish(b"one")
    broadcast.publish(b"two")
    assert broadcast.next(0) == (2, b"two")
    broadcast.end()
    assert broadcast.next(2, timeout=5) == (2, b"two")  # at once: it ended
