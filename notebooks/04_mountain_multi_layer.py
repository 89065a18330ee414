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
# - how a weighted mix of layers changes what grows in a landscape
#
# **What you will see**
#
# - each layer alone and the mix on a small copy; the full-size dream with its parameters; each layer's loss; the loss curve
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
LAYERS = {"mixed3": 1.0, "mixed5": 1.0}  # layer -> weight in the objective
MAX_SIDE = 1024           # longest side of the image, pixels (the mountain is 1024x576)
STEPS = 100               # gradient-ascent steps
STEP_SIZE = 0.01          # change per step, in gradient standard deviations
SEED = 0                  # seeds the random transforms of each step (dd.ROBUST)
PREVIEW_SIDE = 400        # a smaller copy for the layer comparison: longest side...
PREVIEW_STEPS = 50        # ...and steps
RESULT_NAME = "04_mountain_" + "_".join(LAYERS) + ".jpg"  # saved in outputs/
RUN_LABEL = "mountain, " + " + ".join(LAYERS)  # names the run in figure titles

# %% [markdown]
# ## The start image: the mountain landscape
#
# “Altai” by Alesya Khoteeva, CC BY-SA 4.0 (see the credits at the end).

# %%
start = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=MAX_SIDE)
print(f"start: {start.shape[1]}x{start.shape[0]} pixels")
fig = dd.plot_images([start], ["start: images/mountain.jpg"], size=6)

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
print(f"result: {dd.quality_report(dm, result, start)}")

# %%
saved = dd.save_result(result, RESULT_NAME)

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
