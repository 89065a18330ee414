"""The dream's loops: one scale, octaves with lost-detail reinjection, and a zoom; the objective's values.

* the objective: ``layer_losses`` (each chosen layer's value, weighted by ``dm.layer_weights``),
  ``dream_loss`` (their weighted sum) and ``print_layer_losses``;
* ``show_one_step``: one ``gradient_ascent_step`` (``deepdream.step``) with the loss before and after;
* the loops: ``dream`` (one scale), ``dream_octaves`` (small to large, re-injecting the detail lost at
  each upscale, with random-shift tiles) and ``zoom_dream`` (frames of a zoom animation); every loop
  takes ``on_step(done, total, x)`` where an application follows its progress;
* ``quality_report`` and ``robustness``: ``deepdream.quality``'s indicators for a model's objective.

Images are ``float32`` arrays of shape ``(height, width, 3)`` in ``[0, 1]``; the steps work in ``[-1, 1]``.
The course module (``deepdream_utils``) re-exports all of it; the applications import it from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from deepdream import checks
from deepdream import quality as _quality
from deepdream.i18n import gettext as _
from deepdream.images import check_image, check_mask, from_model, octave_shapes, to_model
from deepdream.model import DreamModel, check_image_size
from deepdream.quality import Quality
from deepdream.runtime import progress_bar, tensorflow
from deepdream.step import check_options, checked_step_size, gradient_ascent_step, symmetrized
from deepdream.transforms import ROBUST, Symmetry, Transforms

tf = tensorflow()


def resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear (antialiased) resize of a float image to (height, width)."""
    resized = tf.image.resize(image, (int(height), int(width)), method="bilinear", antialias=True)
    return resized.numpy().astype(np.float32)


# --------------------------------------------------------------------------- the objective


def print_layer_losses(dm: DreamModel, image: np.ndarray, when: str = "start image") -> None:
    """Prints each chosen layer's loss with its weight, and their weighted sum (the objective)."""
    when = _(when)  # the default, in the student's language; a caller's own words as they are
    for name, value in layer_losses(dm, image).items():
        print(_("{when}, {name} (weight {weight:g}): loss = {loss:.3f}").format(
            when=when, name=name, weight=dm.layer_weights[name], loss=value))
    if len(dm.layer_weights) > 1:
        print(_("{when}, weighted sum: loss = {loss:.3f}").format(when=when, loss=dream_loss(dm, image)))


def layer_losses(dm: DreamModel, image: np.ndarray) -> dict[str, float]:
    """Each chosen layer's objective (mean activation, channel mean or guide match) for a [0, 1] image."""
    image = check_image(image)
    check_image_size(dm, image.shape[:2])
    return dict(zip(dm.layer_weights, dm.term_values(image)))


def dream_loss(dm: DreamModel, image: np.ndarray) -> float:
    """The dream objective for a [0, 1] image: the weighted sum of the layers' mean activations."""
    return sum(dm.layer_weights[name] * loss for name, loss in layer_losses(dm, image).items())


def show_one_step(dm: DreamModel, image: np.ndarray, step_size: float) -> np.ndarray:
    """Runs one ``gradient_ascent_step`` on a [0, 1] image, prints the loss before and after; returns the new image."""
    x, loss_before = gradient_ascent_step(dm, to_model(check_image(image)), checked_step_size(step_size))
    after = from_model(x)
    print(_("before: loss = {loss:.3f}").format(loss=loss_before))
    print(_("after one step of size {step_size:g}: loss = {loss:.3f}").format(step_size=step_size,
                                                                              loss=dream_loss(dm, after)))
    return after


# --------------------------------------------------------------------------- loops


def _tile_size(dm: DreamModel, tile_size: int | None) -> int | None:
    """A valid tile size (never below what reaches the layers), or None for whole-image gradients."""
    return None if tile_size is None else max(checks.positive_int("tile_size", tile_size), dm.min_side)


class DreamHistory(list):
    """The loss after each step of a dream, a list of floats; ``interrupted``: Ctrl-C cut the dream short."""

    interrupted: bool = False


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
    check_options(transforms, normalize, symmetry)
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
    steps, step_size = checks.positive_int("steps", steps), checked_step_size(step_size)
    method = _method(dm, tile_size, transforms, normalize, symmetry)
    check_image_size(dm, image.shape[:2])
    rng = np.random.default_rng(checks.seed(seed))
    history = DreamHistory()
    mask = None if mask is None else tf.constant(check_mask(mask, image.shape))
    with progress_bar(steps, _("dreaming"), progress) as bar:
        x = _ascend(dm, tf.constant(to_model(image)), steps, step_size, rng, bar, history, mask=mask, **method)
    return from_model(x), history


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
            picture so far (``from_model(x)``: an application's progress and preview); an exception it
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
    step_size = checked_step_size(step_size)
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
    with progress_bar(sum(per_octave), _("dreaming"), progress) as bar:
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
    step_size, zoom = checked_step_size(step_size), checks.positive_float("zoom", zoom)
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
    with progress_bar(frames * steps, _("zoom-dreaming"), progress) as bar:
        for _frame in range(frames):
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
