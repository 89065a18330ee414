"""Geometry for DeepDream, in NumPy (no TensorFlow): random small transforms and kaleidoscope symmetry.

* ``Transforms`` and ``ROBUST``: the transformation-robustness settings of a dream step (pad,
  jitter, scale, rotation), after Lucid and the Distill article "Feature Visualization"
  (Olah et al., 2017); ``random_affine`` draws one affine transform as the 8 numbers that
  TensorFlow's image-transform op takes.
* ``Symmetry``: a kaleidoscope's mirror and n-fold rotation; ``symmetry_sources`` maps every pixel
  to the point of the fundamental wedge it copies, and ``symmetrize`` applies that map.

``deepdream_utils`` re-exports everything public here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from deepdream import checks

IDENTITY_AFFINE = np.array([1, 0, 0, 0, 1, 0, 0, 0], np.float32)
# The step's gradient normalisations (deepdream.step), named here so the recipe reads them without TensorFlow.
NORMALIZATIONS = ("std", "laplacian")  # by the standard deviation; per level of its Laplacian pyramid


def _pair(name: str, value: Sequence[float]) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of numbers (low, high), got {value!r}.") from None
    return low, high


@dataclasses.dataclass(frozen=True)
class Transforms:
    """Random small transforms the network sees at every step, so the dream must survive them.

    A pattern the network really sees survives a small shift, scale or rotation; a pixel-aligned,
    adversarial texture does not. Taking each step's gradient through such transforms
    (transformation robustness) grows clean, larger motifs, and the padding lets the outermost
    pixels reach the network, so no grey frame is left.

    Attributes:
        pad: pixels of reflected border the network sees around the image, so that the
            outermost pixels reach it as inner ones do (each pixel costs compute).
        jitter: the image moves by up to this many pixels each way, at random, every step,
            with reflected picture coming into view.
        scale: the range a random zoom factor is drawn from, for example ``(0.95, 1.05)``.
        rotate: the largest random rotation, degrees either way.
    """

    pad: int = 16
    jitter: int = 16
    scale: tuple[float, float] = (0.95, 1.05)
    rotate: float = 5.0

    def __post_init__(self) -> None:
        for name in ("pad", "jitter"):
            value = getattr(self, name)
            if not checks.is_whole(value) or value < 0:
                raise ValueError(f"Transforms.{name} must be a whole number of pixels, 0 or more, got {value!r}.")
        low, high = _pair("Transforms.scale", self.scale)
        if not 0.5 <= low <= high <= 2.0:
            raise ValueError(f"Transforms.scale must be (low, high) with 0.5 <= low <= high <= 2, got {self.scale!r}.")
        if not isinstance(self.rotate, (int, float)) or not 0 <= self.rotate <= 45:
            raise ValueError(f"Transforms.rotate must be degrees from 0 to 45, got {self.rotate!r}.")

    @property
    def affine(self) -> bool:
        """Whether a scale or rotation is drawn at all (else only pad and jitter)."""
        return self.rotate > 0 or self.scale != (1.0, 1.0)


ROBUST = Transforms()  # the default of every dream loop: pad 16, jitter 16, scale 0.95-1.05, rotate 5 degrees


def affine_matrix(height: int, width: int, angle: float = 0.0, scale: float = 1.0,
                  shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The 8 numbers of TensorFlow's image-transform op for a zoom and rotation about the centre.

    Args:
        height, width: the image size, pixels.
        angle: rotation, degrees (counter-clockwise on screen).
        scale: zoom factor (above 1 enlarges).
        shift: then a move by (rows, columns) pixels.

    The op maps each *output* pixel to the input point it samples, so this is the inverse of the
    visible transform: ``input = centre + R(-angle) (output - shift - centre) / scale``.
    """
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    a = math.radians(angle)
    cos, sin = math.cos(a) / scale, math.sin(a) / scale
    oy, ox = cy + shift[0], cx + shift[1]  # where the centre lands
    # x_in = cos*(x - ox) - sin*(y - oy) + cx ; y_in = sin*(x - ox) + cos*(y - oy) + cy
    return np.array([cos, -sin, cx - cos * ox + sin * oy,
                     sin, cos, cy - sin * ox - cos * oy, 0.0, 0.0], np.float32)


