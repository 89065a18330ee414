"""Dreaming a video without flicker: ``dream_frames``, ``dream_video`` and ``deepdream VIDEO -o OUT.mp4``.

Dreaming every frame on its own flickers: each frame grows different patterns. Here the first frame is
dreamed in full, and each next frame starts from its own input frame plus the previous frame's *dream
detail* (its dream minus its input), carried along the optical flow between the two input frames
(OpenCV's DIS or Farneback) and kept only where a forward-backward check says the flow is reliable;
then a few dream steps add to it. Carrying the detail rather than the dream anchors every frame's
colours to its own input, so a long clip does not drift brighter and brighter.

Two other modes are there for comparison: ``independent`` (each frame dreamed in full, alone) and
``blend`` (DeepDreamVideo's: the previous dream blended into the next raw frame at 0.5, no flow).

Frames are read and written by ffmpeg, bundled with ``imageio-ffmpeg``: the frame rate is kept, the
audio track is copied, and the result is H.264 MP4 (yuv420p) that browsers and phones play.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from deepdream_cli import VIDEO_SUFFIXES  # noqa: F401  (re-exported; the command line checks them)

MODES = ("flow", "independent", "blend")
FLOW_METHODS = ("dis", "farneback")


@dataclasses.dataclass(frozen=True)
class VideoDream:
    """How each frame is dreamed (the defaults: under 3 s a frame at 540x360 on 2 cores, bench_video.py).

    Attributes:
        mode: ``"flow"`` (coherent), ``"independent"`` or ``"blend"`` (for comparison).
        steps: dream steps on each frame after the first (flow and blend modes).
        carry: share of the previous frame's dream detail carried into the next frame (flow mode);
            below 1, so that old detail fades where the new steps do not renew it.
        flow: optical flow method, ``"dis"`` (fast) or ``"farneback"``.
        octaves, octave_steps: the full dream of the first frame (and of every frame when independent).
        step_size: change per step, in gradient standard deviations.
        seed: seeds the random transforms.
    """

    mode: str = "flow"
    steps: int = 4
    carry: float = 0.9
    flow: str = "dis"
    octaves: int = 3
    octave_steps: int = 10
    step_size: float = 0.015
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}.")
        if self.flow not in FLOW_METHODS:
            raise ValueError(f"flow must be one of {', '.join(FLOW_METHODS)}, got {self.flow!r}.")
        if not 0.0 <= self.carry <= 1.0:
            raise ValueError(f"carry must be from 0 to 1, got {self.carry!r}.")
        for name in ("steps", "octaves", "octave_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}.")


# --------------------------------------------------------------------------- optical flow

def _gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def optical_flow(source: np.ndarray, target: np.ndarray, method: str = "dis") -> np.ndarray:
    """The flow ``f`` with ``source(x) ~ target(x + f(x))``, float32 (H, W, 2), for two uint8 RGB frames."""
    a, b = _gray(source), _gray(target)
    if method == "dis":
        return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(a, b, None)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 4, 21, 3, 5, 1.1, 0)
    raise ValueError(f"flow must be one of {', '.join(FLOW_METHODS)}, got {method!r}.")


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``image`` sampled at ``x + flow(x)`` (bilinear; edges reflected): moves a picture along a flow."""
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(image, grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REFLECT)


