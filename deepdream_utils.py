"""DeepDream, as the course teaches it: the loss, the gradient-ascent step and the loops.

DeepDream changes an *input image* by gradient ascent so that chosen layers of an ImageNet-trained
InceptionV3 respond more strongly. This is the module every notebook imports (``import
deepdream_utils as dd``) and the one to read: it holds the lesson's code,

* the objective: ``dream_loss`` and ``layer_losses`` (each chosen layer's mean activation, weighted);
* one step: ``gradient_ascent_step`` (x + step_size * gradient / std, clipped to [-1, 1]), ``show_one_step``;
* the loops: ``dream`` (one scale), ``dream_octaves`` (small to large, re-injecting the detail lost at
  each upscale, with random-shift tiles) and ``zoom_dream`` (frames of a zoom animation);

and re-exports, through ``__all__``, what the notebooks use from the ``deepdream`` package: the model
(``dream_model``), pictures in and out (``load_image``, ``save_result``...), figures, transforms
(``ROBUST``, ``Symmetry``) and quality indicators (``quality_report``).

Images are ``float32`` arrays of shape ``(height, width, 3)`` in ``[0, 1]``; the dream works in
``[-1, 1]`` (``to_model``, ``from_model``). The default network is InceptionV3 with the real ImageNet
weights bundled in the package (no network needed). ``deepdream IMAGE [options]`` is the command line.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from deepdream import backbones, checks, handwork, objectives
from deepdream import quality as _quality
from deepdream.files import (
    OUTPUTS_DIR,
    check_output_path,
    save_animation,
    save_figure,
    save_image,
    save_result,
    save_sidecar,
)
from deepdream.handwork import block_means, fixed_at_release, samples
from deepdream.images import check_image, check_mask, from_model, load_image, noise_image, to_model
from deepdream.model import DreamModel, check_image_size, dream_model, layer_names, trunk
from deepdream.paths import IMAGES_DIR
from deepdream.plots import format_params, plot_comparison, plot_images, plot_loss
from deepdream.quality import Quality, border_ratio, high_frequency_share, seam_ratio
from deepdream.runtime import grading_mode, progress_bar, tensorflow
from deepdream.step import NORMALIZATIONS, symmetrized
from deepdream.transforms import IDENTITY_AFFINE, ROBUST, Symmetry, Transforms, random_affine

tf = tensorflow()

__all__ = [
    # the lesson's code, defined here
    "dream_loss", "layer_losses", "print_layer_losses", "gradient_ascent_step", "show_one_step", "dream",
    "dream_octaves", "zoom_dream", "octave_shapes", "tile_edges", "resize_image", "progress_bar",
    "DreamHistory", "quality_report", "robustness", "LARGEST_SENSIBLE_STEP_SIZE",
    # the model and its objectives
    "dream_model", "DreamModel", "trunk", "layer_names", "check_image_size", "objectives", "backbones",
    "NORMALIZATIONS", "grading_mode",
    # pictures in and out
    "load_image", "noise_image", "check_image", "check_mask", "to_model", "from_model", "save_image", "save_result",
    "save_figure", "save_animation", "save_sidecar", "check_output_path", "IMAGES_DIR", "OUTPUTS_DIR",
    # transforms, figures and quality
    "ROBUST", "Transforms", "Symmetry", "random_affine", "plot_images", "plot_comparison", "plot_loss",
    "format_params", "Quality", "border_ratio", "high_frequency_share", "seam_ratio", "tf",
    "written_by_hand", "fixed_at_release", "samples", "block_means",  # checks that can't be borrowed
]

LARGEST_SENSIBLE_STEP_SIZE = 0.1  # larger steps clip most pixels to black or white: warned about


# --------------------------------------------------------------------------- checks


def _step_size(value: Any) -> float:
    """A valid step size; warns when it is so large that most pixels would be clipped."""
    step_size = checks.positive_float("step_size", value)
    if step_size > LARGEST_SENSIBLE_STEP_SIZE:
        warnings.warn(
            f"step_size={step_size:g} is very large: most pixels will be clipped to black or white. "
            f"Sensible values lie between 0.005 and {LARGEST_SENSIBLE_STEP_SIZE:g}.", UserWarning, stacklevel=3)
    return step_size


def resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear (antialiased) resize of a float image to (height, width)."""
    resized = tf.image.resize(image, (int(height), int(width)), method="bilinear", antialias=True)
    return resized.numpy().astype(np.float32)


