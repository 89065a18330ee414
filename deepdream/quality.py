"""Picture-quality indicators for dreams, each defined so anyone can compute it.

* ``high_frequency_share``: the share of spectral energy above half the Nyquist frequency
  (fine, noisy texture scores high; smooth, large motifs low).
* ``border_ratio``: detail in the outer band against detail inside; a flat grey frame scores near 0,
  no frame near 1.
* ``seam_ratio``: detail on a tile grid's lines against detail everywhere; visible tile seams score
  well above 1.

* ``robustness``: the objective under small random transforms, over the objective (TensorFlow).
* ``Quality`` and ``measure``: all of them for one dream (``deepdream_utils.quality_report``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from deepdream import checks
from deepdream.i18n import gettext as _
from deepdream.images import check_image, from_model, to_model
from deepdream.runtime import tensorflow
from deepdream.transforms import random_affine

BORDER_BAND = 8  # pixels: the outer band the border indicator looks at
BORDER_INSET = 16  # pixels: the interior starts this far in from every edge
HIGH_PASS_BOX = 5  # the high-pass is the grey level minus its box blur of this side


def _gray(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"Expected an RGB image of shape (height, width, 3), got shape {image.shape}.")
    return image.mean(axis=2)


def high_pass(gray: np.ndarray, box: int = HIGH_PASS_BOX) -> np.ndarray:
    """Grey level minus its ``box`` x ``box`` mean (edges reflected): the fine detail of a picture."""
    half = box // 2
    padded = np.pad(gray, half, mode="reflect")
    summed = padded.cumsum(0).cumsum(1)
    summed = np.pad(summed, ((1, 0), (1, 0)))
    height, width = gray.shape
    blur = (summed[box:box + height, box:box + width] - summed[:height, box:box + width]
            - summed[box:box + height, :width] + summed[:height, :width]) / box**2
    return gray - blur


def high_frequency_share(image: np.ndarray, cutoff: float = 0.5) -> float:
    """Share of the image's spectral energy above ``cutoff`` times the Nyquist frequency.

    Measured on the grey levels, mean removed. Fine, noisy texture scores high; smooth,
    large-scale patterns score low. A quality indicator for comparing dreams of one image.
    """
    gray = _gray(image)
    power = np.abs(np.fft.fft2(gray - gray.mean())) ** 2
    fy = np.fft.fftfreq(gray.shape[0])[:, None] / 0.5  # 1.0 = Nyquist
    fx = np.fft.fftfreq(gray.shape[1])[None, :] / 0.5
    high = np.sqrt(fy**2 + fx**2) > cutoff
    return float(power[high].sum() / max(power.sum(), 1e-12))


def border_ratio(image: np.ndarray, start: np.ndarray | None = None, band: int = BORDER_BAND,
                 inset: int = BORDER_INSET) -> float:
    """Mean squared high-pass in the outer ``band`` pixels over the same ``inset`` pixels in from the edge.

    A flat grey frame scores near 0; a picture with as much detail at its edges as inside scores
    near 1. With ``start``, it is measured on the change the dream made (result minus start), so a
    photo's own detail does not hide a frame the dream left unchanged.
    """
    gray = _gray(image) - (_gray(start) if start is not None else 0.0)
    if min(gray.shape) <= 2 * inset + 1:
        raise ValueError(f"The border indicator needs a picture over {2 * inset + 1} pixels a side, got {gray.shape}.")
    energy = high_pass(gray) ** 2
    outer = np.ones(gray.shape, bool)
    outer[band:-band, band:-band] = False
    inner = energy[inset:-inset, inset:-inset]
    return float(energy[outer].mean() / max(inner.mean(), 1e-12))


def seam_ratio(image: np.ndarray, tile_size: int) -> float:
    """Mean squared high-pass on the lines of a ``tile_size`` grid (one pixel each side) over its mean everywhere.

    A dream whose tiles never moved shows seams on that grid (well above 1); random-shift tiles
    leave none (near 1). The grid starts at the top-left corner, as unshifted tiles would.
    """
    energy = high_pass(_gray(image)) ** 2
    height, width = energy.shape
    on_line = np.zeros(energy.shape, bool)
    for edge in range(tile_size, height, tile_size):
        on_line[edge - 1:edge + 1, :] = True
    for edge in range(tile_size, width, tile_size):
        on_line[:, edge - 1:edge + 1] = True
    if not on_line.any():
        raise ValueError(f"A {width}x{height} picture has no {tile_size}-pixel tile seams to measure.")
    return float(energy[on_line].mean() / max(energy.mean(), 1e-12))


ROBUSTNESS_TRANSFORMS = 8  # random transforms the robustness indicator averages over
ROBUSTNESS_ROTATE, ROBUSTNESS_SCALE, ROBUSTNESS_SHIFT = 10.0, (0.9, 1.1), 8.0  # degrees, factors, pixels


def robustness(loss: Callable[[np.ndarray], float], image: np.ndarray, seed: int = 0,
               count: int = ROBUSTNESS_TRANSFORMS) -> float:
    """The objective averaged over ``count`` seeded random small transforms, over the untouched objective.

    Each transform rotates by up to ±10 degrees, scales by 0.9-1.1 and shifts by up to ±8 pixels,
    filling with grey. A pattern the network really sees survives them (near 1); a pixel-aligned,
    adversarial texture does not. Meaningful for objectives that are positive (no negative weights).

    Args:
        loss: the objective of a [0, 1] image (``lambda image: dd.dream_loss(dm, image)``).
        image: the dream, float (H, W, 3) in [0, 1].
        seed: seeds the transforms.
        count: how many transforms.
    """
    tf = tensorflow()
    image = check_image(image)
    height, width = image.shape[:2]
    x = tf.constant(to_model(image))[None]
    rng = np.random.default_rng(checks.seed(seed))
    transformed = []
    for _view in range(checks.positive_int("count", count)):
        affine = random_affine(rng, height, width, ROBUSTNESS_ROTATE, ROBUSTNESS_SCALE, ROBUSTNESS_SHIFT)
        view = tf.raw_ops.ImageProjectiveTransformV3(
            images=x, transforms=tf.constant(affine)[None], output_shape=[height, width], fill_value=0.0,
            interpolation="BILINEAR", fill_mode="CONSTANT")  # 0 is grey in the working range
        transformed.append(loss(from_model(view[0])))
    return float(np.mean(transformed) / loss(image))


@dataclasses.dataclass(frozen=True)
class Quality:
    """Measured quality of one dream (see ``measure``)."""

    objective: float  # the dream objective of the picture
    robustness: float  # objective under small random transforms / objective (1 = fully robust)
    border: float  # detail in the outer 8 px / detail inside (0 = flat frame, 1 = no frame)
    high_frequency_share: float  # spectral energy above half the Nyquist frequency (lower = smoother)
    seams: float | None = None  # detail on the tile grid / detail everywhere (1 = no seams); tiled dreams

    def __str__(self) -> str:
        text = (f"{_('objective')} = {self.objective:.3f}, {_('robustness')} = {self.robustness:.2f}, "
                f"{_('border')} = {self.border:.2f}, {_('high-frequency share')} = {self.high_frequency_share:.2f}")
        return text + (f", {_('seams')} = {self.seams:.2f}" if self.seams is not None else "")


def measure(loss: Callable[[np.ndarray], float], image: np.ndarray, start: np.ndarray | None = None,
            tile_size: int | None = None, seed: int = 0) -> Quality:
    """The quality indicators of a dreamed picture, seeded so they repeat exactly.

    Args:
        loss: the objective of a [0, 1] image (the picture's own layers).
        image: the dream, float (H, W, 3) in [0, 1].
        start: the start image; if given, the border indicator looks at the change the dream
            made, so a photo's own detail cannot hide an unchanged frame.
        tile_size: for tiled dreams, also measure seams on that tile grid.
        seed: seeds the robustness transforms.
    """
    image = check_image(image)
    if start is not None:
        start = check_image(start)
        if start.shape != image.shape:
            raise ValueError(f"start has shape {start.shape} but the dream has {image.shape}: resize it first.")
    return Quality(objective=loss(image), robustness=robustness(loss, image, seed),
                   border=border_ratio(image, start), high_frequency_share=high_frequency_share(image),
                   seams=None if tile_size is None else seam_ratio(image, tile_size))
