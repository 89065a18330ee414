"""DeepDream helpers shared by every notebook of the coursework suite.

DeepDream changes an *input image* by gradient ascent so that chosen layers of
an ImageNet-trained InceptionV3 respond more strongly. This module holds the
pieces every notebook needs, and nothing else:

* image I/O, from ``deepdream_io`` (re-exported here): ``load_image``, ``noise_image``,
  ``save_image`` (atomic; never replaces an input or a file this suite did not write),
  ``check_output_path``, ``save_figure``, ``save_animation``, ``save_sidecar``, ``save_result``;
  and here ``to_model`` / ``from_model`` / ``resize_image``;
* the model: ``dream_model`` (InceptionV3 truncated at the deepest chosen layer);
* the objective and one step: ``dream_loss``, ``layer_losses``, ``print_layer_losses``,
  ``gradient_ascent_step``, ``show_one_step``;
* the loops: ``dream`` (one scale), ``dream_octaves`` (multi-scale, random-shift tiles)
  and ``zoom_dream`` (frames of a zoom animation, saved by ``save_animation``); each takes its
  gradient through small random transforms (``transforms=ROBUST``, from ``deepdream_geometry``),
  optionally normalises it per Laplacian-pyramid level (``normalize="laplacian"``), and can keep
  a kaleidoscope's symmetry (``symmetry=Symmetry(folds=6, mirror=True)``);
* objectives beyond the course: one channel (``channel=``) or a guide image (``guide=``);
* measured quality: ``quality_report`` (objective, ``robustness``, and from ``deepdream_quality``
  ``border_ratio``, ``high_frequency_share``, ``seam_ratio``);
* figures, from ``deepdream_plots``: ``plot_comparison``, ``plot_images``, ``plot_loss``.

``deepdream IMAGE [options]`` (or ``python -m deepdream_utils``) runs the command-line dreamer
(deepdream_cli.py); ``deepdream serve`` the web app and HTTP API (deepdream_web.py).

Importing the module sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless it is already set, so that
TensorFlow's C++ log lines stay out of notebook outputs. Results go to ``outputs/``, or to the
folder named by the environment variable ``DEEPDREAM_OUTPUTS`` (the tests use a temporary one).

Images are ``float32`` arrays of shape ``(height, width, 3)`` with values in
``[0, 1]``; the model sees them in ``[-1, 1]``. The default weights are the real
ImageNet InceptionV3 weights bundled in ``weights/`` (no network needed);
``weights="imagenet"`` uses Keras's official download instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import os
import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _import_tensorflow_quietly():
    """Imports TensorFlow with its native start-up log lines (printed before its
    log level applies, with timestamps) kept off stderr, where notebooks would save them."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return tensorflow


tf = _import_tensorflow_quietly()
import keras  # noqa: E402  (after TensorFlow, whose Keras it is)

from deepdream_geometry import (  # noqa: E402, F401  (re-exported)
    IDENTITY_AFFINE,
    ROBUST,
    Symmetry,
    Transforms,
    affine_matrix,
    bilinear_taps,
    random_affine,
    symmetrize,
    symmetry_sources,
)
from deepdream_io import (  # noqa: E402, F401  (re-exported: notebooks import only this module)
    IMAGES_DIR,
    LARGEST_UNSCALED_PIXELS,
    OUTPUTS_DIR,
    REPO_ROOT,
    SAVE_SUFFIXES,
    SUITE_MARK,
    _check_image,
    _positive_float,
    _positive_int,
    _seed,
    check_output_path,
    decode_image,
    jpeg_bytes,
    load_image,
    noise_image,
    save_animation,
    save_figure,
    save_image,
    save_result,
    save_sidecar,
    signals_held,
)
from deepdream_plots import format_params, plot_comparison, plot_images, plot_loss  # noqa: E402, F401
from deepdream_quality import border_ratio, high_frequency_share, seam_ratio  # noqa: E402, F401  (re-exported)

BUNDLED_WEIGHTS = REPO_ROOT / "weights" / "inception_v3_imagenet_to_mixed7.float16.npz"
BUNDLED_LAST_LAYER = "mixed7"  # the bundled file covers every layer up to this one
WEIGHT_SOURCES = ("bundled", "imagenet")
KERAS_WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                     "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")  # as keras.applications
KERAS_WEIGHTS_MD5 = "bcbd6486424b2319ff4ef7d526e38f63"
LARGEST_SENSIBLE_STEP_SIZE = 0.1  # larger steps clip most pixels to black or white: warned about

# Auto-named layer families of keras.applications.InceptionV3, renamed to the
# names a fresh process gives them (conv2d, conv2d_1, ...), so that the course's
# names mean the same layers however many models were built before.
_AUTO_NAMED = ("conv2d", "batch_normalization", "activation", "max_pooling2d",
               "average_pooling2d", "concatenate")


# --------------------------------------------------------------------------- checks


