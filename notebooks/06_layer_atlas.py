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
# **Not graded: a map for choosing layers, and four more kinds of dream**
#
# One dream per layer from the same noise and from the mountain, the pooling layers beside the layers they read, then single-channel, kaleidoscope, guided and zoom dreams.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/deepdream-course/deepdream-suite/blob/main/notebooks/06_layer_atlas.ipynb)
#
# **What you will learn**
#
# - how features grow with depth, from edges to textures to object parts
# - what a pooling layer changes, beside the layer it reads (early, late and pooling layers)
# - what a single channel of a layer responds to
# - how to keep a dream symmetric at every step: an electronic kaleidoscope
# - how a guide image steers a dream (the original DeepDream release's guided objective)
# - how a zoom-dream animation is made
#
# **What you will see**
#
# - a labelled grid of layers from noise with each one's robustness, and one from the mountain; the pooling layers beside the layers they read; a grid of channels of one layer; kaleidoscopes from noise and from the mountain; a guided dream beside an unguided one; frames of the zoom animation saved to `outputs/zoom_dream.gif`
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
# Edit these, then run all cells. Everything below reads them.

# %%
LAYERS = ["mixed0", "conv2d_15", "conv2d_18", "mixed1", "mixed2", "mixed3",  # shallow...
          "mixed4", "mixed5", "mixed6", "mixed7"]  # ...to deep
WEIGHTS = "bundled"       # "imagenet" (needs internet) also allows mixed8 and mixed9
ONLINE_LAYERS = ["mixed8", "mixed9"]  # added to the atlas only with WEIGHTS = "imagenet"
NOISE_SIZE = 176          # side of the noise start, pixels
MOUNTAIN_SIDE = 200       # longest side of the mountain start, pixels
OCTAVES = 3               # each atlas dream: octaves...
STEPS_PER_OCTAVE = 15     # ...of this many gradient steps
STEP_SIZE = 0.03          # change per step (halved on the mountain)
NOISE_STEPS_PER_OCTAVE = 30    # from noise, more steps per octave: deep layers need them
LAPLACIAN_LAYERS = ["mixed5", "mixed6", "mixed7", "mixed8", "mixed9"]  # from noise, these
                          # normalise the gradient per pyramid level (else: static)
SEED = 0                  # seeds the noise and the random transforms of each step
POOLING = {"activation_2": "max_pooling2d",    # layer -> the pooling layer that reads it:
           "activation_4": "max_pooling2d_1",  # the stem's two 3x3 max pools (stride 2)...
           "mixed2": "max_pooling2d_2",        # ...mixed3's max pool (stride 2)...
           "mixed4": "average_pooling2d_4"}    # ...and mixed5's 3x3 average pool (stride 1)
CHANNEL_LAYER = "mixed4"  # the layer whose single channels we dream
CHANNELS = [3, 97, 144, 610]  # which channels (0-767 for mixed4)
GUIDE_CHANNEL = 144       # the channel dream used as the guide image below
KALEIDOSCOPES = [         # (start, layer, channel or None, folds, mirror)
    ("noise", "mixed4", 97, 6, True),
    ("noise", "mixed3", None, 8, False),
    ("noise", "mixed5", 233, 5, True),
    ("mountain", "mixed4", 144, 4, True),
    ("mountain", "mixed3", None, 1, True),
    ("mountain", "mixed5", None, 6, True)]
KALEIDOSCOPE_SIDE = 160   # the kaleidoscopes are square, pixels
ZOOM_FRAMES = 12          # frames of the zoom animation
ZOOM_SIDE = 256           # longest side of the animation, pixels
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
# Same noise, same octaves and steps, only the layer changes, shallow to deep (`conv2d_15` and `conv2d_18` are two convolutions inside the `mixed1` block). Every step looks through random transforms (`dd.ROBUST`, notebook 01). For the deep layers (marked \*) the gradient is also normalised per level of its Laplacian pyramid (`normalize="laplacian"`, after the TF1 DeepDream notebook), so that coarse structure counts as much as fine. That choice is measured: with the standard deviation alone, 3 octaves x 15 steps left `mixed6` and `mixed7` as coloured static (high-frequency share 0.35 and 0.38); per level, with 30 steps, they draw leaves, faces and foliage (0.15 and 0.18). On the shallow layers the same normalisation only smears their fine edges into large colour blobs, so they keep the standard deviation. The early layers dream edges, stripes and fine grids; `mixed3`-`mixed4` curls, eyes and scales; `mixed5`-`mixed7` larger parts: meshes, leaves, fur and foliage.

# %%
def atlas_dream(start, step_size, layer, steps=STEPS_PER_OCTAVE, normalize="std", **choice):
    """One atlas dream: OCTAVES octaves of `steps` steps, one layer or channel."""
    dm = dd.dream_model(layer, weights=WEIGHTS, **choice)
    return dd.dream_octaves(dm, start, octaves=OCTAVES, steps_per_octave=steps,
                            step_size=step_size, tile_size=None, normalize=normalize,
                            progress=False)[0]


def noise_dream(layer):
    """An atlas dream from the noise, with the noise settings."""
    normalize = "laplacian" if layer in LAPLACIAN_LAYERS else "std"
    return atlas_dream(noise, STEP_SIZE, layer, steps=NOISE_STEPS_PER_OCTAVE,
                       normalize=normalize)


atlas_noise = [noise_dream(name) for name in layers]
robust = {name: dd.robustness(dd.dream_model(name, weights=WEIGHTS), image)
          for name, image in zip(layers, atlas_noise)}
