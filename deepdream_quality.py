"""Picture-quality indicators for dreams, in NumPy (no TensorFlow), each defined so anyone can compute it.

* ``high_frequency_share``: the share of spectral energy above half the Nyquist frequency
  (fine, noisy texture scores high; smooth, large motifs low).
* ``border_ratio``: detail in the outer band against detail inside; a flat grey frame scores near 0,
  no frame near 1.
* ``seam_ratio``: detail on a tile grid's lines against detail everywhere; visible tile seams score
  well above 1.

The network-based indicators (the objective and its robustness to small transforms) and
``quality_report``, which gathers them all, are in ``deepdream_utils``, which re-exports these.
"""

from __future__ import annotations

import numpy as np

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