def _step_size(value: Any) -> float:
    """A valid step size; warns when it is so large that most pixels would be clipped."""
    step_size = _positive_float("step_size", value)
    if step_size > LARGEST_SENSIBLE_STEP_SIZE:
        warnings.warn(
            f"step_size={step_size:g} is very large: most pixels will be clipped to black or white. "
            f"Sensible values lie between 0.005 and {LARGEST_SENSIBLE_STEP_SIZE:g}.", UserWarning, stacklevel=3)
    return step_size


def to_model(image: np.ndarray) -> np.ndarray:
    """Maps a [0, 1] image to the model's [-1, 1] range."""
    return (np.asarray(image, dtype=np.float32) * 2.0 - 1.0).astype(np.float32)


def from_model(x: np.ndarray | tf.Tensor) -> np.ndarray:
    """Maps a model image in [-1, 1] back to [0, 1]."""
    return np.clip((np.asarray(x, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear (antialiased) resize of a float image to (height, width)."""
    resized = tf.image.resize(image, (int(height), int(width)), method="bilinear", antialias=True)
    return resized.numpy().astype(np.float32)

# --------------------------------------------------------------------------- model


def _canonical_names(model: keras.Model) -> None:
    """Renames auto-named layers to the names a fresh Keras process gives them."""
    families: dict[str, list[tuple[int, keras.layers.Layer]]] = {}
    for layer in model.layers:
        match = re.fullmatch(r"([a-z_0-9]+?)(?:_(\d+))?", layer.name)
        if match and match.group(1) in _AUTO_NAMED:
            number = int(match.group(2)) if match.group(2) else 0
            families.setdefault(match.group(1), []).append((number, layer))
    for family, members in families.items():
        for index, (_, layer) in enumerate(sorted(members, key=lambda item: item[0])):
            layer.name = family if index == 0 else f"{family}_{index}"


def _load_bundled_weights(model: keras.Model, path: Path = BUNDLED_WEIGHTS) -> None:
    if not path.exists():
        raise FileNotFoundError(
            f"The bundled weights '{path}' are missing. Restore them with `git checkout -- weights/` "
            "or rebuild them with tools/convert_inception_weights.py.")
    with np.load(path) as stored:
        for layer in model.layers:
            if isinstance(layer, keras.layers.Conv2D):
                keys = ("kernel",)
            elif isinstance(layer, keras.layers.BatchNormalization):
                keys = ("beta", "moving_mean", "moving_variance")
            else:
                continue
            layer.set_weights([stored[f"{layer.name}/{key}"].astype(np.float32) for key in keys])


def _keras_imagenet_weights() -> str:
    """Keras's official InceptionV3 ImageNet weights (no top): downloaded once, then cached."""
    try:
        return keras.utils.get_file(KERAS_WEIGHTS_URL.rsplit("/", 1)[1], KERAS_WEIGHTS_URL,
                                    cache_subdir="models", file_hash=KERAS_WEIGHTS_MD5)
    except Exception as error:  # Keras reports a failed download with a plain Exception
        raise ConnectionError(
            f"Could not get Keras's ImageNet weights ({error}). They need internet access; "
            "weights='bundled' works offline (layers up to mixed7).") from None


@functools.lru_cache(maxsize=2)
def inception_trunk(weights: str = "bundled") -> keras.Model:
    """InceptionV3 without its classifier, canonically named, for any image size.

    Args:
        weights: ``"bundled"`` (the repository's ImageNet weights, layers up to
            ``mixed7``, no network) or ``"imagenet"`` (Keras's download, all layers).
    """
    if weights not in WEIGHT_SOURCES:
        raise ValueError(f"weights must be one of {WEIGHT_SOURCES}, got {weights!r}.")
    full = keras.applications.InceptionV3(
        include_top=False, weights=None if weights == "bundled" else _keras_imagenet_weights(),
        input_shape=(None, None, 3))
    _canonical_names(full)
    if weights == "imagenet":
        return full
    trunk = keras.Model(full.input, full.get_layer(BUNDLED_LAST_LAYER).output, name="inception_v3_trunk")
    _load_bundled_weights(trunk)
    return trunk


def layer_names(weights: str = "bundled") -> list[str]:
    """Names of the layers a dream can use with these weights (``mixed*`` first)."""
    names = [layer.name for layer in inception_trunk(weights).layers[1:]]
    return sorted(names, key=lambda name: not name.startswith("mixed"))


def _unknown_layer_message(name: str, weights: str) -> str:
    valid = layer_names(weights)
    hint = ""
    if weights == "bundled" and name in layer_names_imagenet_only():
        hint = f" The bundled weights stop at {BUNDLED_LAST_LAYER}; use weights='imagenet' (needs internet)."
    close = difflib.get_close_matches(name, valid, n=3)
    if close:
        hint += f" Did you mean {', '.join(close)}?"
    mixed = [layer for layer in valid if layer.startswith("mixed")]
    families = []
    for family in _AUTO_NAMED:
        count = sum(1 for layer in valid if re.fullmatch(rf"{family}(_\d+)?", layer))
        if count:
            families.append(family if count == 1 else f"{family}, {family}_1 ... {family}_{count - 1}")
    return (f"Unknown layer {name!r}.{hint} Valid layers: {', '.join(mixed)}; and the auto-named "
            f"{'; '.join(families)} (the course's conv2d_15, conv2d_18 among them). "
            f"dd.layer_names() lists all {len(valid)}.")


@functools.cache
def layer_names_imagenet_only() -> tuple[str, ...]:
    """Layers that exist in InceptionV3 after ``mixed7`` (need ``weights='imagenet'``)."""
    return ("mixed8", "mixed9", "mixed9_0", "mixed9_1", "mixed10") + tuple(
        f"conv2d_{i}" for i in range(70, 94))


@dataclasses.dataclass(frozen=True)
class DreamModel:
    """A model that maps an image to the chosen layers' activations, and its objective.

    Made by ``dream_model``; holds what the loss and the compiled step need.
    """

    model: keras.Model  # [-1, 1] image batch -> list of activations
    layer_weights: dict[str, float]  # layer name -> weight in the loss
    channel: int | None  # if set, only this channel of the (single) layer counts
    guide: Any  # if set, the guide image's features (positions x channels) to resemble
    weights: str  # "bundled" or "imagenet"
    min_side: int  # smallest image side that reaches the deepest layer
    step: Any  # the compiled gradient-ascent step (see gradient_ascent_step)


def dream_model(layers: str | Sequence[str] | Mapping[str, float], weights: str = "bundled",
                channel: int | None = None, guide: np.ndarray | None = None) -> DreamModel:
    """Builds the dream model for some layers, computing only up to the deepest one.

    Args:
        layers: one name, a list of names (equal weights), or a ``{name: weight}`` dict.
            Keras names such as ``"mixed3"``, ``"mixed5"``, ``"conv2d_15"``. A weight of 0 is
            refused (the layer would do nothing); a negative weight makes the dream *suppress*
            that layer, pushing its activation down while the others grow.
        weights: ``"bundled"`` (default, offline) or ``"imagenet"`` (Keras's download).
        channel: dream only this channel of the layer (needs exactly one layer).
        guide: a [0, 1] guide image (needs exactly one layer): instead of making the
            layer fire more, make each position's features resemble the guide feature
            they match best (the "guided" dream of the original DeepDream release).
    """
    layer_weights = _layer_weights(layers)
    trunk = inception_trunk(weights)
    known = {layer.name for layer in trunk.layers[1:]}
    for name in layer_weights:
        if name not in known:
            raise ValueError(_unknown_layer_message(name, weights))
    outputs = [trunk.get_layer(name).output for name in layer_weights]
    model = keras.Model(trunk.input, outputs, name="dream_" + "_".join(layer_weights))
    if channel is not None:
        if len(layer_weights) != 1:
            raise ValueError("channel= needs exactly one layer: a channel belongs to one layer.")
        depth = outputs[0].shape[-1]
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or not 0 <= channel < depth:
            raise ValueError(f"channel must be a whole number from 0 to {depth - 1} for this layer, "
                             f"got {channel!r}.")
        channel = int(channel)
    min_side = _min_side(model)
    guide_features = None
    if guide is not None:
        if len(layer_weights) != 1 or channel is not None:
            raise ValueError("guide= needs exactly one layer and no channel.")
        guide = _check_image(guide)
        if min(guide.shape[:2]) < min_side:
            raise ValueError(f"The guide image is {guide.shape[1]}x{guide.shape[0]} pixels; layer "
                             f"{next(iter(layer_weights))} needs at least {min_side} on each side.")
        features = model(to_model(guide)[None], training=False)
        guide_features = tf.reshape(features, (-1, features.shape[-1]))
    return DreamModel(model=model, layer_weights=layer_weights, channel=channel, guide=guide_features,
                      weights=weights, min_side=min_side,
                      step=_compiled_step(model, tuple(layer_weights.values()), channel, guide_features))


def _layer_weights(layers: Any) -> dict[str, float]:
    """``layers`` as given to ``dream_model``, checked, as ``{name: weight}``."""
    example = "for example 'mixed3', ['mixed3', 'mixed5'] or {'mixed3': 1.0, 'mixed5': 0.5}"
    if isinstance(layers, str):
        layers = [layers]
    if isinstance(layers, Mapping):
        items = list(layers.items())
    elif isinstance(layers, Sequence):
        items = [(name, 1.0) for name in layers]
    else:
        raise ValueError(f"layers must be a layer name, a list of names or a dict of weights ({example}), "
                         f"got {layers!r}.")
    if not items:
        raise ValueError(f"Choose at least one layer, {example}.")
    layer_weights = {}
    for name, weight in items:
        if not isinstance(name, str):
            raise ValueError(f"Layer names are strings such as 'mixed3', got {name!r}.")
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)) or not math.isfinite(weight):
            raise ValueError(f"The weight of layer {name!r} must be a finite number, got {weight!r}.")
        if weight == 0:
            raise ValueError(f"The weight of layer {name!r} is 0, so it would do nothing: "
                             "leave the layer out, or give it a weight.")
        layer_weights[name] = float(weight)
    return layer_weights


def _min_side(model: keras.Model, limit: int = 1024) -> int:
    """Smallest square input side for which every output of ``model`` is at least 1x1."""

    def fits(side: int) -> bool:
        try:
            model.compute_output_shape((1, side, side, 3))
        except ValueError:
            return False
        return True

    low, high = 1, limit
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle + 1, high)
    return low


