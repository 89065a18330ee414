"""Dreaming live: a camera, a video file or a stream dreamed as it comes, the newest frame only.

A live dream is the video module's flow-coherent method run small and fast: each frame gets a step or
two, starting from the frame plus the last frame's dream detail carried along the optical flow
(``deepdream.flow``), so the patterns build up over the frames and stick to what moves. Frames that
arrive while one is being dreamed are dropped, never queued: the latency stays one dream at most.

* ``LiveSettings`` and ``LiveDreamer``: the settings, and the dreamer that keeps the last frame's state.
* ``open_source`` and ``LatestFrame``: a camera index, a video file (read at its own pace) or a stream URL,
  read by OpenCV in a thread that keeps only the newest frame.
* ``Recorder``: the frames shown, with the times they were shown, into an H.264 MP4 whose duration is
  the time recorded (ffmpeg's concat demuxer, one duration a frame).
* ``Broadcast``: the newest dreamed JPEG, for the web app's MJPEG stream (``/live.mjpg``).

The command ``deepdream live SOURCE`` is ``deepdream.live_command``.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from deepdream import checks
from deepdream.files import SUITE_MARK, jpeg_bytes, write_atomically
from deepdream.flow import carried
from deepdream.transforms import Symmetry

MIN_WIDTH, MAX_WIDTH = 96, 640
MAX_STEPS = 4
OPEN_TIMEOUT_MS = 5000  # a stream URL that does not answer within this is refused


@dataclasses.dataclass(frozen=True)
class LiveSettings:
    """How each live frame is dreamed.

    Attributes:
        layer: the layer whose activations grow (InceptionV3; mixed3 is fast and lively).
        strength: each step's change, in gradient standard deviations (``deepdream.dream.dream``'s step_size).
        steps: dream steps a frame (1 or 2 keep it live on a CPU).
        width: frames are shrunk to this width, pixels (the height keeps the aspect, even).
        folds, mirror: the kaleidoscope's symmetry (folds 1 and no mirror: none).
        carry: share of the last frame's dream detail carried along the flow into the next frame.
        seed: seeds the steps' random transforms (each frame adds its number).
    """

    layer: str = "mixed3"
    strength: float = 0.03
    steps: int = 1
    width: int = 320
    folds: int = 1
    mirror: bool = False
    carry: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        checks.whole("steps", self.steps, 1, MAX_STEPS)  # a live frame must dream in well under a second
        checks.whole("width", self.width, MIN_WIDTH, MAX_WIDTH)
        if not 0.0 < self.strength <= 0.2:
            raise ValueError(f"strength must be above 0 and at most 0.2, got {self.strength!r}.")
        if not 0.0 <= self.carry <= 1.0:
            raise ValueError(f"carry must be from 0 to 1, got {self.carry!r}.")
        if self.folds != 1 or self.mirror:
            Symmetry(self.folds, self.mirror)  # checks them

    @property
    def symmetry(self) -> Symmetry | None:
        """The kaleidoscope, or None."""
        return None if self.folds == 1 and not self.mirror else Symmetry(self.folds, self.mirror)

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        """The dreamed frame's (width, height) for a source of ``width`` x ``height``: even sides."""
        return self.width, max(2, round(self.width * height / width / 2) * 2)