def reliable(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Where a backward flow can be trusted: a boolean (H, W) mask.

    ``backward`` goes from the new frame to the old, ``forward`` from the old to the new. A pixel is
    reliable when following one and then the other brings it back (within the tolerance of Ruder et al.,
    "Artistic style transfer for videos", 2016) and its source lies inside the old frame.
    """
    height, width = backward.shape[:2]
    forward_there = warp(forward, backward)
    error = np.sum((backward + forward_there) ** 2, axis=2)
    tolerance = 0.01 * (np.sum(backward**2, axis=2) + np.sum(forward_there**2, axis=2)) + 0.5
    grid_x, grid_y = np.meshgrid(np.arange(width), np.arange(height))
    inside = ((grid_x + backward[..., 0] >= 0) & (grid_x + backward[..., 0] <= width - 1)
              & (grid_y + backward[..., 1] >= 0) & (grid_y + backward[..., 1] <= height - 1))
    return (error <= tolerance) & inside


# --------------------------------------------------------------------------- dreaming frames

def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def dream_frames(dm: Any, frames: Iterable[np.ndarray], settings: VideoDream = VideoDream(),
                 previous: tuple[np.ndarray, np.ndarray] | None = None, first_index: int = 0) -> Iterator[np.ndarray]:
    """Dreams a sequence of uint8 RGB frames, yielding each dreamed frame (uint8) as soon as it is done.

    Args:
        dm: from ``deepdream_utils.dream_model``.
        frames: the input frames, uint8 (H, W, 3), all of one size.
        settings: the mode and its parameters.
        previous: ``(input frame, dreamed frame)`` of the frame before the first one given, to
            continue an interrupted run exactly (``--resume``); None starts afresh.
        first_index: the number of the first frame given (it seeds that frame's transforms).
    """
    import deepdream_utils as dd

    last_input, last_dream = previous if previous is not None else (None, None)
    for index, frame in enumerate(frames, first_index):
        seed = settings.seed + index
        image = frame.astype(np.float32) / 255.0
        if last_dream is None or settings.mode == "independent":
            dreamed, history = dd.dream_octaves(dm, image, octaves=settings.octaves, step_size=settings.step_size,
                                                steps_per_octave=settings.octave_steps, seed=settings.seed,
                                                progress=False)
        else:
            if settings.mode == "blend":
                start = 0.5 * last_dream.astype(np.float32) / 255.0 + 0.5 * image
            else:
                backward = optical_flow(frame, last_input, settings.flow)
                mask = reliable(backward, optical_flow(last_input, frame, settings.flow))
                detail = (last_dream.astype(np.float32) - last_input.astype(np.float32)) / 255.0
                start = image + settings.carry * mask[..., None] * warp(detail, backward)
            dreamed, history = dd.dream(dm, np.clip(start, 0.0, 1.0).astype(np.float32), steps=settings.steps,
                                        step_size=settings.step_size, seed=seed, progress=False)
        if history.interrupted:  # Ctrl-C inside the dream: this frame is unfinished, so it is not kept
            raise KeyboardInterrupt
        last_input, last_dream = frame, _to_uint8(dreamed)
        yield last_dream


def dream_clip(dm: Any, frames: list[np.ndarray], settings: VideoDream = VideoDream(),
               progress: bool = True) -> list[np.ndarray]:
    """Dreams a clip held in memory (a list of uint8 frames) with a progress bar over frames; returns the frames."""
    import deepdream_utils as dd

    dreamed = []
    with dd.progress_bar(len(frames), f"{settings.mode} frames", progress) as bar:
        for frame in dream_frames(dm, frames, settings):
            dreamed.append(frame)
            bar.update(1)
    return dreamed


# --------------------------------------------------------------------------- measured

def flicker(outputs: list[np.ndarray], inputs: list[np.ndarray], method: str = "dis") -> float:
    """Mean absolute difference, in grey levels, between each output frame and the previous output frame
    warped to it by the *input* frames' flow, over the pixels where that flow is reliable."""
    differences = []
    for t in range(1, len(outputs)):
        backward = optical_flow(inputs[t], inputs[t - 1], method)
        mask = reliable(backward, optical_flow(inputs[t - 1], inputs[t], method))
        moved = warp(outputs[t - 1].astype(np.float32), backward)
        differences.append(np.abs(outputs[t].astype(np.float32) - moved)[mask].mean())
    return float(np.mean(differences))


def luminance(frame: np.ndarray) -> float:
    """Mean luminance of a uint8 RGB frame, in grey levels (Rec. 601 weights)."""
    return float(np.mean(frame.astype(np.float32) @ np.float32([0.299, 0.587, 0.114])))


def brightness_drift(outputs: list[np.ndarray], inputs: list[np.ndarray]) -> float:
    """How much brighter the last output frame is than the first, beyond the input's own change (grey levels)."""
    return (luminance(outputs[-1]) - luminance(outputs[0])) - (luminance(inputs[-1]) - luminance(inputs[0]))


def panning_clip(image: np.ndarray, frames: int = 48, size: tuple[int, int] = (360, 240),
                 speed: tuple[float, float] = (4.0, 1.0), zoom: float = 1.003) -> list[np.ndarray]:
    """A camera moving over a picture (known motion): uint8 frames of ``size`` (width, height).

    The camera starts near the picture's top-left corner, covering up to 1.6 times the frame size, and
    pans by ``speed`` pixels of the picture a frame while zooming in by ``zoom`` a frame.
    """
    picture = _to_uint8(image) if image.dtype != np.uint8 else image
    width, height = size
    room_x, room_y = (picture.shape[1] - 9 - speed[0] * (frames - 1), picture.shape[0] - 9 - speed[1] * (frames - 1))
    span = min(1.6, room_x / width, room_y / height)  # the window, in frames: it stays inside the picture
    clip = []
    for t in range(frames):
        scale = span / zoom**t
        x0, y0 = 8 + speed[0] * t, 8 + speed[1] * t
        matrix = np.float32([[scale, 0, x0], [0, scale, y0]])
        clip.append(cv2.warpAffine(picture, matrix, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_REFLECT))
    return clip


# --------------------------------------------------------------------------- reading and writing video


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


def _hidden_temp(output: Path, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=suffix, dir=output.parent)
    os.close(handle)
    return Path(name)


def write_video(frames: Iterable[np.ndarray], output: Path, fps: float, size: tuple[int, int],
                audio_from: Path | None = None, start: float = 0.0, duration: float | None = None) -> Path:
    """Writes uint8 frames as H.264 MP4 (yuv420p, playable in browsers and phones), with the audio of
    ``audio_from`` from ``start`` for ``duration`` if given; atomically: a failure (a full disk) leaves
    no file under ``output``."""
    import imageio_ffmpeg

    import deepdream_io as dio

    mark = ["-metadata", f"comment={dio.SUITE_MARK}"]  # so that a later run may replace it
    temps = [_hidden_temp(output, ".mp4")]
    try:
        writer = imageio_ffmpeg.write_frames(
            str(temps[0]), size, fps=fps, codec="libx264", quality=None, macro_block_size=2,
            output_params=["-crf", "20", "-preset", "veryfast", "-movflags", "+faststart", *mark])
        writer.send(None)
        try:
            for frame in frames:
                writer.send(np.ascontiguousarray(frame))
        finally:
            writer.close()  # ffmpeg finishes (or stops) before its file is renamed or removed
        if audio_from is not None:
            temps.append(_hidden_temp(output, ".mp4"))
            trim = ["-ss", f"{start:.3f}"] + (["-t", f"{duration:.3f}"] if duration else [])
            subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-i", str(temps[0]), *trim,
                            "-i", str(audio_from), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac",
                            "-shortest", "-movflags", "+faststart", *mark, str(temps[1])],
                           check=True, capture_output=True, text=True)
        os.chmod(temps[-1], 0o644)
        os.replace(temps[-1], output)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", None) or error
        raise OSError(f"Could not write '{output}' ({str(detail).strip()[-300:]}); nothing was left under "
                      "that name.") from None
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    return output