# --------------------------------------------------------------------------- loss and step


def _layer_objective(activation: tf.Tensor, channel: int | None, guide: tf.Tensor | None) -> tf.Tensor:
    """Mean activation; or one channel's mean; or the mean best match with the guide's features."""
    if guide is not None:
        features = tf.reshape(activation, (-1, activation.shape[-1]))
        return tf.reduce_mean(tf.reduce_max(tf.matmul(features, guide, transpose_b=True), axis=1))
    return tf.reduce_mean(activation[..., channel] if channel is not None else activation)


def _loss_from_activations(activations: Sequence[tf.Tensor], layer_weights: Sequence[float],
                           channel: int | None, guide: tf.Tensor | None = None) -> tf.Tensor:
    return tf.add_n([w * _layer_objective(a, channel, guide) for w, a in zip(layer_weights, activations)])


def _activations(model: keras.Model, batch: tf.Tensor) -> list[tf.Tensor]:
    """The model's outputs for a batch, always as a list (Keras returns one tensor for one layer)."""
    activations = model(batch, training=False)
    return list(activations) if isinstance(activations, (list, tuple)) else [activations]


def print_layer_losses(dm: DreamModel, image: np.ndarray, when: str = "start image") -> None:
    """Prints each chosen layer's loss with its weight, and their weighted sum (the objective)."""
    for name, value in layer_losses(dm, image).items():
        print(f"{when}, {name} (weight {dm.layer_weights[name]:g}): loss = {value:.3f}")
    if len(dm.layer_weights) > 1:
        print(f"{when}, weighted sum: loss = {dream_loss(dm, image):.3f}")