def random_affine(rng: np.random.Generator, height: int, width: int, max_angle: float,
                  scale: tuple[float, float], max_shift: float = 0.0) -> np.ndarray:
    """A random ``affine_matrix``: angle within ±max_angle, scale within the range, shift within ±max_shift."""
    angle = rng.uniform(-max_angle, max_angle) if max_angle else 0.0
    factor = rng.uniform(*scale) if scale[0] != scale[1] else scale[0]
    shift = tuple(rng.uniform(-max_shift, max_shift, size=2)) if max_shift else (0.0, 0.0)
    return affine_matrix(height, width, angle, factor, shift)


# --------------------------------------------------------------------------- kaleidoscope


@dataclasses.dataclass(frozen=True)
class Symmetry:
    """A kaleidoscope's symmetry, kept at every step of a dream.

    Attributes:
        folds: n-fold rotation about the centre (1: none; 6: a hexagonal kaleidoscope).
        mirror: also mirror: left-right for ``folds=1``, else across each wedge's middle line
            (the dihedral symmetry of a real kaleidoscope's mirrors).

    Exact for mirror, 2 folds and, on a square picture, 4 folds. Other fold counts copy the
    fundamental wedge around the centre with bilinear sampling: symmetric within the circle
    inscribed in the picture; the corners outside it mirror the picture at its edges.
    """

    folds: int = 1
    mirror: bool = False

    def __post_init__(self) -> None:
        if not checks.is_whole(self.folds) or not 1 <= self.folds <= 24:
            raise ValueError(f"Symmetry.folds must be a whole number from 1 to 24, got {self.folds!r}.")
        if not isinstance(self.mirror, bool):
            raise ValueError(f"Symmetry.mirror must be True or False, got {self.mirror!r}.")
        if self.folds == 1 and not self.mirror:
            raise ValueError("Symmetry(folds=1, mirror=False) changes nothing: pass symmetry=None instead.")

    def __str__(self) -> str:
        return " ".join(([f"{self.folds}-fold"] if self.folds > 1 else []) + (["mirror"] if self.mirror else []))


def symmetry_sources(height: int, width: int, symmetry: Symmetry) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel, the (row, column) it copies from the fundamental wedge; wedge pixels copy themselves.

    Angles are measured clockwise from straight up, about the picture's centre. The wedge is
    ``[0, 360/folds)`` degrees, or its first half with ``mirror``.
    """
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    dy, dx = np.mgrid[0:height, 0:width].astype(np.float64)
    dy, dx = dy - cy, dx - cx
    radius = np.hypot(dy, dx)
    angle = np.arctan2(dx, -dy)  # 0 = up, clockwise positive
    wedge = 2 * np.pi / symmetry.folds
    folded = np.mod(angle, wedge)
    if symmetry.mirror:
        folded = np.where(folded > wedge / 2, wedge - folded, folded)
    # Exact integer sources where the fold is exact (no rounding blur): mirror, 180 and 90 degrees.
    rows = cy - radius * np.cos(folded)
    cols = cx + radius * np.sin(folded)
    rows, cols = np.round(rows, 6), np.round(cols, 6)
    return _reflect(rows, height - 1).astype(np.float32), _reflect(cols, width - 1).astype(np.float32)


def _reflect(values: np.ndarray, last: float) -> np.ndarray:
    """Coordinates outside [0, last] mirrored back in at the edge (the corners of a round pattern)."""
    values = np.abs(values)
    values = np.where(values > last, 2 * last - values, values)
    return np.clip(values, 0, last)


def bilinear_taps(rows: np.ndarray, cols: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices (4, N) and weights (4, N) that sample an image at (rows, cols) bilinearly."""
    r0, c0 = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    fr, fc = rows - r0, cols - c0
    r1, c1 = r0 + (fr > 0), c0 + (fc > 0)  # never past the last row or column: sources are clipped
    fr, fc = fr.ravel(), fc.ravel()
    index = np.stack([(r0 * width + c0).ravel(), (r0 * width + c1).ravel(),
                      (r1 * width + c0).ravel(), (r1 * width + c1).ravel()])
    weight = np.stack([(1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc]).astype(np.float32)
    return index, weight


def symmetrize(image: np.ndarray, symmetry: Symmetry) -> np.ndarray:
    """The image made symmetric: every pixel copies its source in the fundamental wedge."""
    image = np.asarray(image, np.float32)
    height, width = image.shape[:2]
    index, weight = bilinear_taps(*symmetry_sources(height, width, symmetry), width)
    flat = image.reshape(height * width, -1)
    return np.einsum("kn,knc->nc", weight, flat[index]).reshape(image.shape).astype(np.float32)
