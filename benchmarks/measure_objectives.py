"""Measures what a total-variation penalty does to dreams from noise (``make measure-objectives``).

Dreams the same seeded noise with ``layer_mean(LAYER) - w * total_variation()`` for a few weights ``w``
(0 is the plain objective) and prints, for each, the quality indicators of ``dd.quality_report``
measured against the plain objective, and the image's total variation. A good weight lowers the
high-frequency share (less grain) while keeping most of the layer's objective.

    python benchmarks/measure_objectives.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import deepdream_utils as dd  # noqa: E402
from deepdream import objectives  # noqa: E402

LAYER = "mixed3"
SIZE = 224  # pixels a side
STEPS, STEP_SIZE = 60, 0.02
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)


def total_variation(image: np.ndarray) -> float:
    """The measure of ``objectives.total_variation``, in NumPy: on the working range [-1, 1]."""
    x = dd.to_model(image)
    return float(np.abs(np.diff(x, axis=0)).mean() + np.abs(np.diff(x, axis=1)).mean())


def main() -> None:
    start = dd.noise_image(SIZE, SIZE, seed=0)
    plain = dd.dream_model(LAYER)
    print(f"{LAYER} from {SIZE}x{SIZE} noise, {STEPS} steps of {STEP_SIZE}, seed 0; indicators of the plain objective")
    print(f"{'TV weight':>9} | {'objective':>9} | {'hf share':>8} | {'robustness':>10} | {'total variation':>15}")
    for weight in WEIGHTS:
        objective = objectives.layer_mean(LAYER) - weight * objectives.total_variation() if weight else LAYER
        dm = dd.dream_model(objective)
        result, _ = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, progress=False)
        quality = dd.quality_report(plain, result)
        print(f"{weight:9.1f} | {quality.objective:9.3f} | {quality.high_frequency_share:8.3f} | "
              f"{quality.robustness:10.2f} | {total_variation(result):15.4f}")


if __name__ == "__main__":
    main()