# --------------------------------------------------------------------------- a whole video, resumable

def work_folder(output: Path) -> Path:
    """Where the dreamed frames of ``output`` are kept until the video is written (``OUT.mp4.frames``)."""
    return output.with_name(output.name + ".frames")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dream_video(source: str | os.PathLike, output: str | os.PathLike, layers: Any = "mixed3",
                settings: VideoDream = VideoDream(), max_side: int | None = 540, start: float = 0.0,
                end: float | None = None, resume: bool = False, overwrite: bool = False,
                progress: bool = True) -> dict[str, Any]:
    """Dreams a video into an H.264 MP4 with the source's frame rate and audio; returns its sidecar.

    Each dreamed frame is kept as a PNG in ``work_folder(output)`` as soon as it is done. Ctrl-C
    (or SIGTERM) writes the video so far and keeps the folder: ``resume=True`` (``--resume``)
    continues from there, exactly as if never stopped. The folder is removed once the whole
    video is written. A JSON sidecar is written beside the video.

    Args:
        source: the input video (any format ffmpeg reads).
        output: the result, ``.mp4``.
        layers: as for ``dream_model``.
        settings: the mode and its parameters (``VideoDream``).
        max_side: shrink the frames to this longest side (None: keep).
        start, end: the part of the video to dream, in seconds (end None: to the end).
        resume: continue an interrupted run of the same parameters.
        overwrite: replace an existing output that this suite did not write.
        progress: show a progress bar over frames.
    """
    import deepdream_cli as cli
    import deepdream_utils as dd

    source, output = Path(source), Path(output)
    info = probe_video(source)
    if output.resolve() == source.resolve():
        raise ValueError(f"Refusing to overwrite the input video '{source}': choose another -o.")
    output = dd.check_output_path(output, (".mp4",), overwrite)
    dd.check_output_path(cli.sidecar_path(output), (".json",), overwrite)
    if start < 0 or (end is not None and end <= start) or (info.duration and start >= info.duration):
        raise ValueError(f"start and end must satisfy 0 <= start < end <= {info.duration:.2f} s (the video's "
                         f"length), got start={start}, end={end}.")
    size = frame_size(info, max_side)
    dm = dd.dream_model(layers)
    dd.check_image_size(dm, size[::-1])
    parameters = {"video": str(source), "layers": dm.layer_weights, "max_side": max_side, "start": start,
                  "end": end, **dataclasses.asdict(settings)}
    folder = work_folder(output)
    state_file = folder / "state.json"
    record = {"parameters": parameters, "input_sha256": _sha256(source), "size": list(size), "fps": info.fps}
    done = _frames_kept(folder, state_file, record, resume)
    folder.mkdir(exist_ok=True)
    dd.save_sidecar(record, state_file, overwrite=True)
    total = round(((end if end is not None else info.duration) - start) * info.fps) or None
    frames = read_frames(source, info, size, start, end)
    previous = None
    started, interrupted = time.perf_counter(), False
    with dd.progress_bar(total, "frames", progress) as bar:
        try:
            for _ in range(done):  # frames already dreamed: read past them
                last_input = next(frames)
                bar.update(1)
            if done:
                previous = (last_input, _read_png(folder / f"frame_{done - 1:06d}.png"))
            for index, dreamed in enumerate(dream_frames(dm, frames, settings, previous, done), done):
                dd.save_image(dreamed.astype(np.float32) / 255.0, folder / f"frame_{index:06d}.png", overwrite=True)
                bar.update(1)
        except KeyboardInterrupt:
            interrupted = True
        except StopIteration:
            raise ValueError(f"'{source}' has fewer frames than the {done} already dreamed in '{folder}'.") from None
    kept = sorted(folder.glob("frame_*.png"))
    if not kept:
        raise ValueError(f"'{source}' has no frames between {start} s and {end} s: nothing to dream.")
    with dd.signals_held():
        write_video((_read_png(path) for path in kept), output, info.fps, size,
                    source if info.audio else None, start, None if end is None else end - start)
        sidecar = {**record, "output": str(output), "frames": len(kept), "interrupted": interrupted,
                   "audio": info.audio, "seconds": round(time.perf_counter() - started, 2),
                   "versions": cli._versions()}
        dd.save_sidecar(sidecar, cli.sidecar_path(output), overwrite=True)
    if not interrupted:
        shutil.rmtree(folder)
    return sidecar


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _frames_kept(folder: Path, state_file: Path, record: dict[str, Any], resume: bool) -> int:
    """How many frames an earlier run kept (0 when starting afresh); refuses a mismatch."""
    kept = len(list(folder.glob("frame_*.png"))) if folder.is_dir() else 0
    if not resume:
        if kept:
            raise ValueError(f"An earlier run left {kept} dreamed frames in '{folder}': pass --resume to continue "
                             "it, or delete that folder to start again.")
        return 0
    if not state_file.is_file():
        raise ValueError(f"Nothing to resume: no earlier run in '{folder}'. Run again without --resume.")
    earlier = json.loads(state_file.read_text(encoding="utf-8"))
    for key in ("parameters", "input_sha256", "size"):
        if earlier.get(key) != json.loads(json.dumps(record[key])):
            raise ValueError(f"Cannot resume: the earlier run in '{folder}' had other {key.replace('_', ' ')} "
                             f"({earlier.get(key)!r}). Run with the same options, or delete that folder.")
    return kept


