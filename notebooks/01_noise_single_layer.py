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
# # 01 · DeepDream from noise, one layer
#
# **Grading line: 6 points — random noise start, one layer.**
#
# Grow the patterns one InceptionV3 layer has learned out of seeded random noise.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deepdream-course/deepdream-suite/blob/main/notebooks/01_noise_single_layer.ipynb)
#
# **What you will learn**
#
# - how DeepDream changes the *input image* by gradient ascent on a layer's mean activation
# - the ten lines of one gradient-ascent step, written by hand with `GradientTape` (your exercise)
# - why each gradient is divided by its standard deviation
# - why each step looks through small random transforms (transformation robustness)
# - how layers of different depth dream different patterns, and what one channel dreams
# - how to measure a dream's quality: robustness, border, high-frequency share
#
# **What you will see**
#
# - the noise start, the plain step beside the robust one with their measurements, the course's four candidate layers dreamed from it, one layer beside one channel (the rubric's two readings), the final dream with its parameters and indicators, and its loss curve
#
# **Exercises** (cells marked *your code*): `layer_loss` and `step_by_hand`. The cells after
# each check them; when this notebook is graded, hidden tests check them too.
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
CHANNEL = 150             # the literal reading: one channel of LAYER (0-767 for mixed3)
SIZE = 96 if GRADING else 400  # width and height of the noise image, pixels
STEPS = 8 if GRADING else 130  # gradient-ascent steps
STEP_SIZE = 0.03          # change per step, in gradient standard deviations
SEED = 0                  # seeds the noise and the transforms: same seed, same picture
TRANSFORMS = dd.ROBUST    # each step's random pad, jitter, zoom, rotation (None: plain)
CANDIDATES = ["conv2d_15", "conv2d_18", "mixed3", "mixed5"]  # the course's layers
PREVIEW_SIZE = 96 if GRADING else 200  # smaller, quicker dreams for comparisons: size...
PREVIEW_STEPS = 4 if GRADING else 40  # ...and steps
RESULT_NAME = f"01_noise_{LAYER}.jpg"  # saved in outputs/
RUN_LABEL = f"noise, {LAYER}"  # names the run in figure titles

# %% [markdown]
# ## The start image: seeded noise
#
# `dd.noise_image` makes grey noise (0.5 ± 0.1) from a seed, so every run starts from exactly the same picture.

# %%
start = dd.noise_image(SIZE, SIZE, seed=SEED)
print(f"start: shape {start.shape}, {start.dtype}, "
      f"values in [{start.min():.2f}, {start.max():.2f}]")
fig = dd.plot_images([start], ["start: seeded grey noise"], size=3)

# %% [markdown]
# ## The model and the objective
#
# `dd.dream_model` takes InceptionV3 with its ImageNet weights and cuts it at the deepest chosen layer, so nothing after it is computed. The **objective** (the loss we *increase*) is the weighted mean activation of the chosen layers. Following the TF docs' rule — define, run small, then use — here is the loss of the start image:

# %%
dm = dd.dream_model(LAYER)
activation = dm.model(dd.to_model(start)[None])
print(f"{LAYER}: activation of shape {tuple(activation.shape)} for a {SIZE}x{SIZE} image")
print(f"start image: loss = {dd.dream_loss(dm, start):.3f}")

# %% [markdown]
# ## Exercise: the loss of one layer, by hand (your code)
#
# `dm.model` maps a *batch* of model images (values in [-1, 1]) to the layer's activation, of
# shape (batch, height, width, channels). Write `layer_loss`: the mean of that activation for
# one image `x` of shape (height, width, 3), as a scalar tensor. (`x[None]` is a batch of one.)

# %% nbgrader={"grade": false, "grade_id": "layer_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
import tensorflow as tf


def layer_loss(model, x):
    """The objective of one layer: the mean of `model`'s activation for a model image x."""
    ### BEGIN SOLUTION
    return tf.reduce_mean(model(x[None]))  # a batch of one image -> one number
    ### END SOLUTION


