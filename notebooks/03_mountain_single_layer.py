# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · DeepDream on a landscape, one layer
#
# **Grading line: 8 points — the mountain landscape, one layer.**
#
# Let one InceptionV3 layer paint its patterns into a mountain landscape.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deepdream-course/deepdream-suite/blob/main/notebooks/03_mountain_single_layer.ipynb)
#
# **What you will learn**
#
# - how to load and prepare a photo for the network (your exercise)
# - how DeepDream follows the content of a real image
# - how the number of steps and the step size trade pattern strength against the landscape
#
# **What you will see**
#
# - the mountain before and after with the parameters, a detail at full resolution, and the loss curve
#
# **Exercise** (the cell marked *your code*): `load_photo`. The cell after it checks it;
# when this notebook is graded, hidden tests check it too.
#
# Runs top to bottom on a 2-core CPU in a few minutes, with the real ImageNet InceptionV3 weights bundled with the suite (no download).

# %% [markdown]
# ## Setup
#
# Locally, `make setup` has installed the suite into `.venv` (open this notebook with its
# Jupyter: `.venv/bin/jupyter lab`). Anywhere else (Colab, a hosted notebook platform, a
# Jupyter of your own), this cell installs the suite with pip, once: from the wheel your
# instructor handed out beside this notebook (`make release` puts it there), else from
# GitHub. The bundled weights and the mountain come with it; pip takes the other packages
# from your package index (`pip config set global.index-url` chooses a mirror).

# %%
from glob import glob
from importlib.util import find_spec

if not find_spec("deepdream_utils"):  # not installed here: install the suite, once, from
    suite = [*glob("deepdream_suite-*.whl"),  # the wheel handed out beside this notebook,
             "git+https://github.com/deepdream-course/deepdream-suite"]  # else GitHub
    # %pip install -q {suite[0]}
import deepdream_utils as dd

dd.set_language("en")  # the module's messages and figure words; "zh_CN": 简体中文

# %% [markdown]
# ## Parameters
#
# Edit these, then run all cells. Everything below reads them. When `make grade` grades the
# notebook, `GRADING` is true and it dreams small and quick (the checks are about correctness).

# %%
GRADING = dd.grading_mode()  # True while `make grade` grades it (DEEPDREAM_GRADING=1)
LAYER = "mixed3"          # the one layer whose mean activation we maximise
MAX_SIDE = 256 if GRADING else 1024  # longest side, pixels (the mountain is 1024x576)
STEPS = 6 if GRADING else 40  # gradient-ascent steps
STEP_SIZE = 0.015         # change per step, in gradient standard deviations
SEED = 0                  # seeds the random transforms of each step (dd.ROBUST)
RESULT_NAME = f"03_mountain_{LAYER}.jpg"  # saved in outputs/
RUN_LABEL = f"mountain, {LAYER}"  # names the run in figure titles

# %% [markdown]
# ## The start image: the mountain landscape
#
# “Altai” by Alesya Khoteeva, CC BY-SA 4.0 (see the credits at the end).

# %% [markdown]
# ## Exercise: load and prepare the photo (your code)
#
# The network wants float32 pixels in [0, 1], three channels (RGB), and a size the CPU can
# dream in minutes. Write `load_photo`: open the file with Pillow (`Image.open`), convert it to
# RGB (a grey or transparent photo has 1 or 4 channels), shrink it so that its longest side is
# `max_side` (never enlarge; keep the aspect ratio; `Image.LANCZOS` shrinks without aliasing),
# and return the pixels as a float32 NumPy array of shape (height, width, 3) in [0, 1].

# %% nbgrader={"grade": false, "grade_id": "load_photo", "locked": false, "schema_version": 3, "solution": true, "task": false}
import numpy as np
from PIL import Image


def load_photo(path, max_side):
    """A photo as float32 (height, width, 3) in [0, 1], its longest side <= max_side."""
    ### BEGIN SOLUTION
    photo = Image.open(path).convert("RGB")  # any mode -> three 8-bit channels
    scale = min(1.0, max_side / max(photo.size))  # shrink only
    size = (round(photo.width * scale), round(photo.height * scale))
    photo = photo.resize(size, Image.LANCZOS)
    return np.asarray(photo, dtype=np.float32) / 255.0
    ### END SOLUTION


# %%
start = load_photo(dd.IMAGES_DIR / "mountain.jpg", MAX_SIDE)
print(f"start: {start.shape[1]}x{start.shape[0]} pixels")
fig = dd.plot_images([start], ["start: images/mountain.jpg"], size=6)

# %% nbgrader={"grade": true, "grade_id": "check_load_photo", "locked": true, "points": 0.5, "schema_version": 3, "solution": false, "task": false}
# Checks load_photo (0.5 points): float32 RGB in [0, 1], the longest side MAX_SIDE.
photo = load_photo(dd.IMAGES_DIR / "mountain.jpg", MAX_SIDE)
assert photo.dtype == np.float32 and photo.ndim == 3 and photo.shape[2] == 3, (
    f"load_photo must return float32 (height, width, 3), not {photo.dtype} {photo.shape}")
assert 0 <= photo.min() and photo.max() <= 1, "load_photo must scale the pixels to [0, 1]"
assert max(photo.shape[:2]) == MAX_SIDE, "the longest side must be MAX_SIDE"
### BEGIN HIDDEN TESTS
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

reference_shape, reference_blocks = dd.fixed_at_release(lambda: [  # numbers, when released
    dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=200).shape,
    dd.block_means(dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=200))])
with dd.written_by_hand("load_photo", "load_image"):  # not the module's own answer
    got = load_photo(dd.IMAGES_DIR / "mountain.jpg", 200)
