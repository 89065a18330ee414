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
# # 06 · Layer atlas: what each layer dreams
#
# **Not graded: a map for choosing layers, and three more kinds of dream**
#
# One dream per layer from the same noise and from the mountain, then single-channel, guided and zoom dreams.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deepdream-course/deepdream-suite/blob/main/notebooks/06_layer_atlas.ipynb)
#
# **What you will learn**
#
# - how features grow with depth, from edges to textures to object parts
# - what a single channel of a layer responds to
# - how a guide image steers a dream (the original DeepDream release's guided objective)
# - how a zoom-dream animation is made
#
# **What you will see**
#
# - a labelled grid of layers from noise and one from the mountain; a grid of channels of one layer; a guided dream beside an unguided one; frames of the zoom animation saved to `outputs/zoom_dream.gif`
#
# Runs top to bottom on a 2-core CPU in a few minutes, with the real ImageNet InceptionV3 weights bundled in the repository (no download).

# %% [markdown]
# ## Setup
#
# Locally, `make setup` has installed the suite into `.venv` (open this notebook with its
# Jupyter: `.venv/bin/jupyter lab`). In Colab, this cell fetches the suite, weights
# included, once.

# %%
if "google.colab" in str(get_ipython()):  # Colab: fetch the suite, weights included, once
    # !git -C /content clone -q --depth 1 https://github.com/deepdream-course/deepdream-suite
    # %cd /content/deepdream-suite
import deepdream_utils as dd

# %% [markdown]
# ## Parameters
#
# Edit these, then run all cells. Everything below reads them.

# %%
LAYERS = ["mixed0", "conv2d_15", "conv2d_18", "mixed1", "mixed2", "mixed3",  # shallow...
          "mixed4", "mixed5", "mixed6", "mixed7"]  # ...to deep
WEIGHTS = "bundled"       # "imagenet" (needs internet) also allows mixed8 and mixed9
ONLINE_LAYERS = ["mixed8", "mixed9"]  # added to the atlas only with WEIGHTS = "imagenet"
NOISE_SIZE = 200          # side of the noise start, pixels
MOUNTAIN_SIDE = 320       # longest side of the mountain start, pixels
OCTAVES = 3               # each atlas dream: octaves...
STEPS_PER_OCTAVE = 15     # ...of this many gradient steps
STEP_SIZE = 0.03          # change per step (halved on the mountain)
SEED = 0                  # seeds the noise
CHANNEL_LAYER = "mixed4"  # the layer whose single channels we dream
CHANNELS = [3, 97, 144, 233, 318, 421, 565, 610]  # which channels (0-767 for mixed4)
GUIDE_CHANNEL = 144       # the channel dream used as the guide image below
ZOOM_FRAMES = 36          # frames of the zoom animation
ZOOM_SIDE = 400           # longest side of the animation, pixels
ZOOM = 1.05               # magnification between frames
ZOOM_STEPS = 10           # gradient steps per frame

# %% [markdown]
# ## Start images
#
# Seeded noise, and “Altai” by Alesya Khoteeva, CC BY-SA 4.0 (see the credits at the end).

# %%
layers = LAYERS + (ONLINE_LAYERS if WEIGHTS == "imagenet" else [])
noise = dd.noise_image(NOISE_SIZE, NOISE_SIZE, seed=SEED)
mountain = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=MOUNTAIN_SIDE)
print(f"{len(layers)} layers; noise {NOISE_SIZE}x{NOISE_SIZE}; "
      f"mountain {mountain.shape[1]}x{mountain.shape[0]}")

# %% [markdown]
# ## The atlas from noise
#
# Same noise, same octaves and steps, only the layer changes, shallow to deep (`conv2d_15` and `conv2d_18` are two convolutions inside the `mixed1` block). The early layers dream edges, stripes and fine grids; `mixed3`-`mixed4` curls, eyes and scales; `mixed5`-`mixed7` larger, busier parts whose meaning needs more steps and larger octaves to come out.

# %%
def atlas_dream(start, step_size, layer, **choice):
    """One atlas dream: OCTAVES octaves of STEPS_PER_OCTAVE steps, one layer or channel."""
    dm = dd.dream_model(layer, weights=WEIGHTS, **choice)
    return dd.dream_octaves(dm, start, octaves=OCTAVES, steps_per_octave=STEPS_PER_OCTAVE,
                            step_size=step_size, tile_size=None, progress=False)[0]


atlas_noise = [atlas_dream(noise, STEP_SIZE, name) for name in layers]
fig = dd.plot_images(atlas_noise, layers, columns=5, size=2.6,
                     suptitle=f"What each layer dreams from noise: {OCTAVES} octaves x "
                              f"{STEPS_PER_OCTAVE} steps, step_size={STEP_SIZE}, "
                              f"seed={SEED}")