def layer_losses(dm: DreamModel, image: np.ndarray) -> dict[str, float]:
    """Each chosen layer's objective (mean activation, channel mean or guide match) for a [0, 1] image."""
    image = _check_image(image)
    check_image_size(dm, image.shape[:2])
    activations = _activations(dm.model, to_model(image)[None])
    return {name: float(_layer_objective(a, dm.channel, dm.guide))
            for name, a in zip(dm.layer_weights, activations)}


def dream_loss(dm: DreamModel, image: np.ndarray) -> float:
    """The dream objective for a [0, 1] image: weighted mean activation of the chosen layers."""
    return sum(dm.layer_weights[name] * loss for name, loss in layer_losses(dm, image).items())


_LAPLACIAN_KERNEL = np.outer(*[np.float32([1, 4, 6, 4, 1]) / 16] * 2)  # the TF1 notebook's 5x5 binomial
LAPLACIAN_LEVELS = 4  # as the TF1 DeepDream notebook's lap_normalize (lap_n=4)
NORMALIZATIONS = ("std", "laplacian")


def _laplacian_normalize(gradient: tf.Tensor, levels: int = LAPLACIAN_LEVELS) -> tf.Tensor:
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


def _compiled_step(model: keras.Model, layer_weights: tuple[float, ...], channel: int | None,
                   guide: tf.Tensor | None = None):
    """One tf.function doing one gradient-ascent step, with tiles and transforms; serves every image size."""

    def loss_of(x: tf.Tensor) -> tf.Tensor:
        return _loss_from_activations(_activations(model, x[None]), layer_weights, channel, guide)

    @tf.function(reduce_retracing=True, input_signature=[
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
    ])
    def step(image, y_edges, x_edges, roll, pad, window, affine, use_affine, laplacian, step_size):
        with tf.GradientTape() as view_tape:  # the network sees a transformed view of the image
            view_tape.watch(image)
            view = tf.pad(tf.roll(image, roll, axis=[0, 1]), [[pad, pad], [pad, pad], [0, 0]], "REFLECT")
            view = view[window[0]:window[0] + window[2], window[1]:window[1] + window[3]]  # jitter
            view = tf.cond(use_affine, lambda: tf.raw_ops.ImageProjectiveTransformV3(
                images=view[None], transforms=affine[None], output_shape=tf.shape(view)[:2], fill_value=0.0,
                interpolation="BILINEAR", fill_mode="REFLECT")[0], lambda: view)
        view_gradients = tf.zeros_like(view)
        total = tf.constant(0.0)
        for i in tf.range(tf.size(y_edges) - 1):
            for j in tf.range(tf.size(x_edges) - 1):
                with tf.GradientTape() as tape:
                    tape.watch(view)
                    loss = loss_of(view[y_edges[i]:y_edges[i + 1], x_edges[j]:x_edges[j + 1]])
                view_gradients += tape.gradient(loss, view)
                total += loss
        gradients = view_tape.gradient(view, image, output_gradients=view_gradients)
        n_tiles = tf.cast((tf.size(y_edges) - 1) * (tf.size(x_edges) - 1), tf.float32)
        std = tf.math.reduce_std(gradients)

        def laplacian_normalized():
            merged = _laplacian_normalize(gradients)
            return merged / (tf.math.reduce_std(merged) + 1e-8)

        gradients = tf.cond(laplacian, laplacian_normalized, lambda: gradients / (std + 1e-8))
        image = tf.clip_by_value(image + step_size * gradients, -1.0, 1.0)
        return image, total / n_tiles, std

    return step


