"""Reading and writing video with the ffmpeg bundled in ``imageio-ffmpeg``: nothing to install.

Frames are read at a constant rate (a variable-rate clip at its average rate), scaled to even sides;
the result is H.264 MP4 (yuv420p, ``+faststart``) that browsers and phones play, with the source's
audio copied as AAC, written atomically by ``deepdream.files.write_atomically``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from deepdream.files import SUITE_MARK, write_atomically

TEXT_CODECS = ("ansi", "bintext", "xbin", "idf", "tty")  # ffmpeg's decoders of text files (ANSI art)


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What ffmpeg says of a video file."""

    width: int
    height: int
    fps: float
    duration: float  # seconds
    audio: bool  # has an audio track


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Reads a video's size, frame rate, duration and whether it has audio; a clear ValueError if it cannot."""
    import imageio_ffmpeg
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No video at '{path}'. Check the path.")
    if path.is_dir():
        raise ValueError(f"'{path}' is a folder, not a video file.")
    if path.stat().st_size == 0:
        raise ValueError(f"'{path}' is empty (0 bytes): copy the video again.")
    try:
        with Image.open(path) as still:
            if getattr(still, "n_frames", 1) == 1:
                raise ValueError(f"'{path}' is a still picture ({still.format}), not a video: dream it with "
                                 f"`deepdream {path}` instead.")
    except (UnidentifiedImageError, OSError):
        pass
    try:
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        reader.close()
    except (OSError, RuntimeError, StopIteration):
        raise ValueError(f"'{path}' is not a video ffmpeg can read (or it is corrupt): "
                         "export it again as MP4 (H.264).") from None
    if str(meta.get("codec", "")).rstrip(",") in TEXT_CODECS:  # ffmpeg draws a .txt file as a terminal would
        raise ValueError(f"'{path}' is text, not a video: export the clip as MP4 (H.264).")
    fps, duration = float(meta.get("fps") or 0), float(meta.get("duration") or 0)
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"'{path}' has no frame rate ffmpeg can read: export it again as MP4 (H.264).")
    width, height = meta["size"]
    return VideoInfo(int(width), int(height), fps, duration, bool(meta.get("audio_codec")))


def frame_size(info: VideoInfo, max_side: int | None) -> tuple[int, int]:
    """(width, height) of the dreamed frames: shrunk to ``max_side``, then made even, as H.264 needs."""
    scale = 1.0 if max_side is None else min(1.0, max_side / max(info.width, info.height))
    width, height = max(2, round(info.width * scale)), max(2, round(info.height * scale))
    return width - width % 2, height - height % 2


def read_frames(path: Path, info: VideoInfo, size: tuple[int, int], start: float = 0.0,
                end: float | None = None) -> Iterator[np.ndarray]:
    """The frames of a video as uint8 RGB (height, width, 3), at a constant frame rate (variable-rate
    clips are resampled to their average rate), scaled to ``size``, from ``start`` to ``end`` seconds."""
    import imageio_ffmpeg

    width, height = size
    output = ["-vf", f"fps={info.fps:.6f},scale={width}:{height}:flags=area"]
    if end is not None:
        output = ["-t", f"{end - start:.3f}", *output]
    reader = imageio_ffmpeg.read_frames(str(path), input_params=["-ss", f"{start:.3f}"] if start else None,
                                        output_params=output)
    next(reader)
    frame_bytes = width * height * 3
    try:
        for data in reader:
            if len(data) == frame_bytes:
                yield np.frombuffer(data, np.uint8).reshape(height, width, 3)
    finally:
        reader.close()


def write_video(frames: Iterable[np.ndarray], output: Path, fps: float, size: tuple[int, int],
                audio_from: Path | None = None, start: float = 0.0, duration: float | None = None) -> Path:
    """Writes uint8 frames as H.264 MP4 (yuv420p, playable in browsers and phones), with the audio of
    ``audio_from`` from ``start`` for ``duration`` if given; atomically: a failure (a full disk) leaves
    no file under ``output``."""
    import imageio_ffmpeg

    mark = ["-metadata", f"comment={SUITE_MARK}", "-f", "mp4"]  # so that a later run may replace it

    def encode(target: Path) -> None:
        silent = target.with_name(target.name + ".video.tmp") if audio_from is not None else target
        try:
            writer = imageio_ffmpeg.write_frames(
                str(silent), size, fps=fps, codec="libx264", quality=None, macro_block_size=2,
                output_params=["-crf", "20", "-preset", "veryfast", "-movflags", "+faststart", *mark])
            writer.send(None)
            try:
                for frame in frames:
                    writer.send(np.ascontiguousarray(frame))
            finally:
                writer.close()  # ffmpeg finishes (or stops) before its file is renamed or removed
            if audio_from is not None:
                trim = ["-ss", f"{start:.3f}"] + (["-t", f"{duration:.3f}"] if duration else [])
                subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "mp4", "-i", str(silent),
                                *trim, "-i", str(audio_from), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
                                "-c:a", "aac", "-shortest", "-movflags", "+faststart", *mark, str(target)],
                               check=True, capture_output=True, text=True)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", None) or error
            raise OSError(f"ffmpeg failed: {str(detail).strip()[-300:]}") from None
        finally:
            if silent != target:
                silent.unlink(missing_ok=True)

    try:
        return write_atomically(output, encode, overwrite=True, suffixes=(".mp4",), to_path=True)
    except OSError as error:
        raise OSError(f"{error} Nothing was left under that name.") from None
