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
# # 02 · DeepDream from noise, several layers
#
# **Grading line: 7 points — random noise start, several layers.**
#
# Dream two InceptionV3 layers at once, with weights, from seeded random noise.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deepdream-course/deepdream-suite/blob/main/notebooks/02_noise_multi_layer.ipynb)
#
# **What you will learn**
#
# - how an objective mixes several layers with weights, written by hand (your exercise)
# - how each layer contributes to the picture
# - how random transforms at every step (notebook 01) keep a mix of layers clean, measured
# - the rubric's literal reading: several channels of one layer
#
# **What you will see**
#
# - each layer dreamed alone and the weighted mix, side by side; several layers beside several channels (the rubric's two readings); the final dream with its parameters; the loss of each layer before and after; the loss curve; the quality indicators
#
# **Exercise** (the cell marked *your code*): `weighted_loss`. The cell after it checks it;
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
LAYERS = {"mixed3": 1.0, "mixed5": 1.0}  # layer -> weight in the objective
CHANNEL_LAYER = "mixed3"  # the rubric's literal reading: several channels of one layer...
CHANNELS = [150, 208, 300]  # ...these (0-767 for mixed3)
SIZE = 96 if GRADING else 400  # width and height of the noise image, pixels
STEPS = 8 if GRADING else 130  # gradient-ascent steps
STEP_SIZE = 0.045         # change per step, in gradient standard deviations
SEED = 0                  # seeds the noise and the transforms: same seed, same picture
TRANSFORMS = dd.ROBUST    # each step's random pad, jitter, zoom, rotation (None: plain)
PREVIEW_SIZE = 96 if GRADING else 200  # smaller, quicker dreams for comparisons: size...
PREVIEW_STEPS = 4 if GRADING else 55  # ...and steps
RESULT_NAME = "02_noise_" + "_".join(LAYERS) + ".jpg"  # saved in outputs/
RUN_LABEL = "noise, " + " + ".join(LAYERS)  # names the run in figure titles

# %% [markdown]
# ## The start image: seeded noise

# %%
start = dd.noise_image(SIZE, SIZE, seed=SEED)
print(f"start: shape {start.shape}, values in [{start.min():.2f}, {start.max():.2f}]")
fig = dd.plot_images([start], ["start: seeded grey noise"], size=3)

# %% [markdown]
# ## The model and a weighted objective
#
# With several layers the model returns one activation per layer, and the objective is their weighted sum of means: `loss = Σ weight × mean(activation)`. `dd.layer_losses` shows each layer's part for the start image:

# %%
dm = dd.dream_model(LAYERS)
dd.print_layer_losses(dm, start)

# %% [markdown]
# ## Exercise: the weighted loss of several layers (your code)
#
# With several layers, `dm.model` maps a batch of model images (values in [-1, 1]) to a *list*
# of activations, one per layer, in the order of `LAYERS`. Write `weighted_loss`: for one image
# `x` of shape (height, width, 3), the sum over the layers of weight × mean activation, as a
# scalar tensor.

# %% nbgrader={"grade": false, "grade_id": "weighted_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
import tensorflow as tf


def weighted_loss(model, x, weights):
    """Σ weight × mean(activation) over the layers; weights: {layer: weight}, in order."""
    ### BEGIN SOLUTION
    activations = model(x[None])  # one activation per layer, for a batch of one image
    return tf.add_n([weight * tf.reduce_mean(activation)
                     for weight, activation in zip(weights.values(), activations)])
    ### END SOLUTION


# %% [markdown]
# Run it small: on the start image it must give the weighted sum above.

# %%
x = tf.constant(dd.to_model(start))
print(f"weighted_loss = {float(weighted_loss(dm.model, x, LAYERS)):.3f}, "
      f"dd.dream_loss = {dd.dream_loss(dm, start):.3f}")

# %% nbgrader={"grade": true, "grade_id": "check_weighted_loss", "locked": true, "points": 0.5, "schema_version": 3, "solution": false, "task": false}
# Checks weighted_loss (0.5 points): one number, the weighted sum of the layers' means.
small = tf.constant(dd.to_model(dd.noise_image(64, 64, seed=1)))
assert weighted_loss(dm.model, small, LAYERS).shape == (), "return one number"
### BEGIN HIDDEN TESTS
CHECK_WEIGHTS = ({"mixed3": 1.0, "mixed5": 1.0}, {"mixed3": 0.5, "mixed5": 2.0})
check_losses = dd.fixed_at_release(lambda: [  # numbers, in the students' release
    dd.dream_loss(dd.dream_model(weights), dd.noise_image(64, 80, seed=2))
    for weights in ({"mixed3": 1.0, "mixed5": 1.0}, {"mixed3": 0.5, "mixed5": 2.0})])
for check_weights, expected in zip(CHECK_WEIGHTS, check_losses):
    check_dm = dd.dream_model(check_weights)
    check_x = tf.constant(dd.to_model(dd.noise_image(64, 80, seed=2)))
    with dd.written_by_hand("weighted_loss", "dream_loss", "layer_losses"):
        got = float(weighted_loss(check_dm.model, check_x, check_weights))
    assert abs(got - expected) < 1e-4 * max(1.0, abs(expected)), (
        f"weighted_loss with weights {check_weights} gives {got:.5f}, the weighted sum "
        f"of the layers' means is {expected:.5f}: multiply each layer's mean by its weight")