# --------------------------------------------------------------------------- the command line

def build_parser():
    import deepdream_cli as cli

    defaults = VideoDream()
    parser = cli._OneLineParser(
        prog="deepdream VIDEO", description="Dream a video without flicker (optical-flow coherence), keeping "
        "its frame rate and audio; writes H.264 MP4 and a JSON sidecar. Ctrl-C writes the video so far.")
    parser.add_argument("video", help="the input video (any format ffmpeg reads)")
    parser.add_argument("-o", "--output", type=Path, help="result, .mp4 (default: outputs/<name>_dream.mp4)")
    parser.add_argument("--layers", type=cli.parse_layers, default={"mixed3": 1.0}, metavar="L[=W],...",
                        help="layers and weights (default: mixed3)")
    parser.add_argument("--mode", choices=MODES, default=defaults.mode,
                        help="flow: coherent along the optical flow; independent: each frame alone; blend: "
                             "DeepDreamVideo's 0.5 blend of the last dream into the next frame (default: flow)")
    parser.add_argument("--steps", type=int, default=defaults.steps,
                        help=f"dream steps on each frame after the first (default: {defaults.steps})")
    parser.add_argument("--carry", type=float, default=defaults.carry,
                        help=f"share of the dream detail carried to the next frame (default: {defaults.carry})")
    parser.add_argument("--flow", choices=FLOW_METHODS, default=defaults.flow,
                        help=f"optical flow method (default: {defaults.flow})")
    parser.add_argument("--octaves", type=int, default=defaults.octaves,
                        help=f"octaves of the first frame's full dream (default: {defaults.octaves})")
    parser.add_argument("--octave-steps", type=int, default=defaults.octave_steps,
                        help=f"steps per octave of that dream (default: {defaults.octave_steps})")
    parser.add_argument("--step-size", type=float, default=defaults.step_size,
                        help=f"change per step (default: {defaults.step_size})")
    parser.add_argument("--seed", type=int, default=0, help="seeds the random transforms (default: 0)")
    parser.add_argument("--max-side", type=int, default=540, help="longest side of the frames (default: 540)")
    parser.add_argument("--start", type=float, default=0.0, help="start time, seconds (default: 0)")
    parser.add_argument("--end", type=float, help="end time, seconds (default: the end)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run (same options)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing output that this tool did not write (never the input)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """``deepdream VIDEO [options]``: returns the exit status (0; 1 bad input; 2 bad arguments; 130 stopped)."""
    import deepdream_utils as dd

    args = build_parser().parse_args(argv)
    output = args.output or dd.OUTPUTS_DIR / f"{Path(args.video).stem}_dream.mp4"
    if signal_ok := threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        settings = VideoDream(mode=args.mode, steps=args.steps, carry=args.carry, flow=args.flow,
                              octaves=args.octaves, octave_steps=args.octave_steps, step_size=args.step_size,
                              seed=args.seed)
        sidecar = dream_video(args.video, output, args.layers, settings, args.max_side, args.start, args.end,
                              args.resume, args.overwrite, progress=not args.quiet)
    except (ValueError, FileNotFoundError, OSError, MemoryError) as error:
        print(f"deepdream: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("deepdream: stopped; nothing is half-written.", file=sys.stderr)
        return 130
    finally:
        if signal_ok:
            signal.signal(signal.SIGTERM, previous)
    print(f"saved {output} ({sidecar['frames']} frames, {sidecar['seconds']:.1f} s"
          f"{', audio kept' if sidecar['audio'] else ''})")
    if sidecar["interrupted"]:
        print(f"deepdream: interrupted: {output} has the {sidecar['frames']} frames dreamed so far; "
              "run the same command with --resume to continue.", file=sys.stderr)
        return 130
    return 0