class LiveDreamer:
    """Dreams frames one by one, each carrying the last one's dream detail along the optical flow.

    Args:
        settings: the first settings; ``dream`` may be given others at any frame (a changed size,
            layer or kaleidoscope starts the carry afresh).
    """

    def __init__(self, settings: LiveSettings = LiveSettings()):
        self.settings = settings
        self.index = 0
        self._last: tuple[np.ndarray, np.ndarray] | None = None  # (input, dream) of the last frame, uint8
        self.seconds: dict[str, float] = {}  # the last frame's time in each part: resize, flow, dream

    def reset(self) -> None:
        """Forgets the last frame: the next one starts without carried detail."""
        self._last = None

    def dream(self, frame: np.ndarray, settings: LiveSettings | None = None) -> np.ndarray:
        """The dream of one uint8 RGB frame of any size, at the settings' width: uint8 RGB."""
        from deepdream.dream import dream
        from deepdream.model import dream_model

        if settings is not None and settings != self.settings:
            old, self.settings = self.settings, settings
            if (old.layer, old.width, old.folds, old.mirror) != (settings.layer, settings.width, settings.folds,
                                                                  settings.mirror):
                self.reset()
        settings, started = self.settings, time.perf_counter()
        width, height = settings.frame_size(frame.shape[1], frame.shape[0])
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        if self._last is not None and self._last[0].shape != frame.shape:
            self.reset()
        resized = time.perf_counter()
        if self._last is not None and settings.carry > 0:  # the last frame's dream detail, along the flow
            image = carried(frame, *self._last, settings.carry)
        else:
            image = frame.astype(np.float32) / 255.0
        flowed = time.perf_counter()
        dreamed, history = dream(dream_model({settings.layer: 1.0}), image, steps=settings.steps,
                                 step_size=settings.strength, seed=settings.seed + self.index, progress=False,
                                 transforms=None, symmetry=settings.symmetry)
        if history.interrupted:  # Ctrl-C inside the step: stop, as between frames
            raise KeyboardInterrupt
        result = np.round(np.clip(dreamed, 0.0, 1.0) * 255.0).astype(np.uint8)
        self._last, self.index = (frame, result), self.index + 1
        self.seconds = {"resize": resized - started, "flow": flowed - resized, "dream": time.perf_counter() - flowed}
        return result


# --------------------------------------------------------------------------- sources