def tile_edges(length: int, tile_size: int | None) -> np.ndarray:
    """Edges of ``max(1, length // tile_size)`` near-equal tiles covering ``length`` pixels.

    Every tile is at least ``min(tile_size, length)`` long, so each reaches the layer.
    """
    count = 1 if tile_size is None else max(1, length // tile_size)
    return np.round(np.linspace(0, length, count + 1)).astype(np.int32)


def _check_transforms(transforms: Any) -> Transforms | None:
    if transforms is None or isinstance(transforms, Transforms):
        return transforms
    raise ValueError(f"transforms must be dd.Transforms(...), dd.ROBUST or None, got {transforms!r}.")


def _check_normalize(normalize: Any) -> str:
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}.")
    return normalize


def gradient_ascent_step(dm: DreamModel, x: np.ndarray | tf.Tensor, step_size: float,
                         tile_size: int | None = None, rng: np.random.Generator | None = None,
                         transforms: Transforms | None = None,
                         normalize: str = "std") -> tuple[tf.Tensor, float]:
    """One step on a model image ``x`` in [-1, 1]: x + step_size * gradient / std, clipped.

    Args:
        dm: from ``dream_model``.
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
    transforms = _check_transforms(transforms)
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
                               tf.constant(_check_normalize(normalize) == "laplacian"),
                               tf.constant(step_size, tf.float32))
    loss, std = float(loss), float(std)
    if not (math.isfinite(loss) and math.isfinite(std)):
        raise FloatingPointError(f"The loss or its gradient became non-finite ({loss}, {std}).")
    return new_x, loss


def show_one_step(dm: DreamModel, image: np.ndarray, step_size: float) -> np.ndarray:
    """Runs one ``gradient_ascent_step`` on a [0, 1] image, prints the loss before and after; returns the new image."""
    x, loss_before = gradient_ascent_step(dm, to_model(_check_image(image)), _step_size(step_size))
    after = from_model(x)
    print(f"before: loss = {loss_before:.3f}")
    print(f"after one step of size {step_size:g}: loss = {dream_loss(dm, after):.3f}")
    return after


# --------------------------------------------------------------------------- loops


def check_image_size(dm: DreamModel, shape: Sequence[int]) -> None:
    """Raises a clear ValueError if an image of this (height, width) is too small for the dream's layers."""
    if min(shape) < dm.min_side:
        raise ValueError(
            f"The image is {shape[1]}x{shape[0]} pixels, but layer(s) {', '.join(dm.layer_weights)} "
            f"need at least {dm.min_side} pixels on each side. Use a larger image or a shallower layer.")


def _tile_size(dm: DreamModel, tile_size: int | None) -> int | None:
    """A valid tile size (never below what reaches the layers), or None for whole-image gradients."""
    return None if tile_size is None else max(_positive_int("tile_size", tile_size), dm.min_side)


def progress_bar(total: int, desc: str, enabled: bool):
    """A plain-text progress bar (it shows in terminals and notebooks, and is saved with them).

    While running it shows the time spent and left; its last state leaves the times out, so a
    notebook saved after a run has the same text on every run.
    """
    from tqdm.std import tqdm

    class Bar(tqdm):
        def close(self) -> None:
            self.bar_format = "{l_bar}{bar}| {n_fmt}/{total_fmt}{postfix}"
            super().close()

    return Bar(total=total, desc=desc, disable=not enabled, file=sys.stdout, mininterval=1.0,
               ascii=False, dynamic_ncols=False, ncols=90)


class DreamHistory(list):
    """The loss after each step of a dream, a list of floats.

    ``interrupted`` is True when Ctrl-C (or the notebook's stop button) cut the dream short.
    """

    interrupted: bool = False


def _check_symmetry(symmetry: Any) -> Symmetry | None:
    if symmetry is None or isinstance(symmetry, Symmetry):
        return symmetry
    raise ValueError(f"symmetry must be dd.Symmetry(folds=..., mirror=...) or None, got {symmetry!r}.")