# %% [markdown]
# Run it small: on the start image it must give what the module's `dd.dream_loss` gives.

# %%
x = tf.constant(dd.to_model(start))
print(f"layer_loss = {float(layer_loss(dm.model, x)):.3f}, "
      f"dd.dream_loss = {dd.dream_loss(dm, start):.3f}")

# %% nbgrader={"grade": true, "grade_id": "check_layer_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Checks layer_loss (2 points): one number, the layer's mean activation.
small = tf.constant(dd.to_model(dd.noise_image(64, 64, seed=1)))
assert layer_loss(dm.model, small).shape == (), "layer_loss must return one number"
### BEGIN HIDDEN TESTS
check_dm = dd.dream_model("mixed3")
check_losses = dd.fixed_at_release(lambda: [  # numbers, in the students' release
    dd.dream_loss(dd.dream_model("mixed3"), dd.noise_image(64, 80, seed=seed))
    for seed in (2, 3)])
for check_seed, expected in zip((2, 3), check_losses):
    check_x = tf.constant(dd.to_model(dd.noise_image(64, 80, seed=check_seed)))
    with dd.written_by_hand("layer_loss", "dream_loss", "layer_losses"):
        got = float(layer_loss(check_dm.model, check_x))
    assert abs(got - expected) < 1e-4 * max(1.0, abs(expected)), (
        f"layer_loss gives {got:.5f} where the layer's mean activation is {expected:.5f}: "
        "return the mean of the model's output for a batch of one image")
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise: one gradient-ascent step, by hand (your code)
#
# This is the whole algorithm, written out as in the
# [TensorFlow DeepDream tutorial](https://www.tensorflow.org/tutorials/generative/deepdream)
# and the Keras example [`deep_dream.py`](https://keras.io/examples/generative/deep_dream/):
# record the forward pass with a `GradientTape` (`tape.watch(x)`: `x` is a constant), take the
# gradient of `layer_loss` with respect to the *image* (not the weights: they never change),
# divide it by its standard deviation (plus `1e-8`) so that `step_size` means the same thing on
# every image and every layer, step uphill, and clip to the model's range [-1, 1]. Return the
# new image and the loss *before* the step.

# %% nbgrader={"grade": false, "grade_id": "step_by_hand", "locked": false, "schema_version": 3, "solution": true, "task": false}
def step_by_hand(model, x, step_size):
    """One DeepDream step on a model image x in [-1, 1]; returns the new image, the loss."""
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = layer_loss(model, x)  # the objective: the layer's mean activation
    gradient = tape.gradient(loss, x)  # d loss / d pixel, the same shape as the image
    gradient /= tf.math.reduce_std(gradient) + 1e-8  # normalise: STEP_SIZE means the same
    return tf.clip_by_value(x + step_size * gradient, -1.0, 1.0), loss
    ### END SOLUTION


# %% [markdown]
# Run it once, and check that the module's `dd.gradient_ascent_step` (which the rest of the
# suite uses: it adds random-shift tiles for large images and the random transforms below,
# compiled once for every size) takes exactly the same step when asked for the plain one:

# %%
x = tf.constant(dd.to_model(start))
x_by_hand, loss = step_by_hand(dm.model, x, STEP_SIZE)
x_by_module, _ = dd.gradient_ascent_step(dm, x, STEP_SIZE)
difference = float(tf.reduce_max(tf.abs(x_by_hand - x_by_module)))
print(f"loss before the step = {float(loss):.3f}")
print(f"after one step: loss = {dd.dream_loss(dm, dd.from_model(x_by_hand)):.3f}")
print(f"the module takes the same step: {difference < 1e-5}")

# %% nbgrader={"grade": true, "grade_id": "check_step_by_hand", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Checks step_by_hand (2 points): the image keeps its shape and range, and the loss rises.
stepped, _ = step_by_hand(dm.model, small, STEP_SIZE)
assert stepped.shape == small.shape, "step_by_hand must keep the image's shape"
assert -1 <= float(tf.reduce_min(stepped)) and float(tf.reduce_max(stepped)) <= 1, (
    "step_by_hand must clip the image to [-1, 1]")
