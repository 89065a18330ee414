"""deepdream.live_command: ``deepdream live SOURCE``, from a file at its own pace, a missing camera, and ``--serve``."""

import json
import signal
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import deepdream_utils as dd
from tests.helpers import DeepdreamCommand, duration_and_frames, free_port, pan_clip, run_cli


@pytest.fixture(scope="module")
def mountain() -> np.ndarray:
    return dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=1024)


@pytest.mark.slow
def test_a_file_dreamed_slower_than_it_plays_drops_frames_keeps_its_duration_and_bounds_the_latency(
        mountain, tmp_path):
    clip = pan_clip(mountain, tmp_path / "pan.mp4", frames=60, fps=30)
    output = tmp_path / "live.mp4"
    done = run_cli("live", str(clip), "-o", str(output), "--width", "256", "--steps", "2", "-q")
    assert done.returncode == 0, done.stderr
    assert "the source ended" in done.stderr and "dropped" in done.stderr
    sidecar = json.loads(Path(str(output) + ".json").read_text())
    rows = sidecar["frames"]["rows"]  # number, captured, shown, dream seconds
    seconds, frames = duration_and_frames(output)
    assert frames - 1 == sidecar["frames_shown"] == len(rows) < 60, "frames that came during a dream are dropped"
    latencies = [shown - captured for _, captured, shown, _ in rows]
    assert seconds == pytest.approx(2.0, abs=max(latencies) - min(latencies) + 0.1)
    for i, (_, _, _, dreaming) in enumerate(rows):  # waited for one dream at most, then was dreamed
        bound = dreaming + (rows[i - 1][3] if i else 0.0) + 0.15
        assert latencies[i] <= bound, f"frame {rows[i][0]} was {latencies[i]:.2f} s old when shown"


def test_a_missing_camera_or_a_silent_url_gets_one_clear_line_and_exit_status_1():
    for source in ("7", f"http://127.0.0.1:{free_port()}/camera.mjpg"):
        done = run_cli("live", source)
        assert done.returncode == 1
        assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("deepdream live: error: "), done.stderr


@pytest.mark.slow
def test_serve_shows_the_dream_as_mjpeg_and_ctrl_c_closes_the_recording(mountain, tmp_path):
    clip = pan_clip(mountain, tmp_path / "long.mp4", frames=600, fps=30)
    output = tmp_path / "shown.mp4"
    command = DeepdreamCommand(["live", str(clip), "--serve", "--port", "0", "-o", str(output), "--width", "128",
                                "-q"], "The live dream on http://")
    try:
        url = command.ready_line.split()[-1]
        with urllib.request.urlopen(url, timeout=60) as stream:
            assert stream.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            head = stream.read(200)
            assert b"Content-Type: image/jpeg" in head and b"\xff\xd8" in head
        time.sleep(1.0)
        command.process.send_signal(signal.SIGINT)
        assert command.process.wait(timeout=60) == 130
    finally:
        command.kill()
    seconds, frames = duration_and_frames(output)
    sidecar = json.loads(Path(str(output) + ".json").read_text())
    assert frames - 1 == sidecar["frames_shown"] > 0
    assert seconds == pytest.approx(sidecar["seconds_recorded"], abs=0.01)
    assert "stopped" in "".join(command.lines)
