"""Reading and writing video with the bundled ffmpeg: a constant frame rate, and nothing half-written."""

import numpy as np
import pytest

from deepdream import videofiles
from tests.helpers import ffmpeg, streams


def test_variable_frame_rate_is_read_at_a_constant_rate(tmp_path):
    source = tmp_path / "vfr.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=12", "-t", 1, "-vf",
            "setpts='if(eq(mod(N,2),0),N,N+0.4)/(12*TB)'", "-fps_mode", "passthrough", "-c:v", "ffv1", source)
    info = videofiles.probe_video(source)
    frames = list(videofiles.read_frames(source, info, (96, 64)))
    assert abs(len(frames) - round(info.duration * info.fps)) <= 1


def test_a_full_disk_while_writing_the_video_leaves_no_half_written_file(tmp_path):
    frames = [np.full((64, 96, 3), value, np.uint8) for value in range(0, 250, 10)]

    def disk_fills_up():
        yield from frames[:12]
        raise OSError(28, "No space left on device")

    (tmp_path / "out.mp4").write_bytes(b"")  # even an earlier file of that name is left as it was
    with pytest.raises(OSError, match=r"Could not save .*No space left on device.*Nothing was left"):
        videofiles.write_video(disk_fills_up(), tmp_path / "out.mp4", 12.0, (96, 64))
    assert (tmp_path / "out.mp4").read_bytes() == b""
    assert [path.name for path in tmp_path.iterdir()] == ["out.mp4"], "a temporary file was left behind"
    videofiles.write_video(frames, tmp_path / "out.mp4", 12.0, (96, 64))
    assert len(streams(tmp_path / "out.mp4")[1]) == len(frames)


def test_a_text_file_is_refused_not_drawn_as_a_terminal_would(tmp_path):
    notes = tmp_path / "notes.txt"  # ffmpeg's tty demuxer would read it as 640x400 "ANSI art" frames
    notes.write_text("not a clip\n" * 50)
    with pytest.raises(ValueError, match=r"'.*notes.txt' is text, not a video: export the clip as MP4"):
        videofiles.probe_video(notes)