# --------------------------------------------------------------------------- the objective


def print_layer_losses(dm: DreamModel, image: np.ndarray, when: str = "start image") -> None:
    """Prints each chosen layer's loss with its weight, and their weighted sum (the objective)."""
    for name, value in layer_losses(dm, image).items():
        print(f"{when}, {name} (weight {dm.layer_weights[name]:g}): loss = {value:.3f}")
    if len(dm.layer_weights) > 1:
        print(f"{when}, weighted sum: loss = {dream_loss(dm, image):.3f}")


def layer_losses(dm: DreamModel, image: np.ndarray) -> dict[str, float]:
    """Each chosen layer's objective (mean activation, channel mean or guide match) for a [0, 1] image."""
    image = check_image(image)
    check_image_size(dm, image.shape[:2])
    return dict(zip(dm.layer_weights, dm.term_values(image)))


def dream_loss(dm: DreamModel, image: np.ndarray) -> float:
    """The dream objective for a [0, 1] image: the weighted sum of the layers' mean activations."""
    return sum(dm.layer_weights[name] * loss for name, loss in layer_losses(dm, image).items())


# --------------------------------------------------------------------------- one step


def tile_edges(length: int, tile_size: int | None) -> np.ndarray:
    """Edges of ``max(1, length // tile_size)`` near-equal tiles covering ``length`` pixels.

    Every tile is at least ``min(tile_size, length)`` long, so each reaches the layer.
    """
    count = 1 if tile_size is None else max(1, length // tile_size)
    return np.round(np.linspace(0, length, count + 1)).astype(np.int32)


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
    _check_options(transforms, normalize, None)
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


def show_one_step(dm: DreamModel, image: np.ndarray, step_size: float) -> np.ndarray:
    """Runs one ``gradient_ascent_step`` on a [0, 1] image, prints the loss before and after; returns the new image."""
    x, loss_before = gradient_ascent_step(dm, to_model(check_image(image)), _step_size(step_size))
    after = from_model(x)
    print(f"before: loss = {loss_before:.3f}")
    print(f"after one step of size {step_size:g}: loss = {dream_loss(dm, after):.3f}")
    return after


# --------------------------------------------------------------------------- loops


def _tile_size(dm: DreamModel, tile_size: int | None) -> int | None:
    """A valid tile size (never below what reaches the layers), or None for whole-image gradients."""
    return None if tile_size is None else max(checks.positive_int("tile_size", tile_size), dm.min_side)


class DreamHistory(list):
    """The loss after each step of a dream, a list of floats; ``interrupted``: Ctrl-C cut the dream short."""

    interrupted: bool = False


def _check_options(transforms: Any, normalize: Any, symmetry: Any) -> None:
    if transforms is not None and not isinstance(transforms, Transforms):
        raise ValueError(f"transforms must be dd.Transforms(...), dd.ROBUST or None, got {transforms!r}.")
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}.")
    if symmetry is not None and not isinstance(symmetry, Symmetry):
        raise ValueError(f"symmetry must be dd.Symmetry(folds=..., mirror=...) or None, got {symmetry!r}.")


def _ascend(dm: DreamModel, x: tf.Tensor, steps: int, step_size: float, rng: np.random.Generator, bar,
            history: DreamHistory, tile_size: int | None = None, transforms: Transforms | None = None,
            normalize: str = "std", symmetry: Symmetry | None = None, on_step=None, mask=None) -> tf.Tensor:
    """Runs ``steps`` steps, adding each loss to ``history``; returns the image.

    With ``symmetry``, the image is made symmetric before the first step and after every step; with
    ``mask`` ((H, W, 1) in [0, 1]), each step's change is scaled by it, so 0 keeps the picture.
    ``on_step(done, total, x)`` is called after every step; an exception it raises ends the dream.
    Ctrl-C stops early: the image as far as it got is returned and ``history.interrupted`` is set.
    """
    x = symmetrized(x, symmetry)
    try:
        for _ in range(steps):
            try:
                new_x, loss = gradient_ascent_step(dm, x, step_size, tile_size, rng, transforms, normalize)
            except FloatingPointError as error:
                raise FloatingPointError(f"Step {len(history) + 1}: {error} Try a smaller step_size.") from None
            if mask is not None:
                new_x = x + mask * (new_x - x)
            x = symmetrized(new_x, symmetry)
            history.append(loss)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
            if on_step is not None:
                on_step(len(history), bar.total, x)
    except KeyboardInterrupt:  # wherever it lands in the loop, x is a complete image
        bar.write(f"Interrupted after {len(history)} steps: returning the image as far as it got.")
        history.interrupted = True
    return x