### BEGIN HIDDEN TESTS
check_dm = dd.dream_model("mixed3")
check_x = tf.constant(dd.to_model(dd.noise_image(72, 64, seed=4)))
expected = dd.fixed_at_release(  # numbers, in the students' release
    lambda: dd.dream_loss(dd.dream_model("mixed3"), dd.noise_image(72, 64, seed=4)))
expected_after = dd.fixed_at_release(lambda: dd.samples(dd.gradient_ascent_step(
    dd.dream_model("mixed3"), dd.to_model(dd.noise_image(72, 64, seed=4)), 0.05)[0]))
BY_HAND = ("step_by_hand", "gradient_ascent_step", "dream_loss", "layer_losses")
with dd.written_by_hand(*BY_HAND):
    stepped, loss_before = step_by_hand(check_dm.model, check_x, 0.05)
assert abs(float(loss_before) - expected) < 1e-4 * max(1.0, abs(expected)), (
    f"step_by_hand returns the loss {float(loss_before):.5f}, the loss before the step is "
    f"{expected:.5f}: return the loss computed on the image it was given")
assert dd.dream_loss(check_dm, dd.from_model(stepped)) > expected, (
    "one step of step_by_hand does not raise the loss: step up the gradient (add it)")
gap = max(abs(got - want) for got, want in zip(dd.samples(stepped), expected_after))
assert gap < 1e-3, (
    f"step_by_hand's image differs from the step the exercise asks for by up to {gap:.4f}: "
    "divide the gradient by its standard deviation, add step_size times it, and clip to "
    "[-1, 1]")
### END HIDDEN TESTS

# %% [markdown]
# ## Transformation robustness: why each step looks through random transforms
#
# The plain step above climbs the gradient of *this exact* grid of pixels, and the easiest way
# up is a dense, pixel-aligned texture that a one-pixel shift would destroy: the network is
# fooled rather than shown something. And InceptionV3's unpadded convolutions barely see the
# outermost pixels, so they stay grey. Following Lucid and the Distill article
# ["Feature Visualization"](https://distill.pub/2017/feature-visualization/), the suite's loops
# take every step through a random view of the picture: 16 pixels of reflected border, a random
# shift of up to 16 pixels, a zoom of 0.95-1.05 and a rotation of up to 5 degrees
# (`dd.ROBUST`). Only patterns that survive all of them keep growing.
#
# `dd.quality_report` measures that (seeded, so the numbers repeat):
#
# - **robustness**: the objective averaged over 8 random small transforms (rotate up to ±10°,
#   scale 0.9-1.1, shift up to ±8 px, grey fill), over the objective of the untouched picture;
#   a pattern the network really sees keeps near 1;
# - **border**: the fine detail in the outer 8 pixels over the detail inside; a flat grey frame
#   scores near 0, no frame near 1;
# - **high-frequency share**: the share of spectral energy above half the Nyquist frequency;
#   lower is smoother, larger motifs.
#
# Run small first: the same noise, layer and steps, plain and robust.

# %%
preview_start = dd.noise_image(PREVIEW_SIZE, PREVIEW_SIZE, seed=SEED)
plain_preview = dd.dream(dm, preview_start, steps=PREVIEW_STEPS, step_size=STEP_SIZE,
                         transforms=None, progress=False)[0]
robust_preview = dd.dream(dm, preview_start, steps=PREVIEW_STEPS, step_size=STEP_SIZE,
                          transforms=TRANSFORMS, progress=False)[0]
for name, image in [("plain ", plain_preview), ("robust", robust_preview)]:
    print(f"{name}: {dd.quality_report(dm, image)}")
fig = dd.plot_images([plain_preview, robust_preview],
                     ["plain step", "robust step (dd.ROBUST)"], size=3.5,
                     suptitle=f"{LAYER}, {PREVIEW_STEPS} steps from the same noise")

