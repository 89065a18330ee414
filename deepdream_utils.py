"""DeepDream, as the course teaches it: the one module every notebook imports (``import deepdream_utils as dd``).

DeepDream changes an *input image* by gradient ascent so that chosen layers of an ImageNet-trained
InceptionV3 respond more strongly. This module is the course's map: it defines nothing of the engine
but names, through ``__all__``, what the notebooks use, and says where each part lives (read it there):

* the objective, ``dream_loss``, ``layer_losses`` (each chosen layer's mean activation, weighted),
  ``print_layer_losses``, and the loops ``dream`` (one scale), ``dream_octaves`` (small to large,
  re-injecting the detail lost at each upscale, with random-shift tiles) and ``zoom_dream``, with
  ``show_one_step``, ``quality_report`` and ``robustness``: ``deepdream/dream.py``;
* one step, ``gradient_ascent_step`` (x + step_size * gradient / std, clipped to [-1, 1]; its random
  roll, jitter and transform), ``tile_edges``, and its compiled body: ``deepdream/step.py``;
* the model, ``dream_model`` (InceptionV3 with the real ImageNet weights bundled in the package, no
  network needed): ``deepdream/model.py``; objectives to add and weight: ``deepdream/objectives.py``;
* pictures in and out (``load_image``, ``noise_image``, ``save_result``...) and the octaves' sizes
  (``octave_shapes``): ``deepdream/images.py`` and ``deepdream/files.py``; figures:
  ``deepdream/plots.py``; transforms (``ROBUST``, ``Symmetry``): ``deepdream/transforms.py``; quality
  indicators: ``deepdream/quality.py``;
* the progress bar and ``grading_mode`` (is ``make grade`` running this?): ``deepdream/runtime.py``;
* ``set_language`` (``"zh_CN"``: the messages, progress labels and figure words in Chinese, drawn with a CJK
  font): ``deepdream/i18n.py``;
* the hidden tests' checks that can't be borrowed (``written_by_hand``, ``fixed_at_release``):
  ``deepdream/handwork.py``.

Images are ``float32`` arrays of shape ``(height, width, 3)`` in ``[0, 1]``; the dream works in
``[-1, 1]`` (``to_model``, ``from_model``). ``deepdream IMAGE [options]`` (or ``python -m deepdream``)
is the command line; no application imports this module.
"""

from __future__ import annotations

from deepdream import backbones, handwork, objectives
from deepdream.dream import (
    DreamHistory,
    dream,
    dream_loss,
    dream_octaves,
    layer_losses,
    print_layer_losses,
    quality_report,
    resize_image,
    robustness,
    show_one_step,
    zoom_dream,
)
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
from deepdream.i18n import set_language
from deepdream.images import check_image, check_mask, from_model, load_image, noise_image, octave_shapes, to_model
from deepdream.model import DreamModel, check_image_size, dream_model, layer_names, trunk
from deepdream.paths import IMAGES_DIR
from deepdream.plots import format_params, plot_comparison, plot_images, plot_loss
from deepdream.quality import Quality, border_ratio, high_frequency_share, seam_ratio
from deepdream.runtime import grading_mode, progress_bar, tensorflow
from deepdream.step import LARGEST_SENSIBLE_STEP_SIZE, NORMALIZATIONS, gradient_ascent_step, tile_edges
from deepdream.transforms import ROBUST, Symmetry, Transforms, random_affine

tf = tensorflow()

__all__ = [
    # the lesson: the objective, the step and the loops (deepdream.dream, deepdream.step)
    "dream_loss", "layer_losses", "print_layer_losses", "gradient_ascent_step", "show_one_step", "dream",
    "dream_octaves", "zoom_dream", "octave_shapes", "tile_edges", "resize_image", "progress_bar",
    "DreamHistory", "quality_report", "robustness", "LARGEST_SENSIBLE_STEP_SIZE",
    # the model and its objectives
    "dream_model", "DreamModel", "trunk", "layer_names", "check_image_size", "objectives", "backbones",
    "NORMALIZATIONS", "grading_mode", "set_language",
    # pictures in and out
    "load_image", "noise_image", "check_image", "check_mask", "to_model", "from_model", "save_image", "save_result",
    "save_figure", "save_animation", "save_sidecar", "check_output_path", "IMAGES_DIR", "OUTPUTS_DIR",
    # transforms, figures and quality
    "ROBUST", "Transforms", "Symmetry", "random_affine", "plot_images", "plot_comparison", "plot_loss",
    "format_params", "Quality", "border_ratio", "high_frequency_share", "seam_ratio", "tf",
    "written_by_hand", "fixed_at_release", "samples", "block_means",  # checks that can't be borrowed
]

# For hidden tests: the module's answers to the exercises, watched as they are now (``deepdream.handwork``).
written_by_hand = handwork.watch_for(dream_loss, layer_losses, gradient_ascent_step, load_image, dream_octaves)


if __name__ == "__main__":  # python -m deepdream_utils IMAGE [options]: the same as python -m deepdream
    import runpy

    runpy.run_module("deepdream", run_name="__main__", alter_sys=True)
