"""Dreaming video: the optical flow helpers, the three modes, the command line, resuming, and bad input."""

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from deepdream import flow
from deepdream import video as dv
from tests.helpers import ffmpeg, run_cli, run_main, streams, with_ctrl_c

ROOT = Path(__file__).resolve().parents[1]
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
TINY = flow.VideoDream(octaves=1, octave_steps=2, steps=1)  # a frame in a fraction of a second
TINY_OPTIONS = ["--octaves", "1", "--octave-steps", "2", "--steps", "1", "-q"]




def _test_clip(path, size="161x121", seconds=1, rate=12, audio=True, codec=("-c:v", "ffv1")):
    """ffmpeg's test pattern (and a tone), odd-sized by default: ffv1 in Matroska takes any size."""
    sources = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]
    if audio:
        sources += ["-f", "lavfi", "-i", "sine=frequency=440"]
    ffmpeg(*sources, "-t", seconds, *codec, *(["-c:a", "aac"] if audio else []), path)
    return path
















def test_command_line_keeps_rate_and_audio_and_evens_an_odd_size(tmp_path):
    source = _test_clip(tmp_path / "in.mkv")
    result = run_main(source, "-o", tmp_path / "out.mp4", "--max-side", "161", *TINY_OPTIONS)
    assert result.returncode == 0, result.stderr
    assert "audio kept" in result.stdout
    meta, frames = streams(tmp_path / "out.mp4")
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p") and meta["audio_codec"] == "aac"
    assert meta["fps"] == 12 and meta["size"] == (160, 120) and len(frames) == 12
    sidecar = (tmp_path / "out.mp4.json").read_text()
    assert '"frames": 12' in sidecar and '"mode": "flow"' in sidecar
    assert not (tmp_path / "out.mp4.frames").exists(), "the work folder is removed once the video is written"


def test_options_before_the_video_path_still_dream_the_video(tmp_path):
    source = _test_clip(tmp_path / "in.mp4", size="96x64", seconds=0.25, audio=False, codec=("-c:v", "libx264"))
    result = run_main("--layers", "mixed3", *TINY_OPTIONS, source, "-o", tmp_path / "d.mp4")
    assert result.returncode == 0, result.stderr
    assert streams(tmp_path / "d.mp4")[0]["size"] == (96, 64)


def test_a_clip_without_audio_and_a_part_of_it(tmp_path):
    source = _test_clip(tmp_path / "silent.mkv", size="96x64", seconds=2, audio=False)
    result = run_main(source, "--video", "-o", tmp_path / "part.mp4", "--start", "0.5", "--end", "1.25",
                        *TINY_OPTIONS)
    assert result.returncode == 0, result.stderr
    meta, frames = streams(tmp_path / "part.mp4")
    assert "audio_codec" not in meta and len(frames) == 9  # 0.75 s at 12 frames a second




def test_two_runs_of_a_clip_give_byte_identical_videos_and_sidecars(tmp_path):
    source = _test_clip(tmp_path / "in.mkv", size="96x64")
    records = [dv.dream_video(source, tmp_path / f"run{run}.mp4", settings=TINY, progress=False) for run in (1, 2)]
    assert (tmp_path / "run1.mp4").read_bytes() == (tmp_path / "run2.mp4").read_bytes()
    sidecars = [json.loads((tmp_path / f"run{run}.mp4.json").read_text()) for run in (1, 2)]
    for sidecar in sidecars:
        assert sidecar.pop("seconds") > 0 and Path(sidecar.pop("output")).name.startswith("run")
    assert sidecars[0] == sidecars[1] and records[0]["frames"] == 12


def test_interrupted_run_writes_the_video_so_far_and_resume_finishes_it_exactly(tmp_path, monkeypatch):
    source = _test_clip(tmp_path / "in.mkv", size="96x64")
    whole = dv.dream_video(source, tmp_path / "whole.mp4", settings=TINY, progress=False)
    original = dv.dream_frames

    def stopped_after_five(*args, **kwargs):
        for count, frame in enumerate(original(*args, **kwargs)):
            if count == 5:
                raise KeyboardInterrupt
            yield frame

    monkeypatch.setattr(dv, "dream_frames", stopped_after_five)
    first = dv.dream_video(source, tmp_path / "resumed.mp4", settings=TINY, progress=False)
    assert first["interrupted"] and first["frames"] == 5 and len(streams(tmp_path / "resumed.mp4")[1]) == 5
    assert len(list(dv.work_folder(tmp_path / "resumed.mp4").glob("frame_*.png"))) == 5
    with pytest.raises(ValueError, match="pass --resume to continue"):
        dv.dream_video(source, tmp_path / "resumed.mp4", settings=TINY, progress=False)
    with pytest.raises(ValueError, match="Cannot resume: .* other parameters"):
        dv.dream_video(source, tmp_path / "resumed.mp4", settings=flow.VideoDream(octaves=1, octave_steps=2, steps=2),
                       resume=True, progress=False)
    monkeypatch.setattr(dv, "dream_frames", original)
    last = dv.dream_video(source, tmp_path / "resumed.mp4", settings=TINY, resume=True, progress=False)
    assert not last["interrupted"] and last["frames"] == whole["frames"] == 12
    resumed, uninterrupted = streams(tmp_path / "resumed.mp4")[1], streams(tmp_path / "whole.mp4")[1]
    assert all(np.array_equal(a, b) for a, b in zip(resumed, uninterrupted))