saved = dd.save_result(fig, "06_atlas_noise.jpg")

# %% [markdown]
# ## The atlas from the mountain

# %%
atlas_mountain = [atlas_dream(mountain, STEP_SIZE / 2, name) for name in layers]
fig = dd.plot_images(atlas_mountain, layers, columns=5, size=2.6,
                     suptitle=f"What each layer dreams into the mountain: {OCTAVES} "
                              f"octaves x {STEPS_PER_OCTAVE} steps, "
                              f"step_size={STEP_SIZE / 2}")
saved = dd.save_result(fig, "06_atlas_mountain.jpg")

# %% [markdown]
# ## Single channels
#
# A layer is a stack of channels, each a feature detector. `dream_model(layer, channel=c)` makes the objective the mean of one channel only, the classic way to see what one unit has learned. Each channel of `mixed4` below grows its own motif from the same noise.

# %%
channel_dreams = [atlas_dream(noise, STEP_SIZE, CHANNEL_LAYER, channel=c) for c in CHANNELS]
fig = dd.plot_images(channel_dreams, [f"{CHANNEL_LAYER}, channel {c}" for c in CHANNELS],
                     columns=4, size=2.6,
                     suptitle=f"Single-channel dreams from the same noise: {OCTAVES} "
                              f"octaves x {STEPS_PER_OCTAVE} steps")

# %% [markdown]
# ## Guided dreams
#
# A guided dream does not make a layer fire *more*; it makes the image's features *resemble* a guide image's. For every position, the objective takes the guide feature vector it matches best (largest dot product) and increases that match, so the guide's motifs appear where the image already looks a little like them. Our guide is the dream of channel 144 above (spiky, flower-like tufts), and we dream the mountain at three octaves with the same layer, guided and unguided.

# %%
guide = channel_dreams[CHANNELS.index(GUIDE_CHANNEL)]
settings = dict(octaves=3, steps_per_octave=20, step_size=0.015, tile_size=None,
                progress=False)
guided_model = dd.dream_model(CHANNEL_LAYER, guide=guide, weights=WEIGHTS)
unguided_model = dd.dream_model(CHANNEL_LAYER, weights=WEIGHTS)
guided = dd.dream_octaves(guided_model, mountain, **settings)[0]
unguided = dd.dream_octaves(unguided_model, mountain, **settings)[0]
titles = [f"guide: channel {GUIDE_CHANNEL}'s dream", f"{CHANNEL_LAYER}, unguided",
          f"{CHANNEL_LAYER}, guided"]
fig = dd.plot_images([guide, unguided, guided], titles, size=3.5)

# %% [markdown]
# ## A zoom-dream animation
#
# Dream a few steps, zoom into the centre by a few percent, dream again: each frame starts from the last, so the patterns keep growing out of the picture as we fly in.

# %%
zoom_start = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=ZOOM_SIDE)
zoom_model = dd.dream_model({"mixed3": 1.0, "mixed5": 1.0}, weights=WEIGHTS)
frames = dd.zoom_dream(zoom_model, zoom_start, frames=ZOOM_FRAMES, zoom=ZOOM,
                       steps=ZOOM_STEPS, seed=SEED)

# %%
saved = dd.save_result(frames, "zoom_dream.gif", fps=10)
picks = [0, len(frames) // 3, 2 * len(frames) // 3, len(frames) - 1]
fig = dd.plot_images([frames[i] for i in picks], [f"frame {i + 1}" for i in picks],
                     size=3.5)

# %% [markdown]
# ## What the atlas shows
#
# Depth decides the size and meaning of what grows: the early layers repeat edges and stripes at the scale of a few pixels, the middle ones (`mixed3`, `mixed4`) weave curls, eyes and scales, and the deepest bundled layers produce larger but busier parts. Single channels are far more specific than whole layers, and a guide image replaces the layer's own taste with the guide's motifs. That is why the graded notebooks mix `mixed3` with `mixed5`: texture and shape at once.

# %% [markdown]
# ## Credits
#
# - Start image `images/mountain.jpg`: “Altai” by Alesya Khoteeva for the KDE Visual Design
#   Group, [CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/) (see
#   `images/CREDITS.md`). Every dream made from it is an adaptation, shared under CC BY-SA 4.0.
# - Weights: Google's ImageNet InceptionV3 (`inception-2015-12-05`), converted to Keras's layout
#   and bundled in `weights/` (see the README's credits).
# - Method: after the [TensorFlow DeepDream tutorial](https://www.tensorflow.org/tutorials/generative/deepdream)
#   and the Keras example [`deep_dream.py`](https://keras.io/examples/generative/deep_dream/).
