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
# - how DeepDream follows the content of a real image
# - how the number of steps and the step size trade pattern strength against the landscape
#
# **What you will see**
#
# - the mountain before and after with the parameters, a detail at full resolution, and the loss curve
#
# Runs top to bottom on a 2-core CPU in a few minutes, with the real ImageNet InceptionV3 weights bundled with the suite (no download).

# %% [markdown]
# ## Setup
#
# Locally, `make setup` has installed the suite into `.venv` (open this notebook with its
# Jupyter: `.venv/bin/jupyter lab`). In Colab, this cell installs the suite with pip,
# once: the bundled weights and the mountain come with it.

# %%
if "google.colab" in str(get_ipython()):  # Colab: install the suite, weights included, once
    # %pip install -q git+https://github.com/deepdream-course/deepdream-suite
import deepdream_utils as dd

# %% [markdown]
# ## Parameters
#
# Edit these, then run all cells. Everything below reads them.

# %%
LAYER = "mixed3"          # the one layer whose mean activation we maximise
MAX_SIDE = 1024           # longest side of the image, pixels (the mountain is 1024x576)
STEPS = 100               # gradient-ascent steps
STEP_SIZE = 0.01          # change per step, in gradient standard deviations
SEED = 0                  # seeds the random transforms of each step (dd.ROBUST)
RESULT_NAME = f"03_mountain_{LAYER}.jpg"  # saved in outputs/
RUN_LABEL = f"mountain, {LAYER}"  # names the run in figure titles

# %% [markdown]
# ## The start image: the mountain landscape
#
# “Altai” by Alesya Khoteeva, CC BY-SA 4.0 (see the credits at the end).

# %%
start = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=MAX_SIDE)
print(f"start: {start.shape[1]}x{start.shape[0]} pixels")
fig = dd.plot_images([start], ["start: images/mountain.jpg"], size=6)

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
fig = dd.plot_images([start[60:316, 640:1024], result[60:316, 640:1024]],
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
print(f"result: {dd.quality_report(dm, result, start)}")

# %%
saved = dd.save_result(result, RESULT_NAME)

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
