"""What dreaming a video costs and how steady it is: prints measurements, asserts nothing.

    python benchmarks/bench_video.py          # (or `make bench-video`) about 10 minutes on 2 cores

On clips of a camera moving over the mountain (``deepdream.flow.panning_clip``: known motion), it prints:
  * the float32 matrix-multiply rate, to compare machines;
  * speed: seconds a frame at 540x360 with the default settings (``VideoDream()``, ``mixed3``), the
    first frame (a full dream) apart; target: at most 5 s a frame on 2 cores (DeepDreamVideo reports
    45 s a frame at 540x360 on an 8-core CPU);
  * flicker of the three modes on the same 24-frame clip at 540x360; target: the flow mode at most half
    of ``independent``, and below ``blend``;
  * brightness drift of the flow mode over a 120-frame clip (360x240); target: within 3 grey levels.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_dream import matmul_gflops  # noqa: E402

import deepdream_utils as dd  # noqa: E402
from deepdream import flow as dv  # noqa: E402


def timed(dm, clip, settings):
    """The dreamed frames, and the seconds each took."""
    frames, seconds = [], []
    started = time.perf_counter()
    for frame in dv.dream_frames(dm, clip, settings):
        frames.append(frame)
        seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
    return frames, seconds


def main() -> None:
    print(f"matmul: {matmul_gflops():.1f} GFLOP/s (float32, 2048x2048)")
    mountain = dd.load_image(dd.IMAGES_DIR / "mountain.jpg")
    dm = dd.dream_model("mixed3")
    dv.dream_clip(dm, dv.panning_clip(mountain, frames=2, size=(96, 64)), progress=False)  # warm-up: traced once

    clip = dv.panning_clip(mountain, frames=24, size=(540, 360), speed=(3.0, 1.0))
    dreams = {}
    for mode in dv.MODES:
        dreams[mode], seconds = timed(dm, clip, dv.VideoDream(mode=mode))
        rest = sum(seconds[1:]) / (len(seconds) - 1)
        print(f"{mode:12} 540x360: first frame {seconds[0]:5.2f} s, then {rest:5.2f} s a frame"
              + (" (target: at most 5)" if mode == "flow" else ""))
    flicker = {mode: dv.flicker(frames, clip) for mode, frames in dreams.items()}
    print(f"flicker, 24 frames at 540x360 (grey levels): input {dv.flicker(clip, clip):.2f}, "
          + ", ".join(f"{mode} {value:.2f}" for mode, value in flicker.items()))
    print(f"  flow / independent = {flicker['flow'] / flicker['independent']:.2f} (target: at most 0.5); "
          f"flow / blend = {flicker['flow'] / flicker['blend']:.2f} (target: below 1)")

    long_clip = dv.panning_clip(mountain, frames=120, size=(360, 240), speed=(2.0, 0.5))
    long_dream = dv.dream_clip(dm, long_clip, progress=False)
    print(f"brightness drift over 120 frames at 360x240: {dv.brightness_drift(long_dream, long_clip):+.2f} grey levels "
          f"(target: within 3); input {dv.luminance(long_clip[0]):.1f} -> {dv.luminance(long_clip[-1]):.1f}, "
          f"output {dv.luminance(long_dream[0]):.1f} -> {dv.luminance(long_dream[-1]):.1f}")
    print(f"flicker over those 120 frames: flow {dv.flicker(long_dream, long_clip):.2f}")


if __name__ == "__main__":
    main()