### END HIDDEN TESTS

# %% [markdown]
# ## One gradient-ascent step
#
# One step computes the gradient of the loss with respect to the *image*, divides it by its standard deviation (so the step size means the same thing on every image and every layer), adds `STEP_SIZE` times it to the image, and clips to the valid range [-1, 1]. One (plain) step, run small, should already raise the loss:

# %%
one_step = dd.show_one_step(dm, start, STEP_SIZE)

# %% [markdown]
# ## Each layer alone, and together
#
# We chose `mixed3` (textures, eye-like blobs) and `mixed5` (larger, rounder object parts): from noise, `mixed5` alone stays busy at one scale, and `mixed3` gives it structure to build on. Same noise and steps, smaller size:

# %%
preview_start = dd.noise_image(PREVIEW_SIZE, PREVIEW_SIZE, seed=SEED)
choices = [{name: 1.0} for name in LAYERS] + [LAYERS]
previews = [dd.dream(dd.dream_model(choice), preview_start, steps=PREVIEW_STEPS,
                     step_size=STEP_SIZE, transforms=TRANSFORMS, progress=False)[0]
            for choice in choices]
titles = [f"{name} alone" for name in LAYERS] + ["weighted mix"]
fig = dd.plot_images(previews, titles, size=3,
                     suptitle=f"Same noise, {PREVIEW_STEPS} steps each")

# %% [markdown]
# ## The rubric's two readings: several layers, or several channels
#
# The rubric's line for this notebook says 多通道特征, literally *multi-channel features*. The
# course documents read it as **several layers**, and so does this notebook: the objective
# mixes whole layers. Read literally, it is **several channels**: a few feature detectors of
# one layer, dreamed together (`dd.objectives.channels`, the mean of the chosen channels).
# Notebook 01 showed one channel; here are several, beside the mix of layers:

# %%
several_channels = dd.dream(dd.dream_model(dd.objectives.channels(CHANNEL_LAYER, CHANNELS)),
                            preview_start, steps=PREVIEW_STEPS, step_size=STEP_SIZE,
                            transforms=TRANSFORMS, progress=False)[0]
fig = dd.plot_images([previews[-1], several_channels],
                     ["several layers: " + " + ".join(LAYERS),
                      f"several channels: {CHANNEL_LAYER} {CHANNELS}"],
                     size=3.5, suptitle=f"The two readings, {PREVIEW_STEPS} steps each")

# %% [markdown]
# The three channels' motifs (scales, combed curves, overlapping arcs) blend into one texture
# of arcs and curls at a single scale; the layers' mix adds larger shapes and eyes at a second
# scale. The rest of the course follows the documents' reading.

# %% [markdown]
# ## Dream

# %%
result, history = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, seed=SEED,
                           transforms=TRANSFORMS)

# %%
settings = {"layers": LAYERS, "steps": STEPS, "step_size": STEP_SIZE, "seed": SEED,
            "transforms": "robust" if TRANSFORMS else "none", "size": f"{SIZE}x{SIZE}"}
fig = dd.plot_comparison(start, result, settings, title="02 · noise, several layers")

# %%
dd.print_layer_losses(dm, result, when="after the dream")

# %%
fig = dd.plot_loss(history, title=f"Loss per step ({RUN_LABEL})")

# %% [markdown]
# ## Measured indicators
#
# As in notebook 01 (`dd.quality_report`, seeded): robustness to small random transforms, the
# border's detail against the inside's, and the high-frequency share. The targets for a noise
# start: robustness at least 0.85, border at least 0.8.

# %%
quality = dd.quality_report(dm, result)
print(f"result: {quality}")
print(f"targets met: robustness >= 0.85 {quality.robustness >= 0.85}, "
      f"border >= 0.8 {quality.border >= 0.8}")

# %%
saved = dd.save_result(result, RESULT_NAME)

# %% nbgrader={"grade": true, "grade_id": "check_result", "locked": true, "points": 0.5, "schema_version": 3, "solution": false, "task": false}
# Checks this notebook's own dream (0.5 points): saved at its size, and the objective grew.
### BEGIN HIDDEN TESTS
with dd.written_by_hand("weighted_loss", "dream_loss", "layer_losses"):
    weighted_loss(dm.model, small, LAYERS)  # the dream counts once the exercise is written
saved_shape = dd.load_image(saved).shape
assert saved_shape == (SIZE, SIZE, 3), (
    f"the saved picture is {saved_shape[1]}x{saved_shape[0]}, the dream {SIZE}x{SIZE}")
assert quality.objective > 1.2 * dd.dream_loss(dm, start), (
    "the dream's objective is not clearly above the start's: run the dream cell")
assert quality.robustness >= 0.5 and quality.border >= 0.5, (
    f"the dream is not robust (robustness {quality.robustness:.2f}, border "
    f"{quality.border:.2f}): dream with TRANSFORMS = dd.ROBUST")
### END HIDDEN TESTS

# %% [markdown]
# ## What the picture shows
#
# The mix carries both layers' signatures: `mixed3`'s fine curls and eyes fill the picture while `mixed5` gathers them into larger, rounded shapes, and both layers' losses rise together. Changing the weights shifts the balance between texture and shape. Because every step looked through a random shift, zoom and rotation, the shapes are ones the network sees from any small change of view (robustness near 1), and they reach the edges.

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