off_by = max(abs(a - b) for a, b in zip(got.shape, reference_shape))
assert got.ndim == 3 and off_by <= 1, (  # a side rounded the other way is as right
    f"load_photo(mountain, 200) is {got.shape[1]}x{got.shape[0]}, expected about "
    f"{reference_shape[1]}x{reference_shape[0]}: keep the aspect ratio")
gap = max(abs(a - b) for a, b in zip(dd.block_means(got), reference_blocks))
assert gap < 0.03, (
    f"load_photo's pixels differ from the photo's by up to {gap:.3f} over a block")
BY_HAND = ("load_photo", "load_image")
with tempfile.TemporaryDirectory() as folder, dd.written_by_hand(*BY_HAND):
    grey = Path(folder) / "grey.png"
    ramp = np.linspace(0, 255, 60 * 40).reshape(40, 60).astype(np.uint8)
    Image.fromarray(ramp).save(grey)
    got = load_photo(grey, 500)
    assert got.shape == (40, 60, 3), (
        f"a 60x40 grey photo gives shape {got.shape}: convert to RGB, and never enlarge")
### END HIDDEN TESTS

# %% [markdown]
# ## The model and the objective
#
# `dd.dream_model` takes InceptionV3 with its ImageNet weights and cuts it at the deepest chosen layer, so nothing after it is computed. The **objective** (the loss we *increase*) is the weighted mean activation of the chosen layers. Following the TF docs' rule — define, run small, then use — here is the loss of the start image:

# %%
dm = dd.dream_model(LAYER)
print(f"start image: loss = {dd.dream_loss(dm, start):.3f}")

# %% [markdown]
# ## One gradient-ascent step
#
# One step computes the gradient of the loss with respect to the *image*, divides it by its standard deviation (so the step size means the same thing on every image and every layer), adds `STEP_SIZE` times it to the image, and clips to the valid range [-1, 1]. One step, run small, should already raise the loss:

# %%
one_step = dd.show_one_step(dm, start, STEP_SIZE)

# %% [markdown]
# We dream `mixed3`, the layer that gave the clearest patterns from noise in notebook 01: its textures are small enough that the ridges and the lake stay readable underneath.

# %% [markdown]
# ## Dream

# %%
result, history = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, seed=SEED)

# %%
settings = {"layer": LAYER, "steps": STEPS, "step_size": STEP_SIZE, "seed": SEED,
            "transforms": "robust",
            "size": f"{start.shape[1]}x{start.shape[0]}"}
fig = dd.plot_comparison(start, result, settings, title="03 · mountain, one layer")

# %% [markdown]
# A detail at full resolution (the top-right peak):

# %%
height, width = start.shape[:2]  # the peak's box, scaled with the picture's size
peak = slice(height * 60 // 576, height * 316 // 576), slice(width * 640 // 1024, width)
fig = dd.plot_images([start[peak], result[peak]],
                     ["start (detail)", "result (detail)"], size=5)

# %%
fig = dd.plot_loss(history, title=f"Loss per step ({RUN_LABEL})")

# %% [markdown]
# ## Measured indicators
#
# `dd.quality_report` (notebook 01 explains each): robustness to small random transforms, and
# the border indicator measured on what the dream *changed* (result minus start), so the photo's
# own detail cannot hide an unchanged frame. Each step looked through random transforms
# (`dd.ROBUST`, the loops' default), so both stay near 1.

# %%
quality = dd.quality_report(dm, result, start)
print(f"result: {quality}")

# %%
saved = dd.save_result(result, RESULT_NAME)

# %% nbgrader={"grade": true, "grade_id": "check_result", "locked": true, "points": 0.5, "schema_version": 3, "solution": false, "task": false}
# Checks this notebook's own dream (0.5 points): saved at its size, the objective grew.
### BEGIN HIDDEN TESTS
with dd.written_by_hand("load_photo", "load_image"):
    load_photo(dd.IMAGES_DIR / "mountain.jpg", 64)  # counts once the exercise is written
saved_shape = dd.load_image(saved).shape
assert saved_shape == result.shape, (
    f"the saved picture is {saved_shape[1]}x{saved_shape[0]}, the dream "
    f"{result.shape[1]}x{result.shape[0]}")
assert quality.objective > 1.05 * dd.dream_loss(dm, start), (
    "the dream's objective is not above the start's: run the dream with the parameters")
assert quality.robustness >= 0.5, (
    f"the dream is not robust (robustness {quality.robustness:.2f}): dream with dd.ROBUST")
### END HIDDEN TESTS

# %% [markdown]
# ## What the picture shows
#
# The mountains, their reflection in the lake and the light are intact, but every flat polygon of the picture is now filled with `mixed3`'s curls and eye-like spots, densest on the bright snow and along the ridges, where the picture already had contrast for the network to amplify. The loss curve is still rising: more steps would paint stronger patterns over the landscape.

# %% [markdown]
# ## Credits
#
# - Start image `images/mountain.jpg`: “Altai” by Alesya Khoteeva for the KDE Visual Design
#   Group, [CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/) (see
#   `images/CREDITS.md`). Every dream made from it is an adaptation, shared under CC BY-SA 4.0.
# - Weights: Google's ImageNet InceptionV3 (`inception-2015-12-05`), converted to Keras's layout
#   and bundled in `deepdream/data/` (see the README's credits).
# - Method: after the [TensorFlow DeepDream tutorial](https://www.tensorflow.org/tutorials/generative/deepdream)
#   and the Keras example [`deep_dream.py`](https://keras.io/examples/generative/deep_dream/).
