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
# # 04 · DeepDream on a landscape, several layers
#
# **Grading line: 9 points — the mountain landscape, several layers.**
#
# Mix two InceptionV3 layers, with weights, to dream into the mountain landscape.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deepdream-course/deepdream-suite/blob/main/notebooks/04_mountain_multi_layer.ipynb)
#
# **What you will learn**
#
# - how to choose and weight several layers (your exercise)
# - how a weighted mix of layers changes what grows in a landscape
#
# **What you will see**
#
# - each layer alone and the mix on a small copy; the full-size dream with its parameters; each layer's loss; the loss curve
#
# **Exercise** (the cell marked *your code*): choose `LAYERS`. The cell after it checks the
# choice; when this notebook is graded, hidden tests check it too.
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
# The layers are the exercise below.

# %%
GRADING = dd.grading_mode()  # True while `make grade` grades it (DEEPDREAM_GRADING=1)
MAX_SIDE = 256 if GRADING else 1024  # longest side, pixels (the mountain is 1024x576)
STEPS = 6 if GRADING else 40  # gradient-ascent steps
STEP_SIZE = 0.015         # change per step, in gradient standard deviations
SEED = 0                  # seeds the random transforms of each step (dd.ROBUST)
PREVIEW_SIDE = 128 if GRADING else 300  # a smaller copy for the layer comparison: side...
PREVIEW_STEPS = 3 if GRADING else 35  # ...and steps

# %% [markdown]
# ## The start image: the mountain landscape
#
# “Altai” by Alesya Khoteeva, CC BY-SA 4.0 (see the credits at the end).

# %%
start = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=MAX_SIDE)
print(f"start: {start.shape[1]}x{start.shape[0]} pixels")
fig = dd.plot_images([start], ["start: images/mountain.jpg"], size=6)

# %% [markdown]
# ## Exercise: choose and weight the layers (your code)
#
# Set `LAYERS` to a dict `{layer name: weight}` of at least two layers. Notebooks 01 and 02
# showed what the candidates dream: the shallow `conv2d_*` layers fine stripes, `mixed3`
# textures and eye-like blobs, `mixed5` larger, rounder object parts, deeper `mixed` layers
# larger parts still (notebook 06 dreams them all). The objective is `Σ weight × mean
# activation`, so a weight sets how much of each layer's pattern grows; a negative weight
# suppresses a layer. `dd.layer_names()` lists the valid names.

# %% nbgrader={"grade": false, "grade_id": "choose_layers", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
LAYERS = {"mixed3": 1.0, "mixed5": 1.0}  # fine texture everywhere + larger motifs, alike
### END SOLUTION

# %%
RESULT_NAME = "04_mountain_" + "_".join(LAYERS) + ".jpg"  # saved in outputs/
RUN_LABEL = "mountain, " + " + ".join(LAYERS)  # names the run in figure titles
print(f"layers and weights: {LAYERS}")

# %% nbgrader={"grade": true, "grade_id": "check_layers", "locked": true, "points": 0.5, "schema_version": 3, "solution": false, "task": false}
# Checks LAYERS (0.5 points): at least two known layers, each with a weight.
assert isinstance(LAYERS, dict) and len(LAYERS) >= 2, (
    "LAYERS must be a dict of two layers or more, e.g. {'mixed3': 1.0, 'mixed5': 0.5}")
### BEGIN HIDDEN TESTS
unknown = [name for name in LAYERS if name not in dd.layer_names()]
assert not unknown, f"not layers of InceptionV3: {unknown} (dd.layer_names() lists them)"
weights = list(LAYERS.values())
assert all(isinstance(weight, (int, float)) and weight != 0 for weight in weights), (
    f"every weight must be a number other than 0, got {weights}")
assert sum(LAYERS.values()) > 0, "the weights must add up to more than 0, or nothing grows"
### END HIDDEN TESTS

# %% [markdown]
# ## The model and a weighted objective
#
# With several layers, the objective is `Σ weight × mean(activation)`. Each layer's part for the start image:

# %%
dm = dd.dream_model(LAYERS)
dd.print_layer_losses(dm, start)

# %% [markdown]
# ## One gradient-ascent step
#
# One step computes the gradient of the loss with respect to the *image*, divides it by its standard deviation (so the step size means the same thing on every image and every layer), adds `STEP_SIZE` times it to the image, and clips to the valid range [-1, 1]. One step, run small, should already raise the loss:

# %%
one_step = dd.show_one_step(dm, start, STEP_SIZE)

# %% [markdown]
# ## Each layer alone, and together
#
# `mixed3` adds fine textures; `mixed5` adds larger, rounder motifs that follow the ridges. Together they dream at two scales at once, which is why we mix them:

# %%
small = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=PREVIEW_SIDE)
choices = [{name: 1.0} for name in LAYERS] + [LAYERS]
previews = [dd.dream(dd.dream_model(choice), small, steps=PREVIEW_STEPS,
                     step_size=STEP_SIZE, progress=False)[0] for choice in choices]
titles = [f"{name} alone" for name in LAYERS] + ["weighted mix"]
fig = dd.plot_images(previews, titles, size=4,
                     suptitle=f"{PREVIEW_SIDE}-pixel copy, {PREVIEW_STEPS} steps each")

# %% [markdown]
# ## Dream

# %%
result, history = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, seed=SEED)

# %%
settings = {"layers": LAYERS, "steps": STEPS, "step_size": STEP_SIZE, "seed": SEED,
            "transforms": "robust",
            "size": f"{start.shape[1]}x{start.shape[0]}"}
fig = dd.plot_comparison(start, result, settings, title="04 · mountain, several layers")

# %%
dd.print_layer_losses(dm, result, when="after the dream")

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
assert isinstance(LAYERS, dict)  # the dream counts once the exercise is written
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
# The landscape is still readable, now covered with two scales of pattern: `mixed3`'s fine texture everywhere and `mixed5`'s larger motifs along the ridges and the sky. At one scale the motifs stay small and repeat at a fixed size: notebook 05 shows how octaves and tiles make them larger and smoother.

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