@functools.lru_cache(maxsize=8)
def _symmetry_taps(height: int, width: int, symmetry: Symmetry) -> tuple[tf.Tensor, tf.Tensor]:
    index, weight = bilinear_taps(*symmetry_sources(height, width, symmetry), width)
    return tf.constant(index), tf.constant(weight[..., None])


def _symmetrized(x: tf.Tensor, symmetry: Symmetry | None) -> tf.Tensor:
    """A model image made symmetric (every pixel copies its source in the fundamental wedge)."""
    if symmetry is None:
        return x
    height, width = int(x.shape[0]), int(x.shape[1])
    index, weight = _symmetry_taps(height, width, symmetry)
    flat = tf.gather(tf.reshape(x, (height * width, 3)), index)  # (4, pixels, 3)
    return tf.reshape(tf.reduce_sum(weight * flat, axis=0), x.shape)


def _ascend(dm: DreamModel, x: tf.Tensor, steps: int, step_size: float, rng: np.random.Generator, bar,
            history: DreamHistory, tile_size: int | None = None, transforms: Transforms | None = None,
            normalize: str = "std", symmetry: Symmetry | None = None, on_step=None) -> tf.Tensor:
    """Runs ``steps`` steps, adding each loss to ``history``; returns the image.

    With ``symmetry``, the image is made symmetric before the first step and after every step.
    ``on_step(done, total)`` is called after every step; an exception it raises ends the dream.
    Ctrl-C stops early: the image as far as it got is returned and ``history.interrupted`` is set.
    """
    x = _symmetrized(x, symmetry)
    try:
        for _ in range(steps):
            try:
                new_x, loss = gradient_ascent_step(dm, x, step_size, tile_size, rng, transforms, normalize)
            except FloatingPointError as error:
                raise FloatingPointError(f"Step {len(history) + 1}: {error} Try a smaller step_size.") from None
            x = _symmetrized(new_x, symmetry)
            history.append(loss)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
            if on_step is not None:
                on_step(len(history), bar.total)
    except KeyboardInterrupt:  # wherever it lands in the loop, x is a complete image
        bar.write(f"Interrupted after {len(history)} steps: returning the image as far as it got.")
        history.interrupted = True
    return x


def _method(dm: DreamModel, tile_size: Any, transforms: Any, normalize: Any, symmetry: Any) -> dict[str, Any]:
    """The checked step options every loop passes to ``_ascend``."""
    return {"tile_size": _tile_size(dm, tile_size), "transforms": _check_transforms(transforms),
            "normalize": _check_normalize(normalize), "symmetry": _check_symmetry(symmetry)}


def dream(dm: DreamModel, image: np.ndarray, steps: int = 100, step_size: float = 0.01,
          tile_size: int | None = None, seed: int = 0, progress: bool = True,
          transforms: Transforms | None = ROBUST, normalize: str = "std",
          symmetry: Symmetry | None = None) -> tuple[np.ndarray, DreamHistory]:
    """Plain DeepDream at one scale: ``steps`` gradient-ascent steps on ``image``.

    Args:
        dm: from ``dream_model``.
        image: start image, float (H, W, 3) in [0, 1].
        steps: number of gradient-ascent steps.
        step_size: change per step, in units of the gradient's standard deviation
            (the model's range is [-1, 1]).
        tile_size: if set, use random-shift tiled gradients with tiles of about this size.
        seed: seeds the random tile shifts and transforms.
        progress: show a progress bar.
        transforms: the random transforms each step's gradient is taken through
            (``dd.ROBUST``, the default; ``dd.Transforms(...)`` to choose; None for the
            plain step of the TF tutorial).
        normalize: ``"std"`` (the tutorial's) or ``"laplacian"`` gradient normalisation.
        symmetry: keep the dream symmetric, ``dd.Symmetry(folds=6, mirror=True)`` (a kaleidoscope).

    Returns:
        The dreamed image in [0, 1] and the loss after each step (a ``DreamHistory``).
        Interrupting (Ctrl-C or the notebook's stop button) returns the image as far as
        it got, with ``history.interrupted`` set.
    """
    image = _check_image(image)
    steps, step_size = _positive_int("steps", steps), _step_size(step_size)
    method = _method(dm, tile_size, transforms, normalize, symmetry)
    check_image_size(dm, image.shape[:2])
    rng = np.random.default_rng(_seed(seed))
    history = DreamHistory()
    with progress_bar(steps, "dreaming", progress) as bar:
        x = _ascend(dm, tf.constant(to_model(image)), steps, step_size, rng, bar, history, **method)
    return from_model(x), history


def octave_shapes(shape: Sequence[int], octaves: int, octave_scale: float,
                  min_side: int = 1) -> list[tuple[int, int]]:
    """Image sizes (height, width) from smallest to ``shape``, each ``octave_scale`` apart.

    Sizes whose shorter side would fall below ``min_side`` are left out.
    """
    height, width = int(shape[0]), int(shape[1])
    sizes = []
    for k in range(octaves - 1, -1, -1):
        size = (round(height / octave_scale**k), round(width / octave_scale**k))
        if min(size) >= min_side:
            sizes.append(size)
    return sizes


