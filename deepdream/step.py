"""The gradient-ascent step: its random draws, and its body compiled into two ``tf.function``s.

``gradient_ascent_step`` draws the random roll of the tiles, the jitter and the affine transform of one
step, and calls the model's compiled step (``CompiledStep``: a whole-image and a tiled ``tf.function``
that serve every image size); the loops (``deepdream.dream``) call it. The step normalises the gradient
(by its standard deviation, or per Laplacian-pyramid level) and clips the image to the working range
[-1, 1]; ``symmetrized`` keeps a kaleidoscope's symmetry.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from deepdream import checks
from deepdream.runtime import tensorflow
from deepdream.transforms import (
    IDENTITY_AFFINE,
    NORMALIZATIONS,
    Symmetry,
    Transforms,
    bilinear_taps,
    random_affine,
    symmetry_sources,
)

tf = tensorflow()
_LAPLACIAN_KERNEL = np.outer(*[np.float32([1, 4, 6, 4, 1]) / 16] * 2)  # the TF1 notebook's 5x5 binomial
LAPLACIAN_LEVELS = 4  # as the TF1 DeepDream notebook's lap_normalize (lap_n=4)
LARGEST_SENSIBLE_STEP_SIZE = 0.1  # larger steps clip most pixels to black or white: warned about


def checked_step_size(value: Any) -> float:
    """A valid step size; warns when it is so large that most pixels would be clipped."""
    step_size = checks.positive_float("step_size", value)
    if step_size > LARGEST_SENSIBLE_STEP_SIZE:
        warnings.warn(
            f"step_size={step_size:g} is very large: most pixels will be clipped to black or white. "
            f"Sensible values lie between 0.005 and {LARGEST_SENSIBLE_STEP_SIZE:g}.", UserWarning, stacklevel=3)
    return step_size


def check_options(transforms: Any, normalize: Any, symmetry: Any) -> None:
    """Refuses a step option of the wrong kind, saying what it may be."""
    if transforms is not None and not isinstance(transforms, Transforms):
        raise ValueError(f"transforms must be dd.Transforms(...), dd.ROBUST or None, got {transforms!r}.")
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}.")
    if symmetry is not None and not isinstance(symmetry, Symmetry):
        raise ValueError(f"symmetry must be dd.Symmetry(folds=..., mirror=...) or None, got {symmetry!r}.")


def tile_edges(length: int, tile_size: int | None) -> np.ndarray:
    """Edges of ``max(1, length // tile_size)`` near-equal tiles covering ``length`` pixels.

    Every tile is at least ``min(tile_size, length)`` long, so each reaches the layer.
    """
    count = 1 if tile_size is None else max(1, length // tile_size)
    return np.round(np.linspace(0, length, count + 1)).astype(np.int32)


def gradient_ascent_step(dm: Any, x: Any, step_size: float, tile_size: int | None = None,
                         rng: np.random.Generator | None = None, transforms: Transforms | None = None,
                         normalize: str = "std") -> tuple[Any, float]:
    """One step on a model image ``x`` in [-1, 1]: x + step_size * gradient / std, clipped.

    Args:
        dm: from ``dream_model`` (its ``step`` is a ``CompiledStep``).
        x: the image in the model's range [-1, 1].
        step_size: change per step, in units of the gradient's standard deviation.
        tile_size: if set, the gradient is summed over tiles of about that size after a random
            roll of the whole image (so tile seams move every step); memory is then bounded by
            the tile.
        rng: draws the random roll and transforms.
        transforms: if set (``dd.ROBUST``), the gradient is taken through a randomly padded,
            jittered, zoomed and rotated view of the image (transformation robustness).
        normalize: ``"std"`` divides the gradient by its standard deviation; ``"laplacian"``
            first normalises each level of its Laplacian pyramid.

    Returns:
        The new image and the loss (mean over tiles) before the step.
    """
    height, width = int(x.shape[0]), int(x.shape[1])
    rng = rng or np.random.default_rng(0)
    check_options(transforms, normalize, None)
    border = jitter = 0
    if transforms is not None:  # reflection needs padding below the side
        border = min(transforms.pad, height // 2, width // 2)
        jitter = min(transforms.jitter, height - 1 - border, width - 1 - border)
    view_height, view_width = height + 2 * border, width + 2 * border
    y_edges, x_edges = tile_edges(view_height, tile_size), tile_edges(view_width, tile_size)
    roll = [0, 0]
    if len(y_edges) > 2:
        roll[0] = int(rng.integers(-(tile_size // 2), tile_size // 2 + 1))
    if len(x_edges) > 2:
        roll[1] = int(rng.integers(-(tile_size // 2), tile_size // 2 + 1))
    window, affine = [jitter, jitter, view_height, view_width], IDENTITY_AFFINE
    if transforms is not None:
        window[:2] = (int(v) for v in rng.integers(0, 2 * jitter + 1, size=2))
        if transforms.affine:
            affine = random_affine(rng, view_height, view_width, transforms.rotate, transforms.scale)
    new_x, loss, std = dm.step(tf.convert_to_tensor(x, tf.float32), y_edges, x_edges, tf.constant(roll, tf.int32),
                               tf.constant(border + jitter, tf.int32), tf.constant(window, tf.int32),
                               tf.constant(affine),
                               tf.constant(transforms is not None and transforms.affine),
                               tf.constant(normalize == "laplacian"),
                               tf.constant(step_size, tf.float32))
    loss, std = float(loss), float(std)
    if not (math.isfinite(loss) and math.isfinite(std)):
        raise FloatingPointError(f"The loss or its gradient became non-finite ({loss}, {std}).")
    return new_x, loss


def laplacian_normalize(gradient: Any, levels: int = LAPLACIAN_LEVELS) -> Any:
    """The gradient split into a Laplacian pyramid, each level divided by its RMS, merged again.

    Coarse levels then count as much as fine ones, so the step favours larger structures
    (the TF1 DeepDream notebook's ``lap_normalize``).
    """
    down_kernel = tf.constant(np.tile(_LAPLACIAN_KERNEL[:, :, None, None], (1, 1, 3, 1)))
    up_kernel = tf.constant(4 * _LAPLACIAN_KERNEL[:, :, None, None] * np.eye(3, dtype=np.float32))
    current, highs = gradient[None], []
    for _ in range(levels):
        low = tf.nn.depthwise_conv2d(current, down_kernel, [1, 2, 2, 1], "SAME")
        highs.append(current - tf.nn.conv2d_transpose(low, up_kernel, tf.shape(current), [1, 2, 2, 1]))
        current = low
    merged = current / (tf.sqrt(tf.reduce_mean(tf.square(current))) + 1e-8)
    for high in reversed(highs):
        merged = tf.nn.conv2d_transpose(merged, up_kernel, tf.shape(high), [1, 2, 2, 1])
        merged += high / (tf.sqrt(tf.reduce_mean(tf.square(high))) + 1e-8)
    return merged[0]


class CompiledStep:
    """The gradient-ascent step, compiled on first use into two ``tf.function``s that serve every image size.

    ``whole`` steps the whole image at once (one tile, the usual case) and ``tiled`` loops over tiles.
    Each is traced when first needed, so a dream without tiles never pays for tracing the loop: a new
    model's first step takes about a third less time (benchmarks/README.md).
    Call it as the step itself: ``step(image, y_edges, x_edges, roll, pad, window, affine, use_affine,
    laplacian, step_size)`` -> ``(new image, loss, gradient std)``.

    Args:
        activations: a batch in [-1, 1] -> ``{layer: activation}`` (``DreamModel.activations``).
        objective: ``objective(activations, batch)`` -> the scalar to raise (``deepdream.objectives``).
    """

    def __init__(self, activations: Callable[[Any], dict[str, Any]], objective: Callable[[Any, Any], Any]):
        self._loss_of = lambda x: objective(activations(x[None]), x[None])
        self.whole = tf.function(functools.partial(self._step, tiled=False), reduce_retracing=True,
                                  input_signature=_SIGNATURE)
        self.tiled = tf.function(functools.partial(self._step, tiled=True), reduce_retracing=True,
                                  input_signature=_SIGNATURE)

    def __call__(self, image, y_edges, x_edges, *options):
        function = self.whole if len(y_edges) == 2 and len(x_edges) == 2 else self.tiled
        return function(image, y_edges, x_edges, *options)

    def tracing_counts(self) -> dict[str, int]:
        """How often each path was traced: ``{"whole": n, "tiled": m}`` (1 each at most, whatever the sizes)."""
        return {"whole": self.whole.experimental_get_tracing_count(),
                "tiled": self.tiled.experimental_get_tracing_count()}

    def _step(self, image, y_edges, x_edges, roll, pad, window, affine, use_affine, laplacian, step_size, *, tiled):
        with tf.GradientTape() as view_tape:  # the network sees a transformed view of the image
            view_tape.watch(image)
            view = tf.pad(tf.roll(image, roll, axis=[0, 1]), [[pad, pad], [pad, pad], [0, 0]], "REFLECT")
            view = view[window[0]:window[0] + window[2], window[1]:window[1] + window[3]]  # jitter
            view = tf.cond(use_affine, lambda: tf.raw_ops.ImageProjectiveTransformV3(
                images=view[None], transforms=affine[None], output_shape=tf.shape(view)[:2], fill_value=0.0,
                interpolation="BILINEAR", fill_mode="REFLECT")[0], lambda: view)
        if tiled:
            view_gradients, total = self._tiled_gradients(view, y_edges, x_edges)
        else:
            with tf.GradientTape() as tape:
                tape.watch(view)
                total = self._loss_of(view)
            view_gradients = tape.gradient(total, view)
        gradients = view_tape.gradient(view, image, output_gradients=view_gradients)
        std = tf.math.reduce_std(gradients)

        def laplacian_normalized():
            merged = laplacian_normalize(gradients)
            return merged / (tf.math.reduce_std(merged) + 1e-8)

        gradients = tf.cond(laplacian, laplacian_normalized, lambda: gradients / (std + 1e-8))
        image = tf.clip_by_value(image + step_size * gradients, -1.0, 1.0)
        return image, total, std

    def _tiled_gradients(self, view, y_edges, x_edges):
        """The gradient of the view summed over its tiles, and the mean loss over the tiles."""
        view_gradients = tf.zeros_like(view)
        total = tf.constant(0.0)
        for i in tf.range(tf.size(y_edges) - 1):
            for j in tf.range(tf.size(x_edges) - 1):
                with tf.GradientTape() as tape:
                    tape.watch(view)
                    loss = self._loss_of(view[y_edges[i]:y_edges[i + 1], x_edges[j]:x_edges[j + 1]])
                view_gradients += tape.gradient(loss, view)
                total += loss
        n_tiles = tf.cast((tf.size(y_edges) - 1) * (tf.size(x_edges) - 1), tf.float32)
        return view_gradients, total / n_tiles


_SIGNATURE = [
    tf.TensorSpec([None, None, 3], tf.float32),  # image in [-1, 1]
    tf.TensorSpec([None], tf.int32),  # row edges of the tiles (of the padded view)
    tf.TensorSpec([None], tf.int32),  # column edges of the tiles
    tf.TensorSpec([2], tf.int32),  # random roll of the whole image, moving the tile seams
    tf.TensorSpec([], tf.int32),  # reflected padding, pixels
    tf.TensorSpec([4], tf.int32),  # the window the network sees: top, left, height, width
    tf.TensorSpec([8], tf.float32),  # random zoom and rotation of the padded view
    tf.TensorSpec([], tf.bool),  # whether to apply that zoom and rotation
    tf.TensorSpec([], tf.bool),  # Laplacian-pyramid gradient normalisation, not std
    tf.TensorSpec([], tf.float32),  # step size
]


def compiled_step(activations: Callable[[Any], dict[str, Any]], objective: Callable[[Any, Any], Any]) -> CompiledStep:
    """The gradient-ascent step of this objective (see ``CompiledStep``)."""
    return CompiledStep(activations, objective)


def compiled_values(activations: Callable[[Any], dict[str, Any]], objective: Any) -> Any:
    """One tf.function for every image size: a batch in [-1, 1] -> each term's value (``Objective.values``).

    Measuring a picture (its loss, a quality report's robustness) calls the network often; compiled, a
    128-pixel call takes about a tenth of Keras's eager call, and a 1024-pixel one about half.
    """
    return tf.function(lambda batch: objective.values(activations(batch), batch), reduce_retracing=True,
                       input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])


@functools.lru_cache(maxsize=8)
def _symmetry_taps(height: int, width: int, symmetry: Symmetry) -> tuple[Any, Any]:
    index, weight = bilinear_taps(*symmetry_sources(height, width, symmetry), width)
    return tf.constant(index), tf.constant(weight[..., None])


def symmetrized(x: Any, symmetry: Symmetry | None) -> Any:
    """A working image made symmetric (every pixel copies its source in the fundamental wedge)."""
    if symmetry is None:
        return x
    height, width = int(x.shape[0]), int(x.shape[1])
    index, weight = _symmetry_taps(height, width, symmetry)
    flat = tf.gather(tf.reshape(x, (height * width, 3)), index)  # (4, pixels, 3)
    return tf.reshape(tf.reduce_sum(weight * flat, axis=0), x.shape)