@pytest.mark.slow
def test_sigint_during_the_dream_keeps_the_frames_and_says_how_to_go_on(tmp_path):
    source = _test_clip(tmp_path / "in.mkv", size="96x64", seconds=4)
    process = subprocess.Popen([sys.executable, "-m", "deepdream.cli", str(source), "-o", str(tmp_path / "o.mp4"),
                                *TINY_OPTIONS], cwd=ROOT, stderr=subprocess.PIPE, text=True, preexec_fn=with_ctrl_c)
    folder = dv.work_folder(tmp_path / "o.mp4")
    for _ in range(600):
        if len(list(folder.glob("frame_*.png"))) >= 3:
            break
        try:
            process.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            pass
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130 and "--resume" in stderr and "Traceback" not in stderr
    assert (tmp_path / "o.mp4").exists() and folder.is_dir()


@pytest.mark.parametrize("make, pattern", [
    (lambda p: p.write_text("these are my notes\n" * 40), r"is not a video ffmpeg can read"),
    (lambda p: p.write_bytes(b""), r"is empty \(0 bytes\)"),
    (lambda p: p.write_bytes(_test_clip(p.with_name("whole.mp4"), size="96x64", codec=(
        "-c:v", "libx264", "-pix_fmt", "yuv420p")).read_bytes()[:900]), r"not a video ffmpeg can read|no frames"),
    (lambda p: ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=12", "-frames:v", 0, "-c:v", "libx264",
                       "-pix_fmt", "yuv420p", p), r"not a video ffmpeg can read|no frames"),  # zero frames
    (lambda p: ffmpeg("-f", "lavfi", "-i", "sine=frequency=440", "-t", 1, "-c:a", "aac", p),
     r"not a video ffmpeg can read"),  # sound only
    (lambda p: Image.new("RGB", (96, 64), "red").save(p, format="JPEG"), r"is a still picture \(JPEG\)"),
    (lambda p: _test_clip(p.with_suffix(".mkv"), size="40x30").rename(p), r"need at least 43 pixels"),
])
def test_bad_input_gets_one_clear_line_and_no_output(tmp_path, make, pattern):
    source = tmp_path / "clip.mp4"
    make(source)
    before = source.read_bytes()
    result = run_main(source, "-o", tmp_path / "out.mp4", *TINY_OPTIONS)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("deepdream: error:") and len(result.stderr.strip().splitlines()) == 1
    assert __import__("re").search(pattern, result.stderr), result.stderr
    assert not (tmp_path / "out.mp4").exists() and source.read_bytes() == before


def test_a_file_that_is_not_a_video_is_said_at_once_before_tensorflow_loads(tmp_path):
    (tmp_path / "notes.mp4").write_text("these are my notes\n" * 40)
    result = subprocess.run([sys.executable, "-c", "import sys; from deepdream import cli; status = cli.main("
                             f"[{str(tmp_path / 'notes.mp4')!r}, '-o', {str(tmp_path / 'o.mp4')!r}]); "
                             "print(status, 'tensorflow' in sys.modules)"], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["1", "False"] and "is not a video ffmpeg can read" in result.stderr


def test_output_equal_to_input_or_someone_elses_file_is_refused(tmp_path):
    source = _test_clip(tmp_path / "in.mp4", size="96x64", codec=("-c:v", "libx264", "-pix_fmt", "yuv420p"))
    before = source.read_bytes()
    same = run_main(source, "-o", source, *TINY_OPTIONS)
    assert same.returncode == 1 and "Refusing to overwrite the input video" in same.stderr
    (tmp_path / "mine.mp4").write_bytes(b"my own film")
    other = run_main(source, "-o", tmp_path / "mine.mp4", *TINY_OPTIONS)
    assert other.returncode == 1 and (tmp_path / "mine.mp4").read_bytes() == b"my own film"
    assert source.read_bytes() == before


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


@pytest.mark.slow
def test_a_full_disk_while_dreaming_gives_a_clear_error_and_no_video(tmp_path):
    source = _test_clip(tmp_path / "in.mkv", size="160x120")
    result = run_cli(source, "-o", tmp_path / "out.mp4", *TINY_OPTIONS, preexec_fn=_limit_file_size)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("deepdream: error: Could not save") and not (tmp_path / "out.mp4").exists()