def dream_octaves(dm: DreamModel, image: np.ndarray, octaves: int = 4, octave_scale: float = 1.4,
                  steps_per_octave: int | Sequence[int] = 25, step_size: float = 0.01,
                  tile_size: int | None = 512, reinject_detail: bool = True, seed: int = 0,
                  progress: bool = True, transforms: Transforms | None = ROBUST, normalize: str = "std",
                  symmetry: Symmetry | None = None, on_step=None) -> tuple[np.ndarray, DreamHistory]:
    """Multi-scale DeepDream: dream small, upscale, dream again, up to full size.

    Args:
        dm: from ``dream_model``.
        image: start image, float (H, W, 3) in [0, 1]; the result has its size.
        octaves: number of scales; the smallest is ``octave_scale ** (octaves - 1)`` times smaller.
        octave_scale: size ratio between neighbouring octaves (> 1).
        steps_per_octave: steps at each octave, one number or one per octave (small to large).
        step_size: change per step, in units of the gradient's standard deviation.
        tile_size: random-shift tiled gradients with tiles of about this size (None: whole image).
        reinject_detail: after each upscale, add back the detail the downscaling removed
            (as in the Keras example), so the result stays sharp.
        seed: seeds the random tile shifts and transforms.
        progress: show a progress bar.
        transforms, normalize, symmetry: as for ``dream``.
        on_step: called as ``on_step(steps_done, steps_total)`` after every step (the web app's
            progress); an exception it raises stops the dream and propagates.

    Returns:
        The dreamed image in [0, 1] and the loss after each step, all octaves (a
        ``DreamHistory``; ``history.interrupted`` is set when Ctrl-C cut it short).
        Octaves too small for the layers are skipped, with a message.
    """
    image = _check_image(image)
    octaves = _positive_int("octaves", octaves)
    octave_scale = _positive_float("octave_scale", octave_scale)
    if octave_scale <= 1:
        raise ValueError(f"octave_scale must be greater than 1, got {octave_scale!r}.")
    step_size = _step_size(step_size)
    method = _method(dm, tile_size, transforms, normalize, symmetry)
    per_octave = (list(steps_per_octave) if isinstance(steps_per_octave, Sequence)
                  and not isinstance(steps_per_octave, str) else [steps_per_octave] * octaves)
    if len(per_octave) != octaves:
        raise ValueError(f"steps_per_octave has {len(per_octave)} entries for {octaves} octaves.")
    per_octave = [_positive_int("steps_per_octave", s) for s in per_octave]
    check_image_size(dm, image.shape[:2])
    shapes = octave_shapes(image.shape[:2], octaves, octave_scale, dm.min_side)
    if len(shapes) < octaves:
        print(f"Skipping the {octaves - len(shapes)} smallest octave(s): too small for the layers "
              f"(at least {dm.min_side} pixels a side).")
        per_octave = per_octave[octaves - len(shapes):]
    rng = np.random.default_rng(_seed(seed))
    history = DreamHistory()
    original = to_model(image)
    previous_base = resize_image(original, *shapes[0])
    x = tf.constant(previous_base)
    with progress_bar(sum(per_octave), "dreaming", progress) as bar:
        for index, (shape, steps) in enumerate(zip(shapes, per_octave)):
            if index > 0:
                x = tf.image.resize(x, shape, method="bilinear")
                if reinject_detail:
                    base = resize_image(original, *shape)
                    x = x + (base - tf.image.resize(previous_base, shape, method="bilinear"))
                    previous_base = base
                x = tf.clip_by_value(x, -1.0, 1.0)
            x = _ascend(dm, x, steps, step_size, rng, bar, history, on_step=on_step, **method)
            if history.interrupted:
                x = tf.image.resize(x, image.shape[:2], method="bilinear")
                break
    return from_model(x), history


