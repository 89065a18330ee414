"""Dreaming frames without flicker: optical flow, the flow-coherent dream of a frame sequence, and measures.

Dreaming every frame on its own flickers: each frame grows different patterns. Here the first frame is
dreamed in full, and each next frame starts from its own input frame plus the previous frame's *dream
detail* (its dream minus its input), carried along the optical flow between the two input frames
(OpenCV's DIS or Farneback) and kept only where a forward-backward check says the flow is reliable;
then a few dream steps add to it. Carrying the detail rather than the dream anchors every frame's
colours to its own input, so a long clip does not drift brighter and brighter.

Two other modes are there for comparison: ``independent`` (each frame dreamed in full, alone) and
``blend`` (DeepDreamVideo's: the previous dream blended into the next raw frame at 0.5, no flow).
``flicker`` and ``brightness_drift`` measure them; ``panning_clip`` makes a clip of known motion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

import cv2
import numpy as np

from deepdream import checks

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
            checks.whole(name, getattr(self, name), 1)


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


def carried(frame: np.ndarray, last_input: np.ndarray, last_dream: np.ndarray, carry: float,
            method: str = "dis") -> np.ndarray:
    """The start of a frame's dream: the frame plus ``carry`` times the last frame's dream detail (its dream
    minus its input) moved along the flow, where the flow is reliable; float32 in [0, 1] (uint8 inputs)."""
    backward = optical_flow(frame, last_input, method)
    mask = reliable(backward, optical_flow(last_input, frame, method))
    detail = (last_dream.astype(np.float32) - last_input.astype(np.float32)) / 255.0
    start = frame.astype(np.float32) / 255.0 + carry * mask[..., None] * warp(detail, backward)
    return np.clip(start, 0.0, 1.0).astype(np.float32)


def dream_frames(dm: Any, frames: Iterable[np.ndarray], settings: VideoDream = VideoDream(),
                 previous: tuple[np.ndarray, np.ndarray] | None = None, first_index: int = 0) -> Iterator[np.ndarray]:
    """Dreams a sequence of uint8 RGB frames, yielding each dreamed frame (uint8) as soon as it is done.

    Args:
        dm: from ``deepdream.model.dream_model``.
        frames: the input frames, uint8 (H, W, 3), all of one size.
        settings: the mode and its parameters.
        previous: ``(input frame, dreamed frame)`` of the frame before the first one given, to
            continue an interrupted run exactly (``--resume``); None starts afresh.
        first_index: the number of the first frame given (it seeds that frame's transforms).
    """
    from deepdream.dream import dream, dream_octaves

    last_input, last_dream = previous if previous is not None else (None, None)
    for index, frame in enumerate(frames, first_index):
        seed = settings.seed + index
        image = frame.astype(np.float32) / 255.0
        if last_dream is None or settings.mode == "independent":
            dreamed, history = dream_octaves(dm, image, octaves=settings.octaves, step_size=settings.step_size,
                                             steps_per_octave=settings.octave_steps, seed=settings.seed,
                                             progress=False)
        else:
            if settings.mode == "blend":
                start = 0.5 * last_dream.astype(np.float32) / 255.0 + 0.5 * image
            else:
                start = carried(frame, last_input, last_dream, settings.carry, settings.flow)
            dreamed, history = dream(dm, np.clip(start, 0.0, 1.0).astype(np.float32), steps=settings.steps,
                                     step_size=settings.step_size, seed=seed, progress=False)
        if history.interrupted:  # Ctrl-C inside the dream: this frame is unfinished, so it is not kept
            raise KeyboardInterrupt
        last_input, last_dream = frame, _to_uint8(dreamed)
        yield last_dream


def dream_clip(dm: Any, frames: list[np.ndarray], settings: VideoDream = VideoDream(),
               progress: bool = True) -> list[np.ndarray]:
    """Dreams a clip held in memory (a list of uint8 frames) with a progress bar over frames; returns the frames."""
    from deepdream.runtime import progress_bar

    dreamed = []
    with progress_bar(len(frames), f"{settings.mode} frames", progress) as bar:
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