def open_source(source: str) -> tuple[Any, float | None]:
    """Opens a camera index, a video file or a stream URL with OpenCV; returns it and a file's frame rate.

    A file's frame rate (None for a camera or a stream, which come at their own pace) paces its reading.

    Raises:
        ValueError: with one line that says what to do, when the source cannot be read.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # ffmpeg's own complaints: ours is clearer
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    if source.isdigit():
        capture = cv2.VideoCapture(int(source))
        if not capture.isOpened():
            raise ValueError(f"There is no camera {source} on this machine (or another program holds it): "
                             "try 0, the first camera, or give a video file or a stream URL.")
        return capture, None
    if "://" in source:
        capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS,
                                                           cv2.CAP_PROP_READ_TIMEOUT_MSEC, OPEN_TIMEOUT_MS])
        if not capture.isOpened():
            raise ValueError(f"The stream {source} did not answer with video within {OPEN_TIMEOUT_MS / 1000:g} s: "
                             "check the address, and that the camera or server is on.")
        return capture, None
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"There is no video file '{source}': give a camera index (0), a video file or a stream "
                         "URL (rtsp://, http://).")
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0.0
    if not capture.isOpened() or not fps or fps <= 0 or not np.isfinite(fps):
        raise ValueError(f"'{source}' is not a video OpenCV can read: export it again as MP4 (H.264).")
    return capture, float(fps)


class LatestFrame:
    """Reads a source in a thread and keeps only its newest frame: older ones are dropped, never queued.

    A file is read at its own pace (frame ``i`` is due ``i / fps`` seconds after ``start``); a camera or
    a stream comes at its own. ``captured`` counts frames read, ``dropped`` those never taken.

    Args:
        capture: from ``open_source``.
        fps: a file's frame rate (its pace), or None.
    """

    def __init__(self, capture: Any, fps: float | None):
        self.capture, self.fps = capture, fps
        self.captured = self.taken = 0
        self.ended = False
        self._frame: tuple[int, float, np.ndarray] | None = None
        self._ready = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="live-source", daemon=True)

    def start(self) -> LatestFrame:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def _read(self) -> None:
        try:
            while not self._stop.is_set():
                due = None if self.fps is None else self.started + self.captured / self.fps
                if due is not None and self._stop.wait(max(0.0, due - time.monotonic())):
                    break  # a file: it waited until this frame was due
                ok, frame = self.capture.read()
                if not ok:
                    break
                captured = time.monotonic() if due is None else due
                with self._ready:
                    self._frame = (self.captured, captured, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                    self.captured += 1
                    self._ready.notify_all()
        finally:
            with self._ready:
                self.ended = True
                self._ready.notify_all()

    def newest(self, after: int, timeout: float = 10.0) -> tuple[int, float, np.ndarray] | None:
        """The newest frame (its number, the time it was captured, RGB uint8) after frame ``after``.

        Waits for one; None when the source has ended (or nothing came within ``timeout`` seconds).
        """
        with self._ready:
            self._ready.wait_for(lambda: self.ended or (self._frame is not None and self._frame[0] > after), timeout)
            if self._frame is None or self._frame[0] <= after:
                return None
            self.taken += 1
            return self._frame

    @property
    def dropped(self) -> int:
        return self.captured - self.taken

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.capture.release()


# --------------------------------------------------------------------------- recording and broadcasting


def encode_jpeg(frame: np.ndarray, quality: int = 85) -> bytes:
    """A uint8 RGB frame as JPEG bytes (``files.jpeg_bytes``, without the slower optimised tables)."""
    return jpeg_bytes(np.ascontiguousarray(frame), quality, optimize=False)


class Recorder:
    """Keeps the frames shown (as JPEGs) with the time each was shown; ``write`` makes the MP4.

    Each frame lasts until the next one was shown, the last until ``stop`` (where the video has it once more,
    to end there): the video's duration is the time recorded, and a slow stretch stays slow.

    Args:
        max_frames: frames kept at most; later ones are not kept (``full`` says so).
    """

    def __init__(self, max_frames: int = 36_000):
        self.max_frames = max_frames
        self.frames: list[tuple[float, bytes]] = []
        self.stopped: float | None = None

    @property
    def full(self) -> bool:
        return len(self.frames) >= self.max_frames

    def add(self, jpeg: bytes, shown: float | None = None) -> None:
        """Keeps one frame, shown at ``shown`` (``time.monotonic()``; now if None)."""
        if not self.full and self.stopped is None:
            self.frames.append((time.monotonic() if shown is None else shown, jpeg))

    def stop(self, when: float | None = None) -> None:
        if self.stopped is None:
            self.stopped = time.monotonic() if when is None else when

    @property
    def seconds(self) -> float:
        """The time recorded: from the first frame shown to the stop (or now)."""
        if not self.frames:
            return 0.0
        return (self.stopped if self.stopped is not None else time.monotonic()) - self.frames[0][0]

    def write(self, output: Path) -> Path:
        """Writes the frames to ``output`` (.mp4, H.264, variable frame rate), atomically; returns it."""
        if not self.frames:
            raise ValueError("Nothing was recorded: no frame was shown between the start and the stop.")
        self.stop()
        return write_atomically(output, self._encode, overwrite=True, suffixes=(".mp4",), to_path=True)

    def _encode(self, target: Path) -> None:
        import imageio_ffmpeg

        ends = [shown for shown, _ in self.frames[1:]] + [max(self.stopped, self.frames[-1][0] + 0.01)]
        with tempfile.TemporaryDirectory(prefix="deepdream-live-") as folder:
            lines = ["ffconcat version 1.0"]  # each picture at its time, to the millisecond (not 1/25 s)
            for number, ((shown, jpeg), end) in enumerate(zip(self.frames, ends)):
                name = f"{number:06d}.jpg"
                Path(folder, name).write_bytes(jpeg)
                lines += [f"file {name}", "option framerate 1000", f"duration {max(end - shown, 0.001):.6f}"]
            # The last picture once more, at the stop: a video's last frame lasts a frame, so this one ends it.
            lines += [f"file {len(self.frames) - 1:06d}.jpg", "option framerate 1000"]
            Path(folder, "frames.txt").write_text("\n".join(lines) + "\n")
            done = subprocess.run(
                [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-safe", "0", "-f", "concat", "-i",
                 str(Path(folder, "frames.txt")), "-fps_mode", "vfr", "-video_track_timescale", "1000",
                 "-c:v", "libx264", "-preset", "veryfast", "-bf", "0",  # no B-frames: the duration stays exact
                 "-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-movflags", "+faststart",
                 "-metadata", f"comment={SUITE_MARK}", "-f", "mp4", str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            raise OSError(f"ffmpeg could not write the recording: {done.stderr.strip()[-300:]}")


class Broadcast:
    """The newest dreamed JPEG, for any number of viewers of an MJPEG stream."""

    def __init__(self) -> None:
        self.jpeg: bytes | None = None
        self.number = 0
        self.ended = False
        self._changed = threading.Condition()

    def publish(self, jpeg: bytes) -> None:
        with self._changed:
            self.jpeg, self.number = jpeg, self.number + 1
            self._changed.notify_all()

    def end(self) -> None:
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def next(self, after: int, timeout: float = 5.0) -> tuple[int, bytes | None]:
        """The newest JPEG after number ``after`` (waits for one); the same one again after ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: self.ended or self.number > after, timeout)
            return self.number, self.jpeg