titles = [f"{name}{'*' if name in LAPLACIAN_LAYERS else ''} (robustness {robust[name]:.2f})"
          for name in layers]
fig = dd.plot_images(atlas_noise, titles, columns=5, size=2.6,
                     suptitle=f"What each layer dreams from noise: {OCTAVES} octaves x "
                              f"{NOISE_STEPS_PER_OCTAVE} steps, step_size={STEP_SIZE}, "
                              f"seed={SEED}; * normalize='laplacian'")
saved = dd.save_result(fig, "06_atlas_noise.jpg")

# %% [markdown]
# Structure, not static: each deep layer's dream keeps at least 0.85 of its objective under
# small random transforms (`dd.robustness`, seeded).

# %%
for name in ["mixed5", "mixed6", "mixed7"]:
    print(f"{name}: robustness = {robust[name]:.2f}, at least 0.85: {robust[name] >= 0.85}")

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
# ## Pooling layers beside the layers they read
#
# A pooling layer has no weights: it keeps the largest (max pool) or the mean (average pool) of
# each 3x3 window of the layer before it, per channel. Top row: a layer; bottom row: the pooling
# layer that reads it, dreamed from the same noise with the same steps.

# %%
from_atlas = dict(zip(layers, atlas_noise))  # mixed2 and mixed4: already dreamed above
pooling_dreams = ([from_atlas[name] if name in from_atlas else noise_dream(name)
                   for name in POOLING]
                  + [noise_dream(name) for name in POOLING.values()])
pooling_titles = list(POOLING) + [f"{pool}\n(reads {name})"
                                  for name, pool in POOLING.items()]
fig = dd.plot_images(pooling_dreams, pooling_titles, columns=len(POOLING), size=2.6,
                     suptitle=f"Layers (top) and the pooling layers that read them "
                              f"(bottom): {OCTAVES} octaves x {NOISE_STEPS_PER_OCTAVE} "
                              f"steps from the same noise")
saved = dd.save_result(fig, "06_atlas_pooling.jpg")

# %% [markdown]
# What changes: a max pool passes on only the strongest response in each 3x3 window, so its
# gradient reaches only the pixels that win a window. In the stem (`max_pooling2d`,
# `max_pooling2d_1`) the dream is the pattern of the layer it reads, packed tighter and at
# higher contrast: the dream sharpens one peak per window rather than whole stripes. Deeper,
# `mixed3`'s max pool changes little beyond contrast, and `mixed5`'s average pool gives nearly
# the same picture as `mixed4` itself: averaging 3x3 windows blurs responses that are already
# smooth at that depth. Pooling learns nothing, so no new kind of feature appears; what grows
# with depth comes from the convolutions between the pools.
# That is why the course's layers are convolutions and mixed blocks, not pools.

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
# ## Kaleidoscopes: symmetric dreams
#
# The course's "electronic kaleidoscope" art project dreams layers and channels from noise.
# `symmetry=dd.Symmetry(folds=n, mirror=True)` keeps a dream symmetric at every step: after
# each step, every pixel copies its mirror image in one wedge of the circle, so the network's
# patterns grow into an n-fold, mirrored ornament. From the mountain (a square crop of its
# centre), the ridges and the lake fold into the pattern too.

# %%
mountain_square = dd.load_image(dd.IMAGES_DIR / "mountain.jpg",
                                max_side=KALEIDOSCOPE_SIDE * 16 // 9)
left = (mountain_square.shape[1] - mountain_square.shape[0]) // 2
mountain_square = mountain_square[:, left:left + mountain_square.shape[0]]
starts = {"noise": dd.noise_image(KALEIDOSCOPE_SIDE, KALEIDOSCOPE_SIDE, seed=SEED),
          "mountain": mountain_square}
kaleidoscopes, kaleidoscope_titles = [], []
for start_name, layer, channel, folds, mirror in KALEIDOSCOPES:
    symmetry = dd.Symmetry(folds=folds, mirror=mirror)
    dm = dd.dream_model(layer, weights=WEIGHTS, channel=channel)
    step_size = STEP_SIZE if start_name == "noise" else STEP_SIZE / 2
    kaleidoscopes.append(dd.dream_octaves(dm, starts[start_name], octaves=OCTAVES,
                                          steps_per_octave=STEPS_PER_OCTAVE,
                                          step_size=step_size, tile_size=None, seed=SEED,
                                          symmetry=symmetry, progress=False)[0])
    what = layer if channel is None else f"{layer}, channel {channel}"
    kaleidoscope_titles.append(f"{start_name}: {what}, {symmetry}")
fig = dd.plot_images(kaleidoscopes, kaleidoscope_titles, columns=3, size=3.2,
                     suptitle=f"Kaleidoscopes: {OCTAVES} octaves x {STEPS_PER_OCTAVE} "
                              f"steps, symmetric at every step")
saved = dd.save_result(fig, "06_kaleidoscope.jpg")

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
# Depth decides the size and meaning of what grows: the early layers repeat edges and stripes at the scale of a few pixels, the middle ones (`mixed3`, `mixed4`) weave curls, eyes and scales, and the deepest bundled layers produce larger parts. Pooling layers only thin out or soften the pattern of the layer they read. Single channels are far more specific than whole layers, and a guide image replaces the layer's own taste with the guide's motifs. That is why the graded notebooks mix `mixed3` with `mixed5`: texture and shape at once.

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
