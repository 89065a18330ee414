"""The studio's moving pictures: a zoom dream (WebP or MP4) and a dreamed clip (flow mode, MP4 with its sound).

Both are ordinary jobs of ``deepdream.web.jobs``, with the same queue, limits, progress, preview and
cancel as a picture. This module holds their fields and runs them, given the dream model and a
callback ``on_step(done, total, picture)`` that reports progress (steps of a zoom, frames of a clip)
and raises to cancel:

- **zoom**: ``deepdream.dream.zoom_dream`` from the start picture (a photo, noise or an earlier dream): ``frames``
  frames of ``steps`` steps each, zooming by ``zoom`` between frames, played at ``fps``;
- **video**: an uploaded clip dreamed as ``deepdream CLIP -o OUT.mp4`` dreams it (``deepdream.flow``:
  the first frame in full, each next one from the last frame's dream detail carried along the optical
  flow, then ``frame_steps`` steps), written frame by frame to H.264 with the clip's audio.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from deepdream import backbones, recipe
from deepdream.files import save_animation
from deepdream.flow import VideoDream, dream_frames
from deepdream.i18n import N_
from deepdream.i18n import gettext as _
from deepdream.videofiles import VideoInfo, read_frames, write_video
from deepdream.web.history import MOVIES

KINDS = ("picture", "zoom", "video")  # what a job makes (the form's ``make``)
FORMATS = MOVIES  # a zoom's file; a clip is always MP4
# The fields of each kind that has them, described as the recipe's are (the page's default in ``page``).
FIELDS: dict[str, tuple[recipe.Field, ...]] = {
    "zoom": (recipe.Field("frames", 24, N_("frames of the zoom animation, each dreamed `Steps per octave` steps"),
                          int, 2, 120, page=24, label=N_("Frames")),
             recipe.Field("zoom", 1.05, N_("magnification from one frame to the next"), float, 1.01, 1.5, page=1.05,
                          label=N_("Zoom per frame")),
             recipe.Field("fps", 12, N_("how fast the animation plays"), float, 1, 30, page=12,
                          label=N_("Frames per second"))),
    "video": (recipe.Field("frame_steps", 4, N_("dream steps on each frame after the first, which is dreamed in full "
                           "(octaves)"), int, 1, 20, page=4, label=N_("Steps per frame (after the first)")),),
}

OnStep = Callable[[int, int, Any], None]


@dataclasses.dataclass
class Movie:
    """A finished zoom or clip.

    Attributes:
        data: the file (WebP or MP4).
        suffix: ``"webp"`` or ``"mp4"``.
        last_frame: the last frame, float (H, W, 3) in [0, 1]: the job's picture, thumbnail and "dream more" start.
        record: what the sidecar adds: frames, fps, size, seconds, weights, versions.
    """

    data: bytes
    suffix: str
    last_frame: np.ndarray
    record: dict[str, Any]


def page_fields() -> dict[str, list[dict[str, Any]]]:
    """The moving pictures' fields for the page (``GET /api/recipe``), by kind, their labels and help in the
    language in use (a web request's)."""
    return {kind: [{"name": field.name, "kind": field.kind.__name__, "low": field.low, "high": field.high,
                    "page": field.page, "label": _(field.label), "help": _(field.help)} for field in fields]
            for kind, fields in FIELDS.items()} | {"formats": list(FORMATS)}


def plan(kind: str, parameters: dict[str, Any], shape: tuple[int, int], frames: int = 0) -> tuple[int, float]:
    """(units of progress, pixel-steps of work) of a zoom (steps) or a clip (frames of about ``frame_steps``)."""
    pixels = shape[0] * shape[1]
    if kind == "zoom":
        total = parameters["frames"] * parameters["steps"]
        return total, float(total * pixels)
    first = parameters["octaves"] * parameters["steps"]  # the first frame is dreamed in full (smaller octaves)
    return frames, float((first + parameters["frame_steps"] * max(0, frames - 1)) * pixels)


def _record(parameters: dict[str, Any], frames: int, size: tuple[int, int], fps: float,
            started: float) -> dict[str, Any]:
    source = backbones.get(parameters["backbone"]).weights[parameters["weights"]]
    return {"weights": source.description, "versions": recipe.versions(), "size": [int(size[0]), int(size[1])],
            "frames": frames, "fps": fps,
            "seconds": round(time.monotonic() - started, 2)}


def zoom_movie(dm: Any, start: np.ndarray, parameters: dict[str, Any], on_step: OnStep) -> Movie:
    """Dreams a zoom animation from ``start`` and encodes it as ``parameters["format"]``.

    Args:
        dm: the dream model.
        start: the first frame's start, float (H, W, 3) in [0, 1].
        parameters: the recipe with ``frames``, ``zoom``, ``fps`` and ``format``.
        on_step: called after each step with (steps done, steps in all, the picture so far).
    """
    from deepdream.dream import zoom_dream

    started = time.monotonic()
    arguments = recipe.dream_arguments(parameters)
    frames = zoom_dream(dm, start, frames=parameters["frames"], zoom=parameters["zoom"], steps=parameters["steps"],
                        step_size=parameters["step_size"], seed=parameters["seed"], progress=False,
                        transforms=arguments["transforms"], normalize=arguments["normalize"], on_step=on_step)
    height, width = frames[0].shape[:2]
    fps = parameters["fps"]
    with tempfile.TemporaryDirectory(prefix="deepdream-zoom-") as folder:
        path = Path(folder) / f"zoom.{parameters['format']}"
        if parameters["format"] == "webp":
            save_animation(frames, path, fps=fps)
        else:  # H.264 needs even sides
            even = [(np.clip(frame[:height - height % 2, :width - width % 2], 0, 1) * 255 + 0.5).astype(np.uint8)
                    for frame in frames]
            write_video(even, path, fps, (width - width % 2, height - height % 2))
        data = path.read_bytes()
    record = _record(parameters, len(frames), (width, height), fps, started)
    return Movie(data, parameters["format"], frames[-1], record)


def video_movie(dm: Any, clip: Path, info: VideoInfo, size: tuple[int, int], parameters: dict[str, Any],
                on_step: OnStep, frames: int) -> Movie:
    """Dreams a clip in flow mode into an MP4 that keeps its sound, frame by frame.

    Args:
        dm: the dream model.
        clip: the uploaded clip (a file ffmpeg reads; ``probe_video`` said so).
        info: its ``probe_video``.
        size: (width, height) of the dreamed frames.
        parameters: the recipe with ``frame_steps``.
        on_step: called after each frame with (frames done, frames expected, the dreamed frame).
        frames: how many frames are expected (from the clip's length and rate), for the progress.
    """
    started = time.monotonic()
    settings = VideoDream(steps=parameters["frame_steps"], octaves=parameters["octaves"],
                          octave_steps=parameters["steps"], step_size=parameters["step_size"], seed=parameters["seed"])
    seen: dict[str, Any] = {"frames": 0, "last": None}

    def dreamed() -> Iterator[np.ndarray]:  # handed to the encoder one by one: the clip is never all in memory
        for done, frame in enumerate(dream_frames(dm, read_frames(clip, info, size), settings), 1):
            seen.update(frames=done, last=frame)
            on_step(done, max(frames, done), frame)
            yield frame

    with tempfile.TemporaryDirectory(prefix="deepdream-clip-") as folder:
        path = Path(folder) / "clip.mp4"
        try:
            write_video(dreamed(), path, info.fps, size, clip if info.audio else None)
        except OSError:
            if seen["last"] is None:
                # in English (N_), whatever the worker's language: said in the reader's (settings.said)
                raise ValueError(N_("The clip has no frame ffmpeg could read: export it again as MP4 "
                                    "(H.264).")) from None
            raise
        data = path.read_bytes()
    record = _record(parameters, seen["frames"], size, info.fps, started) | {
        "audio": info.audio, "mode": "flow", "video": dataclasses.asdict(settings)}
    return Movie(data, "mp4", seen["last"].astype(np.float32) / 255.0, record)
