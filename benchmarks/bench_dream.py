"""Speed and memory of the dream on this machine: prints measurements, asserts nothing.

    python benchmarks/bench_dream.py          # (or `make bench`) about 4 minutes on 2 cores

Prints, for the layers mixed3 + mixed5:
  * the float32 matrix-multiply rate (a 2048x2048 product), our proxy for the compute limit;
  * at 299x299, 512x512 and 1024x576: seconds per full-image gradient step, the step's FLOPs
    (counted from the convolutions: forward pass plus the gradient with respect to the input;
    no weight gradients are needed) and the achieved rate as a fraction of the matmul rate;
  * at 512x512 and 1024x576: the robust step (dd.ROBUST: padding, jitter, zoom, rotation) against
    the plain step, measured alternately, and their ratio (target: at most 1.2);
  * the wall time of notebook 05's dream with its own parameters, and of the TensorFlow
    tutorial's default octave run (5 octaves of 100 steps at scale 1.3 from a 500-pixel image,
    tile 512), per pixel-step as well;
  * the peak resident memory of a 1024x576 dream and of a 4000x3000 tiled dream (each in a
    fresh process);
  * how many times the compiled step was traced;
  * an upper bound on the Python loop's per-step overhead (a whole step on a 48x48 image).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import deepdream_utils as dd  # noqa: E402

LAYERS = {"mixed3": 1.0, "mixed5": 1.0}
NOTEBOOK_05 = dict(octaves=4, octave_scale=1.4, steps_per_octave=25, step_size=0.01, tile_size=512,
                   reinject_detail=True, seed=0)  # as in notebooks/05_mountain_octaves_tiled.ipynb
TUTORIAL = dict(octaves=range(-2, 3), octave_scale=1.3, steps=100, max_side=500, tile_size=512, step_size=0.01)
TARGETS = {"fraction_512": 0.6, "traces": 1, "peak_rss_4000x3000_gb": 4.0, "robust_over_plain": 1.2}


def matmul_gflops(n: int = 2048, repeats: int = 20) -> float:
    tf = dd.tf
    a = tf.random.normal((n, n), seed=1)
    b = tf.random.normal((n, n), seed=2)
    tf.linalg.matmul(a, b).numpy()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        c = tf.linalg.matmul(a, b)
    c.numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def conv_flops(dm: dd.DreamModel, height: int, width: int) -> float:
    """FLOPs of one gradient step: 2 x (forward convolutions) (forward + input gradient)."""
    import keras
    convs = [layer for layer in dm.model.layers if isinstance(layer, keras.layers.Conv2D)]
    probe = keras.Model(dm.model.input, [layer.output for layer in convs])
    shapes = probe.compute_output_shape((1, height, width, 3))
    forward = 0.0
    for layer, shape in zip(convs, shapes):
        kh, kw, cin, cout = layer.kernel.shape
        forward += 2.0 * shape[1] * shape[2] * kh * kw * cin * cout
    return 2.0 * forward


def seconds_per_step(dm: dd.DreamModel, height: int, width: int, steps: int = 8,
                     transforms: dd.Transforms | None = None) -> float:
    x = dd.to_model(dd.noise_image(width, height, seed=0))
    rng = np.random.default_rng(0)
    x, _ = dd.gradient_ascent_step(dm, x, 0.01, rng=rng, transforms=transforms)  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        x, _ = dd.gradient_ascent_step(dm, x, 0.01, rng=rng, transforms=transforms)
    return (time.perf_counter() - start) / steps


def robust_over_plain(dm: dd.DreamModel, height: int, width: int, rounds: int = 7) -> tuple[float, float]:
    """Median seconds per step, plain and robust, measured alternately so both see the same machine."""
    plain, robust = [], []
    for _ in range(rounds):
        plain.append(seconds_per_step(dm, height, width, steps=2))
        robust.append(seconds_per_step(dm, height, width, steps=2, transforms=dd.ROBUST))
    return float(np.median(plain)), float(np.median(robust))


def tutorial_run(dm: dd.DreamModel) -> tuple[float, int]:
    """The TF tutorial's default octave run, with this module's step; returns seconds, pixel-steps."""
    image = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=TUTORIAL["max_side"])
    base = np.array(image.shape[:2], dtype=np.float32)
    x = dd.to_model(image)
    rng = np.random.default_rng(0)
    pixel_steps = 0
    start = time.perf_counter()
    for octave in TUTORIAL["octaves"]:
        height, width = (base * TUTORIAL["octave_scale"] ** octave).astype(int)
        x = dd.tf.image.resize(x, (height, width))
        for _ in range(TUTORIAL["steps"]):
            x, _ = dd.gradient_ascent_step(dm, x, TUTORIAL["step_size"], TUTORIAL["tile_size"], rng)
        pixel_steps += height * width * TUTORIAL["steps"]
    return time.perf_counter() - start, pixel_steps


def notebook_05_pixel_steps(shape) -> int:
    shapes = dd.octave_shapes(shape, NOTEBOOK_05["octaves"], NOTEBOOK_05["octave_scale"])
    return sum(h * w * NOTEBOOK_05["steps_per_octave"] for h, w in shapes)


def child_memory(kind: str) -> None:
    """Runs one dream in this (fresh) process and prints its peak resident memory as JSON."""
    dm = dd.dream_model(LAYERS)
    if kind == "1024x576":
        image = dd.load_image(dd.IMAGES_DIR / "mountain.jpg")
        dd.dream_octaves(dm, image, progress=False, **NOTEBOOK_05)
    else:
        image = dd.resize_image(dd.load_image(dd.IMAGES_DIR / "mountain.jpg"), 3000, 4000)
        dd.dream(dm, image, steps=1, step_size=0.01, tile_size=512, progress=False)  # the peak: within a step
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_gb": peak_kb / 1024**2}))


def peak_memory(kind: str) -> float:
    output = subprocess.run([sys.executable, __file__, "--child-memory", kind], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])["peak_rss_gb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child-memory", choices=["1024x576", "4000x3000"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        child_memory(args.child_memory)
        return

    print(f"machine: {os.cpu_count()} CPU cores, TensorFlow {dd.tf.__version__}, "
          f"intra-op threads {dd.tf.config.threading.get_intra_op_parallelism_threads() or 'default'}")
    rate = matmul_gflops()
    print(f"matmul 2048x2048 float32: {rate:.1f} GFLOP/s")

    dm = dd.dream_model(LAYERS)
    print(f"\nfull-image gradient step, layers {' + '.join(LAYERS)}:")
    print(f"{'size':>10s} {'s/step':>8s} {'GFLOP/step':>11s} {'GFLOP/s':>8s} {'of matmul':>10s}")
    fractions = {}
    for height, width in [(299, 299), (512, 512), (576, 1024)]:
        seconds = seconds_per_step(dm, height, width)
        flops = conv_flops(dm, height, width)
        fractions[(height, width)] = flops / seconds / 1e9 / rate
        print(f"{width:>5d}x{height:<4d} {seconds:8.3f} {flops / 1e9:11.1f} {flops / seconds / 1e9:8.1f} "
              f"{fractions[(height, width)]:10.2f}")

    print(f"\nrobust step (dd.ROBUST) against the plain step, alternately, layers {' + '.join(LAYERS)}:")
    ratios = {}
    for height, width in [(512, 512), (576, 1024)]:
        plain, robust = robust_over_plain(dm, height, width)
        ratios[(height, width)] = robust / plain
        print(f"{width:>5d}x{height:<4d} plain {plain:.3f} s, robust {robust:.3f} s: {robust / plain:.2f}x")

    tiny = seconds_per_step(dm, 48, 48, steps=50)
    print(f"per-call overhead bound (a whole step at 48x48): {tiny * 1000:.1f} ms, "
          f"{tiny / seconds_per_step(dm, 512, 512) * 100:.1f} % of a 512x512 step")

    mountain = dd.load_image(dd.IMAGES_DIR / "mountain.jpg")
    dm = dd.dream_model(LAYERS)  # a fresh compiled step, to count its traces over the runs below
    start = time.perf_counter()
    dd.dream_octaves(dm, mountain, progress=False, **NOTEBOOK_05)
    ours = time.perf_counter() - start
    ours_pixel_steps = notebook_05_pixel_steps(mountain.shape[:2])
    theirs, theirs_pixel_steps = tutorial_run(dm)
    traces = dm.step.tracing_counts()  # per path: whole image, tiles
    print(f"\nnotebook 05's dream (1024x576, {NOTEBOOK_05['octaves']} octaves x "
          f"{NOTEBOOK_05['steps_per_octave']} steps, tile {NOTEBOOK_05['tile_size']}): {ours:.1f} s, "
          f"{ours_pixel_steps / 1e6:.1f} M pixel-steps, {ours / ours_pixel_steps * 1e9:.0f} ns per pixel-step")
    print(f"TF tutorial's default octave run (5 octaves x 100 steps, scale 1.3, 500 px, tile 512): {theirs:.1f} s, "
          f"{theirs_pixel_steps / 1e6:.1f} M pixel-steps, {theirs / theirs_pixel_steps * 1e9:.0f} ns per pixel-step")

    rss_small, rss_large = peak_memory("1024x576"), peak_memory("4000x3000")
    print(f"\npeak resident memory: 1024x576 dream {rss_small:.2f} GB; 4000x3000 tiled dream (tile 512) "
          f"{rss_large:.2f} GB")
    print(f"compiled step traced {traces['whole']} + {traces['tiled']} time(s) (whole image + tiles) over both "
          "octave runs (9 image sizes)")

    print("\ntargets:")
    print(f"  512x512 at >= {TARGETS['fraction_512']} of the matmul rate: {fractions[(512, 512)]:.2f} "
          f"{'met' if fractions[(512, 512)] >= TARGETS['fraction_512'] else 'NOT met'}")
    worst = max(ratios.values())
    print(f"  robust step at most {TARGETS['robust_over_plain']}x the plain step: {worst:.2f}x "
          f"{'met' if worst <= TARGETS['robust_over_plain'] else 'NOT met'}")
    one_each = max(traces.values()) <= TARGETS["traces"]
    print(f"  one trace per path: {traces} {'met' if one_each else 'NOT met'}")
    print(f"  4000x3000 tiled within {TARGETS['peak_rss_4000x3000_gb']} GB: {rss_large:.2f} GB "
          f"{'met' if rss_large <= TARGETS['peak_rss_4000x3000_gb'] else 'NOT met'}")
    print(f"  notebook 05 no slower than the tutorial run: {ours:.1f} s vs {theirs:.1f} s "
          f"{'met' if ours <= theirs else 'NOT met'}")


if __name__ == "__main__":
    main()