def _method(dm: DreamModel, tile_size: Any, transforms: Any, normalize: Any, symmetry: Any) -> dict[str, Any]:
    """The checked step options every loop passes to ``_ascend``."""
    _check_options(transforms, normalize, symmetry)
    return {"tile_size": _tile_size(dm, tile_size), "transforms": transforms, "normalize": normalize,
            "symmetry": symmetry}


def dream(dm: DreamModel, image: np.ndarray, steps: int = 100, step_size: float = 0.01,
          tile_size: int | None = None, seed: int = 0, progress: bool = True,
          transforms: Transforms | None = ROBUST, normalize: str = "std",
          symmetry: Symmetry | None = None, mask: Any = None) -> tuple[np.ndarray, DreamHistory]:
    """Plain DeepDream at one scale: ``steps`` gradient-ascent steps on ``image``.

    Args:
        dm: from ``dream_model``.
        image: start image, float (H, W, 3) in [0, 1].
        steps: number of gradient-ascent steps.
        step_size: change per step, in units of the gradient's standard deviation (the model's range is [-1, 1]).
        tile_size: if set, use random-shift tiled gradients with tiles of about this size.
        seed: seeds the random tile shifts and transforms.
        progress: show a progress bar.
        transforms: the random transforms each step's gradient is taken through (``dd.ROBUST``, the
            default; ``dd.Transforms(...)`` to choose; None for the plain step of the TF tutorial).
        normalize: ``"std"`` (the tutorial's) or ``"laplacian"`` gradient normalisation.
        symmetry: keep the dream symmetric, ``dd.Symmetry(folds=6, mirror=True)`` (a kaleidoscope).
        mask: where to dream (``check_mask``: a greyscale image or array of the image's size; white
            dreams, black keeps the picture, grey gives a soft edge); None dreams everywhere.

    Returns:
        The dreamed image in [0, 1] and the loss after each step (a ``DreamHistory``). Interrupting (Ctrl-C
        or the notebook's stop button) returns the image as far as it got, with ``history.interrupted`` set.
    """
    image = check_image(image)
    steps, step_size = checks.positive_int("steps", steps), _step_size(step_size)
    method = _method(dm, tile_size, transforms, normalize, symmetry)
    check_image_size(dm, image.shape[:2])
    rng = np.random.default_rng(checks.seed(seed))
    history = DreamHistory()
    mask = None if mask is None else tf.constant(check_mask(mask, image.shape))
    with progress_bar(steps, "dreaming", progress) as bar:
        x = _ascend(dm, tf.constant(to_model(image)), steps, step_size, rng, bar, history, mask=mask, **method)
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
                  symmetry: Symmetry | None = None, on_step=None, mask: Any = None) -> tuple[np.ndarray, DreamHistory]:
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
        on_step: called as ``on_step(steps_done, steps_total, x)`` after every step, ``x`` the
            picture so far (``from_model(x)``: the web app's progress and preview); an exception it
            raises stops the dream and propagates.
        mask: where to dream, as for ``dream`` (resized to each octave).

    Returns:
        The dreamed image in [0, 1] and the loss after each step, all octaves (a
        ``DreamHistory``; ``history.interrupted`` is set when Ctrl-C cut it short).
        Octaves too small for the layers are skipped, with a message.
    """
    image = check_image(image)
    octaves = checks.positive_int("octaves", octaves)
    octave_scale = checks.positive_float("octave_scale", octave_scale)
    if octave_scale <= 1:
        raise ValueError(f"octave_scale must be greater than 1, got {octave_scale!r}.")
    step_size = _step_size(step_size)
    method = _method(dm, tile_size, transforms, normalize, symmetry)
    per_octave = (list(steps_per_octave) if isinstance(steps_per_octave, Sequence)
                  and not isinstance(steps_per_octave, str) else [steps_per_octave] * octaves)
    if len(per_octave) != octaves:
        raise ValueError(f"steps_per_octave has {len(per_octave)} entries for {octaves} octaves.")
    per_octave = [checks.positive_int("steps_per_octave", s) for s in per_octave]
    check_image_size(dm, image.shape[:2])
    mask = None if mask is None else check_mask(mask, image.shape)
    shapes = octave_shapes(image.shape[:2], octaves, octave_scale, dm.min_side)
    if len(shapes) < octaves:
        print(f"Skipping the {octaves - len(shapes)} smallest octave(s): too small for the layers "
              f"(at least {dm.min_side} pixels a side).")
        per_octave = per_octave[octaves - len(shapes):]
    rng = np.random.default_rng(checks.seed(seed))
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
            where = None if mask is None else tf.constant(resize_image(mask, *shape))
            x = _ascend(dm, x, steps, step_size, rng, bar, history, on_step=on_step, mask=where, **method)
            if history.interrupted:
                x = tf.image.resize(x, image.shape[:2], method="bilinear")
                break
    return from_model(x), history


def zoom_dream(dm: DreamModel, image: np.ndarray, frames: int = 36, zoom: float = 1.05, steps: int = 10,
               step_size: float = 0.015, seed: int = 0, progress: bool = True,
               transforms: Transforms | None = ROBUST, normalize: str = "std", on_step=None) -> list[np.ndarray]:
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
        transforms, normalize, on_step: as for ``dream_octaves`` (``on_step`` counts steps over all frames).

    Returns:
        The frames, each a float (H, W, 3) image in [0, 1] (fewer if interrupted).
    """
    image = check_image(image)
    frames, steps = checks.positive_int("frames", frames), checks.positive_int("steps", steps)
    step_size, zoom = _step_size(step_size), checks.positive_float("zoom", zoom)
    if zoom <= 1:
        raise ValueError(f"zoom must be greater than 1, got {zoom!r}.")
    check_image_size(dm, image.shape[:2])
    method = _method(dm, 512, transforms, normalize, None)
    height, width = image.shape[:2]
    crop_h, crop_w = max(1, round(height / zoom)), max(1, round(width / zoom))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    rng = np.random.default_rng(checks.seed(seed))
    x = tf.constant(to_model(image))
    result: list[np.ndarray] = []
    history = DreamHistory()
    with progress_bar(frames * steps, "zoom-dreaming", progress) as bar:
        for _ in range(frames):
            x = _ascend(dm, x, steps, step_size, rng, bar, history, on_step=on_step, **method)
            if history.interrupted:
                break
            result.append(from_model(x))
            x = tf.image.resize(x[top:top + crop_h, left:left + crop_w], (height, width), method="bilinear")
    return result


# --------------------------------------------------------------------------- quality


def robustness(dm: DreamModel, image: np.ndarray, seed: int = 0, count: int = _quality.ROBUSTNESS_TRANSFORMS) -> float:
    """The objective under ``count`` seeded small random transforms, over the objective (see ``deepdream.quality``)."""
    check_image_size(dm, check_image(image).shape[:2])
    return _quality.robustness(lambda picture: dream_loss(dm, picture), image, seed, count)


def quality_report(dm: DreamModel, image: np.ndarray, start: np.ndarray | None = None,
                   tile_size: int | None = None, seed: int = 0) -> Quality:
    """The quality indicators of a dreamed picture for ``dm``'s objective, seeded so they repeat exactly.

    Args:
        dm: the dream model whose objective is measured (the picture's own layers).
        image: the dream, float (H, W, 3) in [0, 1].
        start: the start image; if given, the border indicator looks only at what the dream changed.
        tile_size: for tiled dreams, also measure seams on that tile grid.
        seed: seeds the robustness transforms.
    """
    check_image_size(dm, check_image(image).shape[:2])
    return _quality.measure(lambda picture: dream_loss(dm, picture), image, start, tile_size, seed)


# For hidden tests: the module's answers to the exercises, watched as defined here (``deepdream.handwork``).
written_by_hand = handwork.watch_for(dream_loss, layer_losses, gradient_ascent_step, load_image, dream_octaves)


if __name__ == "__main__":  # python -m deepdream_utils IMAGE [options]: the command-line dreamer
    sys.modules.setdefault("deepdream_utils", sys.modules["__main__"])  # one module, not two copies
    from deepdream.cli import main

    sys.exit(main())