# %% [markdown]
# The plain step's picture loses about half of its objective under a small shift or rotation,
# and keeps a greyish frame; the robust step's keeps nearly all of it, reaches the edges, and draws
# larger, cleaner motifs. Its own objective is lower: it no longer games single pixels.

# %% [markdown]
# ## Which layer? The course's candidates, from the same noise
#
# Shallow layers (`conv2d_15`, `conv2d_18`) respond to edges and fine stripes; `mixed3` to textures and eye-like blobs; deeper layers (`mixed5`) to larger object parts, which from flat noise at one scale stay small and busy. Same seed, same steps, only the layer changes:

# %%
previews = [dd.dream(dd.dream_model(name), preview_start, steps=PREVIEW_STEPS,
                     step_size=STEP_SIZE, transforms=TRANSFORMS, progress=False)[0]
            for name in CANDIDATES]
fig = dd.plot_images(previews, CANDIDATES, size=3,
                     suptitle=f"Same noise, {PREVIEW_STEPS} steps each")

# %% [markdown]
# We dream `mixed3`: it gives the clearest, most structured pattern from noise — curls and eyes at full contrast — while the conv layers give only fine stripes and `mixed5` stays busy at one scale.

# %% [markdown]
# ## The rubric's two readings: one layer, or one channel
#
# The rubric's line for this notebook says 单通道特征, literally *single-channel features*.
# The course documents read it as **one layer**, and so does this notebook: the objective is
# the mean over all 768 channels of `mixed3`. Read literally, it is **one channel**: a single
# feature detector of that layer, `dd.dream_model(LAYER, channel=CHANNEL)`. Both, from the
# same noise with the same steps:

# %%
one_channel = dd.dream(dd.dream_model(LAYER, channel=CHANNEL), preview_start,
                       steps=PREVIEW_STEPS, step_size=STEP_SIZE, transforms=TRANSFORMS,
                       progress=False)[0]
fig = dd.plot_images([robust_preview, one_channel],
                     [f"one layer: {LAYER}", f"one channel: {LAYER}, channel {CHANNEL}"],
                     size=3.5, suptitle=f"The two readings, {PREVIEW_STEPS} steps each")

# %% [markdown]
# One channel repeats one motif; the layer's mean mixes all of its detectors into a richer
# texture. Notebook 02 shows several channels beside several layers, and notebook 06 a grid of
# single channels.

# %% [markdown]
# ## Dream

# %%
result, history = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, seed=SEED,
                           transforms=TRANSFORMS)

# %%
settings = {"layer": LAYER, "steps": STEPS, "step_size": STEP_SIZE, "seed": SEED,
            "transforms": "robust" if TRANSFORMS else "none", "size": f"{SIZE}x{SIZE}"}
fig = dd.plot_comparison(start, result, settings, title="01 · noise, one layer")

# %%
fig = dd.plot_loss(history, title=f"Loss per step ({RUN_LABEL})")

# %% [markdown]
# ## Measured indicators
#
# The targets for a noise start: robustness at least 0.85, border at least 0.8.

# %%
quality = dd.quality_report(dm, result)
print(f"result: {quality}")
print(f"targets met: robustness >= 0.85 {quality.robustness >= 0.85}, "
      f"border >= 0.8 {quality.border >= 0.8}")

# %%
saved = dd.save_result(result, RESULT_NAME)

# %% nbgrader={"grade": true, "grade_id": "check_result", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Checks this notebook's own dream (2 points): saved at its size, and the objective grew.
### BEGIN HIDDEN TESTS
with dd.written_by_hand("step_by_hand", "gradient_ascent_step", "dream_loss",
                        "layer_losses"):
    step_by_hand(dm.model, small, STEP_SIZE)  # counts once the exercises are written
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
# Out of structureless noise the network has drawn what excites `mixed3`: repeating curls, eye-like spots and woven stripes, spread evenly because noise has no content to follow, right to the edges. The loss rises steeply and then keeps climbing more slowly, with small wiggles: each step sees another random view. Taking the steps through random transforms costs some objective but buys patterns the network sees from any small shift or rotation — measured, not just claimed, by the robustness indicator — and no grey frame.

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