def zoom_dream(dm: DreamModel, image: np.ndarray, frames: int = 36, zoom: float = 1.05, steps: int = 10,
               step_size: float = 0.015, seed: int = 0, progress: bool = True,
               transforms: Transforms | None = ROBUST, normalize: str = "std") -> list[np.ndarray]:
    """A zoom-dream animation: dream a few steps, zoom into the centre a little, repeat.

    Args:
        dm: from ``dream_model``.
        image: first frame's start, float (H, W, 3) in [0, 1]; every frame has its size.
        frames: number of frames.
        zoom: magnification between frames (> 1).
        steps: gradient-ascent steps per frame.
        step_size: change per step, in units of the gradient's standard deviation.
        seed: seeds the random tile shifts (tiles are only used for images over 512 pixels).
        progress: show a progress bar.
        transforms, normalize: as for ``dream``.

    Returns:
        The frames, each a float (H, W, 3) image in [0, 1] (fewer if interrupted).
    """
    image = _check_image(image)
    frames, steps = _positive_int("frames", frames), _positive_int("steps", steps)
    step_size, zoom = _step_size(step_size), _positive_float("zoom", zoom)
    if zoom <= 1:
        raise ValueError(f"zoom must be greater than 1, got {zoom!r}.")
    check_image_size(dm, image.shape[:2])
    method = _method(dm, 512, transforms, normalize, None)
    height, width = image.shape[:2]
    crop_h, crop_w = max(1, round(height / zoom)), max(1, round(width / zoom))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    rng = np.random.default_rng(_seed(seed))
    x = tf.constant(to_model(image))
    result: list[np.ndarray] = []
    history = DreamHistory()
    with progress_bar(frames * steps, "zoom-dreaming", progress) as bar:
        for _ in range(frames):
            x = _ascend(dm, x, steps, step_size, rng, bar, history, **method)
            if history.interrupted:
                break
            result.append(from_model(x))
            x = tf.image.resize(x[top:top + crop_h, left:left + crop_w], (height, width), method="bilinear")
    return result


# --------------------------------------------------------------------------- quality

ROBUSTNESS_TRANSFORMS = 8  # random transforms the robustness indicator averages over
ROBUSTNESS_ROTATE, ROBUSTNESS_SCALE, ROBUSTNESS_SHIFT = 10.0, (0.9, 1.1), 8.0  # degrees, factors, pixels


def robustness(dm: DreamModel, image: np.ndarray, seed: int = 0, count: int = ROBUSTNESS_TRANSFORMS) -> float:
    """The objective averaged over ``count`` seeded random small transforms, over the untouched objective.

    Each transform rotates by up to ±10 degrees, scales by 0.9-1.1 and shifts by up to ±8 pixels,
    filling with grey. A pattern the network really sees survives them (near 1); a pixel-aligned,
    adversarial texture does not. Meaningful for objectives that are positive (no negative weights).
    """
    image = _check_image(image)
    check_image_size(dm, image.shape[:2])
    height, width = image.shape[:2]
    x = tf.constant(to_model(image))[None]
    rng = np.random.default_rng(_seed(seed))
    transformed = []
    for _ in range(_positive_int("count", count)):
        affine = random_affine(rng, height, width, ROBUSTNESS_ROTATE, ROBUSTNESS_SCALE, ROBUSTNESS_SHIFT)
        view = tf.raw_ops.ImageProjectiveTransformV3(
            images=x, transforms=tf.constant(affine)[None], output_shape=[height, width], fill_value=0.0,
            interpolation="BILINEAR", fill_mode="CONSTANT")  # 0 is grey in the model's range
        transformed.append(dream_loss(dm, from_model(view[0])))
    return float(np.mean(transformed) / dream_loss(dm, image))


@dataclasses.dataclass(frozen=True)
class Quality:
    """Measured quality of one dream (see ``quality_report``)."""

    objective: float  # the dream objective of the picture
    robustness: float  # objective under small random transforms / objective (1 = fully robust)
    border: float  # detail in the outer 8 px / detail inside (0 = flat frame, 1 = no frame)
    high_frequency_share: float  # spectral energy above half the Nyquist frequency (lower = smoother)
    seams: float | None = None  # detail on the tile grid / detail everywhere (1 = no seams); tiled dreams

    def __str__(self) -> str:
        text = (f"objective = {self.objective:.3f}, robustness = {self.robustness:.2f}, border = {self.border:.2f}, "
                f"high-frequency share = {self.high_frequency_share:.2f}")
        return text + (f", seams = {self.seams:.2f}" if self.seams is not None else "")


def quality_report(dm: DreamModel, image: np.ndarray, start: np.ndarray | None = None,
                   tile_size: int | None = None, seed: int = 0) -> Quality:
    """The quality indicators of a dreamed picture, seeded so they repeat exactly.

    Args:
        dm: the dream model whose objective is measured (the picture's own layers).
        image: the dream, float (H, W, 3) in [0, 1].
        start: the start image; if given, the border indicator looks at the change the dream
            made, so a photo's own detail cannot hide an unchanged frame.
        tile_size: for tiled dreams, also measure seams on that tile grid.
        seed: seeds the robustness transforms.
    """
    image = _check_image(image)
    if start is not None:
        start = _check_image(start)
        if start.shape != image.shape:
            raise ValueError(f"start has shape {start.shape} but the dream has {image.shape}: resize it first.")
    return Quality(objective=dream_loss(dm, image), robustness=robustness(dm, image, seed),
                   border=border_ratio(image, start), high_frequency_share=high_frequency_share(image),
                   seams=None if tile_size is None else seam_ratio(image, tile_size))


if __name__ == "__main__":  # python -m deepdream_utils IMAGE [options]: the command-line dreamer
    sys.modules.setdefault("deepdream_utils", sys.modules["__main__"])  # one module, not two copies
    from deepdream_cli import main

    sys.exit(main())
