"""The compiled gradient-ascent step: two ``tf.function``s for every image size, with tiles and transforms.

``deepdream_utils.gradient_ascent_step`` draws the random roll, jitter and affine transform, and calls
the step built here (``CompiledStep``: a whole-image and a tiled ``tf.function``); the loops call that.
The step also normalises the gradient (by its standard deviation, or per Laplacian-pyramid level) and
clips the image to the working range [-1, 1]; and ``symmetrized`` keeps a kaleidoscope's symmetry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from deepdream.runtime import tensorflow
from deepdream.transforms import Symmetry, bilinear_taps, symmetry_sources

tf = tensorflow()
_LAPLACIAN_KERNEL = np.outer(*[np.float32([1, 4, 6, 4, 1]) / 16] * 2)  # the TF1 notebook's 5x5 binomial
LAPLACIAN_LEVELS = 4  # as the TF1 DeepDream notebook's lap_normalize (lap_n=4)
NORMALIZATIONS = ("std", "laplacian")


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
