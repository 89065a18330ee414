"""Dreaming a whole video, resumable: ``dream_video`` and ``deepdream VIDEO -o OUT.mp4``.

The frames are dreamed by ``deepdream.flow`` (flow-coherent, no flicker) and read and written by
``deepdream.videofiles`` (ffmpeg: the frame rate and the audio are kept). Each dreamed frame is kept as
a PNG as soon as it is done, so Ctrl-C or SIGTERM writes the video so far and ``--resume`` goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from deepdream import recipe, runtime
from deepdream.files import check_output_path, save_image, save_sidecar, signals_held
from deepdream.flow import FLOW_METHODS, MODES, VideoDream, dream_frames
from deepdream.i18n import N_
from deepdream.i18n import gettext as _
from deepdream.paths import OUTPUTS_DIR
from deepdream.videofiles import frame_size, probe_video, read_frames, write_video


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
    source, output = Path(source), Path(output)
    info = probe_video(source)
    if output.resolve() == source.resolve():
        raise ValueError(_("Refusing to overwrite the input video '{source}': choose another -o.").format(
            source=source))
    output = check_output_path(output, (".mp4",), overwrite)
    check_output_path(recipe.sidecar_path(output), (".json",), overwrite)
    if start < 0 or (end is not None and end <= start) or (info.duration and start >= info.duration):
        raise ValueError(_("start and end must satisfy 0 <= start < end <= {duration:.2f} s (the video's length), "
                           "got start={start}, end={end}.").format(duration=info.duration, start=start, end=end))
    size = frame_size(info, max_side)
    # TensorFlow: after every check that can be made without it
    from deepdream.model import check_image_size, dream_model

    dm = dream_model(layers)
    check_image_size(dm, size[::-1])
    parameters = {"video": str(source), "layers": dm.layer_weights, "max_side": max_side, "start": start,
                  "end": end, **dataclasses.asdict(settings)}
    folder = work_folder(output)
    state_file = folder / "state.json"
    record = {"parameters": parameters, "input_sha256": _sha256(source), "size": list(size), "fps": info.fps}
    done = _frames_kept(folder, state_file, record, resume)
    folder.mkdir(exist_ok=True)
    save_sidecar(record, state_file, overwrite=True)
    total = round(((end if end is not None else info.duration) - start) * info.fps) or None
    frames = read_frames(source, info, size, start, end)
    previous = None
    started, interrupted = time.perf_counter(), False
    with runtime.progress_bar(total, _("frames"), progress) as bar:
        try:
            for _frame in range(done):  # frames already dreamed: read past them
                last_input = next(frames)
                bar.update(1)
            if done:
                previous = (last_input, _read_png(folder / f"frame_{done - 1:06d}.png"))
            for index, dreamed in enumerate(dream_frames(dm, frames, settings, previous, done), done):
                save_image(dreamed.astype(np.float32) / 255.0, folder / f"frame_{index:06d}.png", overwrite=True)
                bar.update(1)
        except KeyboardInterrupt:
            interrupted = True
        except StopIteration:
            raise ValueError(_("'{source}' has fewer frames than the {done} already dreamed in '{folder}'.").format(
                source=source, done=done, folder=folder)) from None
    kept = sorted(folder.glob("frame_*.png"))
    if not kept:
        raise ValueError(_("'{source}' has no frames between {start} s and {end} s: nothing to dream.").format(
            source=source, start=start, end=end))
    with signals_held():
        write_video((_read_png(path) for path in kept), output, info.fps, size,
                    source if info.audio else None, start, None if end is None else end - start)
        sidecar = {**record, "output": str(output), "frames": len(kept), "interrupted": interrupted,
                   "audio": info.audio, "seconds": round(time.perf_counter() - started, 2),
                   "versions": recipe.versions()}
        save_sidecar(sidecar, recipe.sidecar_path(output), overwrite=True)
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
            raise ValueError(_("An earlier run left {kept} dreamed frames in '{folder}': pass --resume to continue "
                               "it, or delete that folder to start again.").format(kept=kept, folder=folder))
        return 0
    if not state_file.is_file():
        raise ValueError(_("Nothing to resume: no earlier run in '{folder}'. Run again without --resume.").format(
            folder=folder))
    earlier = json.loads(state_file.read_text(encoding="utf-8"))
    for key, what in (("parameters", N_("parameters")), ("input_sha256", N_("input sha256")), ("size", N_("size"))):
        if earlier.get(key) != json.loads(json.dumps(record[key])):
            raise ValueError(_("Cannot resume: the earlier run in '{folder}' had other {what} ({earlier!r}). Run with "
                               "the same options, or delete that folder.").format(
                                   folder=folder, what=_(what), earlier=earlier.get(key)))
    return kept


# --------------------------------------------------------------------------- the command line

def build_parser() -> runtime.OneLineParser:
    """The options of ``deepdream VIDEO``."""
    defaults = VideoDream()
    parser = runtime.OneLineParser(
        prog="deepdream VIDEO", description=_("Dream a video without flicker (optical-flow coherence), keeping "
        "its frame rate and audio; writes H.264 MP4 and a JSON sidecar. Ctrl-C writes the video so far."))
    parser.add_argument("video", help=_("the input video (any format ffmpeg reads)"))
    parser.add_argument("-o", "--output", type=Path, help=_("result, .mp4 (default: outputs/<name>_dream.mp4)"))
    parser.add_argument("--layers", type=recipe.parse_layers, default={"mixed3": 1.0}, metavar="L[=W],...",
                        help=_("layers and weights (default: mixed3)"))
    parser.add_argument("--mode", choices=MODES, default=defaults.mode,
                        help=_("flow: coherent along the optical flow; independent: each frame alone; blend: "
                               "DeepDreamVideo's 0.5 blend of the last dream into the next frame (default: flow)"))
    parser.add_argument("--steps", type=int, default=defaults.steps, help=_(
        "dream steps on each frame after the first (default: {steps})").format(steps=defaults.steps))
    parser.add_argument("--carry", type=float, default=defaults.carry, help=_(
        "share of the dream detail carried to the next frame (default: {carry})").format(carry=defaults.carry))
    parser.add_argument("--flow", choices=FLOW_METHODS, default=defaults.flow,
                        help=_("optical flow method (default: {flow})").format(flow=defaults.flow))
    parser.add_argument("--octaves", type=int, default=defaults.octaves, help=_(
        "octaves of the first frame's full dream (default: {octaves})").format(octaves=defaults.octaves))
    parser.add_argument("--octave-steps", type=int, default=defaults.octave_steps, help=_(
        "steps per octave of that dream (default: {octave_steps})").format(octave_steps=defaults.octave_steps))
    parser.add_argument("--step-size", type=float, default=defaults.step_size,
                        help=_("change per step (default: {step_size})").format(step_size=defaults.step_size))
    parser.add_argument("--seed", type=int, default=0, help=_("seeds the random transforms (default: 0)"))
    parser.add_argument("--max-side", type=int, default=540, help=_("longest side of the frames (default: 540)"))
    parser.add_argument("--start", type=float, default=0.0, help=_("start time, seconds (default: 0)"))
    parser.add_argument("--end", type=float, help=_("end time, seconds (default: the end)"))
    parser.add_argument("--resume", action="store_true", help=_("continue an interrupted run (same options)"))
    parser.add_argument("--overwrite", action="store_true",
                        help=_("replace an existing output that this tool did not write (never the input)"))
    parser.add_argument("-q", "--quiet", action="store_true", help=_("no progress bar"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """``deepdream VIDEO [options]``: returns the exit status (0; 1 bad input; 2 bad arguments; 130 stopped)."""
    args = build_parser().parse_args(argv)
    output = args.output or OUTPUTS_DIR / f"{Path(args.video).stem}_dream.mp4"
    with runtime.sigterm_as_interrupt():
        return _run(args, output)


def _run(args: Any, output: Path) -> int:
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
        print("deepdream: " + _("stopped; nothing is half-written."), file=sys.stderr)
        return 130
    saved = (_("saved {output} ({frames} frames, {seconds:.1f} s, audio kept)") if sidecar["audio"]
             else _("saved {output} ({frames} frames, {seconds:.1f} s)"))
    print(saved.format(output=output, frames=sidecar["frames"], seconds=sidecar["seconds"]))
    if sidecar["interrupted"]:
        print("deepdream: " + _("interrupted: {output} has the {frames} frames dreamed so far; run the same command "
                                "with --resume to continue.").format(output=output, frames=sidecar["frames"]),
              file=sys.stderr)
        return 130
    return 0
