"""Writes the notebooks' sources (the five graded ones and the layer atlas) (cells without outputs) into notebooks/.

The notebooks share their opening, setup and closing cells; this script keeps those
identical and lets each notebook differ only where its lesson differs. After editing,
run it, then `make dreams` to execute the notebooks and save their outputs.

    python tools/make_notebooks.py            # rewrites every notebook (outputs are lost)
    python tools/make_notebooks.py 05 06      # rewrites only these
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
GITHUB_REPO = "deepdream-course/deepdream-suite"  # owner/name on GitHub, for Colab
MOUNTAIN_CREDIT = (
    "*Start image: “Altai” by Alesya Khoteeva for the KDE Visual Design Group, "
    "[CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/) (see `images/CREDITS.md`). "
    "Every dream made from it is an adaptation and is shared under CC BY-SA 4.0.*")
IGNORE_OUTPUT = {"tags": ["nbval-ignore-output"]}

SETUP = f'''\
# Setup: find the repository (in Colab, fetch it once) and import the shared module.
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ log lines out of the outputs
IN_COLAB = "google.colab" in sys.modules
REPO_URL = "https://github.com/{GITHUB_REPO}"

ROOT = next((p for p in (Path.cwd(), *Path.cwd().parents) if (p / "deepdream_utils.py").exists()), None)
if ROOT is None and IN_COLAB:  # shallow clone; Colab's own TensorFlow is used as it is
    subprocess.run(["git", "clone", "--depth", "1", "--quiet", REPO_URL, "deepdream-suite"], check=True)
    ROOT = Path("deepdream-suite").resolve()
if ROOT is None:
    raise FileNotFoundError("deepdream_utils.py not found: open this notebook from the repository's notebooks/ folder.")
sys.path.insert(0, str(ROOT))

import numpy as np

import deepdream_utils as dd

%config InlineBackend.figure_formats = ["jpeg"]  # dream textures: JPEG keeps the notebook small'''


def header(number: str, title: str, points: int, rubric: str, summary: str, learn: list[str],
           see: list[str]) -> list:
    name = NOTEBOOKS[number]
    badge = (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
             f"(https://colab.research.google.com/github/{GITHUB_REPO}/blob/main/notebooks/{name})")
    grading = f"**Grading line: {points} points — {rubric}.**" if points else f"**{rubric}**"
    text = (f"# {number} · {title}\n\n{grading}\n\n{summary}\n\n{badge}\n\n"
            "**What you will learn**\n\n" + "\n".join(f"- {item}" for item in learn)
            + "\n\n**What you will see**\n\n" + "\n".join(f"- {item}" for item in see)
            + "\n\nRuns top to bottom on a 2-core CPU in a few minutes, with the real ImageNet "
              "InceptionV3 weights bundled in the repository (no download).")
    return [new_markdown_cell(text), new_markdown_cell("## Setup"), new_code_cell(SETUP)]


def params(text: str) -> list:
    return [new_markdown_cell("## Parameters\n\nEdit these, then run all cells. Everything below reads them."),
            new_code_cell(text)]


def md(text: str):
    return new_markdown_cell(text)


def code(text: str, ignore_output: bool = False):
    return new_code_cell(text, metadata=IGNORE_OUTPUT if ignore_output else {})


NOTEBOOKS = {
    "01": "01_noise_single_layer.ipynb",
    "02": "02_noise_multi_layer.ipynb",
    "03": "03_mountain_single_layer.ipynb",
    "04": "04_mountain_multi_layer.ipynb",
    "05": "05_mountain_octaves_tiled.ipynb",
    "06": "06_layer_atlas.ipynb",
}

SAVE = '''\
saved = dd.save_image(result, dd.OUTPUTS_DIR / RESULT_NAME)
print("saved", saved.relative_to(dd.REPO_ROOT).as_posix())'''

WEIGHTED_LOSSES = '''\
dm = dd.dream_model(LAYERS)
for name, value in dd.layer_losses(dm, start).items():
    print(f"{name} (weight {LAYERS[name]}): loss = {value:.3f}")
print(f"weighted sum: loss = {dd.dream_loss(dm, start):.3f}")'''

LOSSES_AFTER = '''\
for name, value in dd.layer_losses(dm, result).items():
    print(f"after the dream, {name}: loss = {value:.3f}")'''

LOSS_FIGURE = 'fig = dd.plot_loss(history, title=f"Loss per step ({RUN_LABEL})")'

MODEL_EXPLAINED = md(
    "## The model and the objective\n\n"
    "`dd.dream_model` takes InceptionV3 with its ImageNet weights and cuts it at the deepest chosen "
    "layer, so nothing after it is computed. The **objective** (the loss we *increase*) is the "
    "weighted mean activation of the chosen layers. Following the TF docs' rule — define, run small, "
    "then use — here is the loss of the start image:")

STEP_EXPLAINED = md(
    "## One gradient-ascent step\n\n"
    "One step computes the gradient of the loss with respect to the *image*, divides it by its "
    "standard deviation (so the step size means the same thing on every image and every layer), "
    "adds `STEP_SIZE` times it to the image, and clips to the valid range [-1, 1]. "
    "One step, run small, should already raise the loss:")

STEP_SMALL = '''\
x = dd.to_model(start)
x_next, _ = dd.gradient_ascent_step(dm, x, STEP_SIZE)
print(f"before: loss = {dd.dream_loss(dm, start):.3f}")
print(f"after one step: loss = {dd.dream_loss(dm, dd.from_model(x_next)):.3f}")'''


def nb01() -> list:
    return [
        *header("01", "DeepDream from noise, one layer", 6, "random noise start, one layer",
                "Grow the patterns one InceptionV3 layer has learned out of seeded random noise.",
                ["how DeepDream changes the *input image* by gradient ascent on a layer's mean activation",
                 "why each gradient is divided by its standard deviation",
                 "how layers of different depth dream different patterns"],
                ["the noise start, the course's four candidate layers dreamed from it, "
                 "the final dream with its parameters, and its loss curve"]),
        *params('''\
LAYER = "mixed3"          # the one layer whose mean activation we maximise
SIZE = 400                # width and height of the noise image, pixels
STEPS = 200               # gradient-ascent steps
STEP_SIZE = 0.02          # change per step, in gradient standard deviations (images live in [-1, 1])
SEED = 0                  # seeds the noise: same seed, same picture
CANDIDATES = ["conv2d_15", "conv2d_18", "mixed3", "mixed5"]  # the course's layers, compared below
PREVIEW_SIZE = 200        # smaller, quicker dreams for that comparison: size...
PREVIEW_STEPS = 60        # ...and steps
RESULT_NAME = f"01_noise_{LAYER}.jpg"  # saved in outputs/
RUN_LABEL = f"noise, {LAYER}"  # names the run in figure titles'''),
        md("## The start image: seeded noise\n\n`dd.noise_image` makes grey noise (0.5 ± 0.1) from a seed, so "
           "every run starts from exactly the same picture."),
        code('''\
start = dd.noise_image(SIZE, SIZE, seed=SEED)
print(f"start: shape {start.shape}, {start.dtype}, values in [{start.min():.2f}, {start.max():.2f}]")
fig = dd.plot_images([start], ["start: seeded grey noise"], size=3)'''),
        MODEL_EXPLAINED,
        code('''\
dm = dd.dream_model(LAYER)
print(f"{LAYER}: activation of shape {tuple(dm.model(dd.to_model(start)[None]).shape)} for a {SIZE}x{SIZE} image")
print(f"start image: loss = {dd.dream_loss(dm, start):.3f}")'''),
        STEP_EXPLAINED,
        code(STEP_SMALL),
        md("## Which layer? The course's candidates, from the same noise\n\n"
           "Shallow layers (`conv2d_15`, `conv2d_18`) respond to edges and fine stripes; `mixed3` to "
           "textures and eye-like blobs; deeper layers (`mixed5`) to larger object parts, which from flat "
           "noise at one scale stay small and busy. Same seed, same steps, only the layer changes:"),
        code('''\
preview_start = dd.noise_image(PREVIEW_SIZE, PREVIEW_SIZE, seed=SEED)
previews = [dd.dream(dd.dream_model(name), preview_start, steps=PREVIEW_STEPS, step_size=STEP_SIZE,
                     progress=False)[0] for name in CANDIDATES]
fig = dd.plot_images(previews, CANDIDATES, suptitle=f"Same noise, {PREVIEW_STEPS} steps each", size=3)'''),
        md("We dream `mixed3`: it gives the clearest, most structured pattern from noise — curls and eyes "
           "at full contrast — while the conv layers give only fine stripes and `mixed5` stays busy at one scale."),
        md("## Dream"),
        code("result, history = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, seed=SEED)",
             ignore_output=True),
        code('''\
settings = {"layer": LAYER, "steps": STEPS, "step_size": STEP_SIZE, "seed": SEED, "size": f"{SIZE}x{SIZE}"}
fig = dd.plot_comparison(start, result, settings, title="01 · noise, one layer")'''),
        code(LOSS_FIGURE),
        code(SAVE),
        md("## What the picture shows\n\n"
           "Out of structureless noise the network has drawn what excites `mixed3`: repeating curls, "
           "eye-like spots and woven stripes, spread evenly because noise has no content to follow. "
           "The loss rises steeply and then keeps climbing more slowly; more steps sharpen the same "
           "patterns rather than inventing new ones. (The outermost pixels stay grey: InceptionV3's "
           "unpadded convolutions never look at them.)"),
    ]


def nb02() -> list:
    return [
        *header("02", "DeepDream from noise, several layers", 7, "random noise start, several layers",
                "Dream two InceptionV3 layers at once, with weights, from seeded random noise.",
                ["how an objective mixes several layers with weights",
                 "how each layer contributes to the picture"],
                ["each layer dreamed alone and the weighted mix, side by side; the final dream with its "
                 "parameters; the loss of each layer before and after; the loss curve"]),
        *params('''\
LAYERS = {"mixed3": 1.0, "mixed5": 1.0}  # layer -> weight in the objective
SIZE = 400                # width and height of the noise image, pixels
STEPS = 300               # gradient-ascent steps
STEP_SIZE = 0.03          # change per step, in gradient standard deviations (images live in [-1, 1])
SEED = 0                  # seeds the noise: same seed, same picture
PREVIEW_SIZE = 200        # smaller, quicker dreams for the layer comparison: size...
PREVIEW_STEPS = 80        # ...and steps
RESULT_NAME = "02_noise_" + "_".join(LAYERS) + ".jpg"  # saved in outputs/
RUN_LABEL = "noise, " + " + ".join(LAYERS)  # names the run in figure titles'''),
        md("## The start image: seeded noise"),
        code('''\
start = dd.noise_image(SIZE, SIZE, seed=SEED)
print(f"start: shape {start.shape}, values in [{start.min():.2f}, {start.max():.2f}]")
fig = dd.plot_images([start], ["start: seeded grey noise"], size=3)'''),
        md("## The model and a weighted objective\n\n"
           "With several layers the model returns one activation per layer, and the objective is "
           "their weighted sum of means: `loss = Σ weight × mean(activation)`. "
           "`dd.layer_losses` shows each layer's part for the start image:"),
        code(WEIGHTED_LOSSES),
        STEP_EXPLAINED,
        code(STEP_SMALL),
        md("## Each layer alone, and together\n\n"
           "We chose `mixed3` (textures, eye-like blobs) and `mixed5` (larger, rounder object parts): from "
           "noise, `mixed5` alone stays busy at one scale, and `mixed3` gives it structure to build on. "
           "Same noise and steps, smaller size:"),
        code('''\
preview_start = dd.noise_image(PREVIEW_SIZE, PREVIEW_SIZE, seed=SEED)
choices = [{name: 1.0} for name in LAYERS] + [LAYERS]
previews = [dd.dream(dd.dream_model(choice), preview_start, steps=PREVIEW_STEPS, step_size=STEP_SIZE,
                     progress=False)[0] for choice in choices]
titles = [f"{name} alone" for name in LAYERS] + ["weighted mix"]
fig = dd.plot_images(previews, titles, suptitle=f"Same noise, {PREVIEW_STEPS} steps each", size=3)'''),
        md("## Dream"),
        code("result, history = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, seed=SEED)",
             ignore_output=True),
        code('''\
settings = {"layers": LAYERS, "steps": STEPS, "step_size": STEP_SIZE, "seed": SEED, "size": f"{SIZE}x{SIZE}"}
fig = dd.plot_comparison(start, result, settings, title="02 · noise, several layers")'''),
        code(LOSSES_AFTER),
        code(LOSS_FIGURE),
        code(SAVE),
        md("## What the picture shows\n\n"
           "The mix carries both layers' signatures: `mixed3`'s fine curls and eyes fill the picture while "
           "`mixed5` gathers them into larger, rounded shapes, and both layers' losses rise together. "
           "Changing the weights shifts the balance between texture and shape."),
    ]


MOUNTAIN_START = '''\
start = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=MAX_SIDE)
print(f"start: {start.shape[1]}x{start.shape[0]} pixels")
fig = dd.plot_images([start], ["start: images/mountain.jpg"], size=6)'''


def nb03() -> list:
    return [
        *header("03", "DeepDream on a landscape, one layer", 8, "the mountain landscape, one layer",
                "Let one InceptionV3 layer paint its patterns into a mountain landscape.",
                ["how DeepDream follows the content of a real image",
                 "how the number of steps and the step size trade pattern strength against the landscape"],
                ["the mountain before and after with the parameters, a detail at full resolution, "
                 "and the loss curve"]),
        *params('''\
LAYER = "mixed3"          # the one layer whose mean activation we maximise
MAX_SIDE = 1024           # longest side of the image, pixels (the mountain is 1024x576)
STEPS = 100               # gradient-ascent steps
STEP_SIZE = 0.01          # change per step, in gradient standard deviations (images live in [-1, 1])
SEED = 0                  # fixes every random choice (none at one scale without tiles)
RESULT_NAME = f"03_mountain_{LAYER}.jpg"  # saved in outputs/
RUN_LABEL = f"mountain, {LAYER}"  # names the run in figure titles'''),
        md("## The start image: the mountain landscape\n\n" + MOUNTAIN_CREDIT),
        code(MOUNTAIN_START),
        MODEL_EXPLAINED,
        code('''\
dm = dd.dream_model(LAYER)
print(f"start image: loss = {dd.dream_loss(dm, start):.3f}")'''),
        STEP_EXPLAINED,
        code(STEP_SMALL),
        md("We dream `mixed3`, the layer that gave the clearest patterns from noise in notebook 01: its "
           "textures are small enough that the ridges and the lake stay readable underneath."),
        md("## Dream"),
        code("result, history = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, seed=SEED)",
             ignore_output=True),
        code('''\
settings = {"layer": LAYER, "steps": STEPS, "step_size": STEP_SIZE, "seed": SEED,
            "size": f"{start.shape[1]}x{start.shape[0]}"}
fig = dd.plot_comparison(start, result, settings, title="03 · mountain, one layer")'''),
        md("A detail at full resolution (the top-right peak):"),
        code('''\
fig = dd.plot_images([start[60:316, 640:1024], result[60:316, 640:1024]], ["start (detail)", "result (detail)"],
                     size=5)'''),
        code(LOSS_FIGURE),
        code(SAVE),
        md("## What the picture shows\n\n"
           "The mountains, their reflection in the lake and the light are intact, but every flat polygon of "
           "the picture is now filled with `mixed3`'s curls and eye-like spots, densest on the bright snow "
           "and along the ridges, where the picture already had contrast for the network to amplify. "
           "The loss curve is still rising: more steps would paint stronger patterns over the landscape.\n\n" + MOUNTAIN_CREDIT),
    ]


def nb04() -> list:
    return [
        *header("04", "DeepDream on a landscape, several layers", 9, "the mountain landscape, several layers",
                "Mix two InceptionV3 layers, with weights, to dream into the mountain landscape.",
                ["how a weighted mix of layers changes what grows in a landscape"],
                ["each layer alone and the mix on a small copy; the full-size dream with its parameters; "
                 "each layer's loss; the loss curve"]),
        *params('''\
LAYERS = {"mixed3": 1.0, "mixed5": 1.0}  # layer -> weight in the objective
MAX_SIDE = 1024           # longest side of the image, pixels (the mountain is 1024x576)
STEPS = 100               # gradient-ascent steps
STEP_SIZE = 0.01          # change per step, in gradient standard deviations (images live in [-1, 1])
SEED = 0                  # fixes every random choice (none at one scale without tiles)
PREVIEW_SIDE = 400        # a smaller copy for the layer comparison: longest side...
PREVIEW_STEPS = 50        # ...and steps
RESULT_NAME = "04_mountain_" + "_".join(LAYERS) + ".jpg"  # saved in outputs/
RUN_LABEL = "mountain, " + " + ".join(LAYERS)  # names the run in figure titles'''),
        md("## The start image: the mountain landscape\n\n" + MOUNTAIN_CREDIT),
        code(MOUNTAIN_START),
        md("## The model and a weighted objective\n\n"
           "With several layers, the objective is `Σ weight × mean(activation)`. Each layer's part for the "
           "start image:"),
        code(WEIGHTED_LOSSES),
        STEP_EXPLAINED,
        code(STEP_SMALL),
        md("## Each layer alone, and together\n\n"
           "`mixed3` adds fine textures; `mixed5` adds larger, rounder motifs that follow the ridges. "
           "Together they dream at two scales at once, which is why we mix them:"),
        code('''\
small = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=PREVIEW_SIDE)
choices = [{name: 1.0} for name in LAYERS] + [LAYERS]
previews = [dd.dream(dd.dream_model(choice), small, steps=PREVIEW_STEPS, step_size=STEP_SIZE,
                     progress=False)[0] for choice in choices]
titles = [f"{name} alone" for name in LAYERS] + ["weighted mix"]
fig = dd.plot_images(previews, titles, suptitle=f"{PREVIEW_SIDE}-pixel copy, {PREVIEW_STEPS} steps each", size=4)'''),
        md("## Dream"),
        code("result, history = dd.dream(dm, start, steps=STEPS, step_size=STEP_SIZE, seed=SEED)",
             ignore_output=True),
        code('''\
settings = {"layers": LAYERS, "steps": STEPS, "step_size": STEP_SIZE, "seed": SEED,
            "size": f"{start.shape[1]}x{start.shape[0]}"}
fig = dd.plot_comparison(start, result, settings, title="04 · mountain, several layers")'''),
        code(LOSSES_AFTER),
        code(LOSS_FIGURE),
        code(SAVE),
        md("## What the picture shows\n\n"
           "The landscape is still readable, now covered with two scales of pattern: `mixed3`'s fine "
           "texture everywhere and `mixed5`'s larger motifs along the ridges and the sky. At one scale "
           "the motifs stay small and repeat at a fixed size: notebook 05 shows how octaves and tiles "
           "make them larger and smoother.\n\n" + MOUNTAIN_CREDIT),
    ]


def nb05() -> list:
    return [
        *header("05", "Better DeepDream: octaves, random-shift tiles, detail re-injection", 10,
                "the mountain landscape, several layers, better image quality",
                "Dream the mountain at several scales with tiled gradients, and measure what each "
                "improvement buys at the same number of steps.",
                ["**octaves**: dream a small copy first, upscale, dream again, so patterns grow at several scales",
                 "**random-shift tiled gradients**: compute the gradient tile by tile after a random roll, so "
                 "memory stays bounded for any image size and no tile seam stays in place",
                 "**lost-detail re-injection** (as in the Keras example): add back the detail each upscale "
                 "blurred away",
                 "how to compare methods with measured indicators, not only by eye"],
                ["four dreams of the same image with the same layers and the same total of gradient steps, "
                 "side by side and in detail; a table of measured indicators; the final dream at the full "
                 "1024x576 with its parameters"]),
        *params('''\
LAYERS = {"mixed3": 1.0, "mixed5": 1.0}  # layer -> weight in the objective (as notebook 04)
MAX_SIDE = 1024           # longest side of the image, pixels (the mountain is 1024x576)
OCTAVES = 4               # number of scales; the smallest is OCTAVE_SCALE**(OCTAVES-1) times smaller
OCTAVE_SCALE = 1.4        # size ratio between neighbouring octaves
STEPS_PER_OCTAVE = 25     # gradient steps at each octave (4 x 25 = 100, as notebook 04)
STEP_SIZE = 0.01          # change per step, in gradient standard deviations (images live in [-1, 1])
TILE_SIZE = 512           # tile side for the random-shift tiled gradients, pixels
SEED = 0                  # seeds the random tile shifts
RESULT_NAME = "05_mountain_octaves_tiled.jpg"  # saved in outputs/
RUN_LABEL = "mountain, octaves + tiles + detail"  # names the run in figure titles'''),
        md("## The start image: the mountain landscape\n\n" + MOUNTAIN_CREDIT),
        code(MOUNTAIN_START),
        code('''\
dm = dd.dream_model(LAYERS)
print(f"start image: loss = {dd.dream_loss(dm, start):.3f}")'''),
        md("## Octaves, run small\n\n"
           "`dd.octave_shapes` lists the sizes the dream passes through, smallest first; the last is the "
           "image's own size. Patterns dreamed at the small sizes are upscaled and become large motifs."),
        code('''\
for height, width in dd.octave_shapes(start.shape[:2], OCTAVES, OCTAVE_SCALE, dm.min_side):
    print(f"octave: {width}x{height}")'''),
        md("## Random-shift tiles, run small\n\n"
           "`dd.tile_edges` splits each side into tiles of at least `TILE_SIZE` pixels; before each step the "
           "image is rolled by a random shift, so the seams move and every pixel is covered every step. "
           "With one tile the tiled gradient is exactly the full-image gradient."),
        code('''\
for height, width in dd.octave_shapes(start.shape[:2], OCTAVES, OCTAVE_SCALE, dm.min_side):
    rows, columns = dd.tile_edges(height, TILE_SIZE), dd.tile_edges(width, TILE_SIZE)
    print(f"{width}x{height}: {len(rows) - 1} x {len(columns) - 1} tiles, column edges {columns.tolist()}")'''),
        md("## Four methods, same layers, same 100 steps\n\n"
           "1. **plain**: notebook 04's method, 100 steps at full size;\n"
           "2. **octaves**: 4 octaves of 25 steps, whole-image gradients;\n"
           "3. **octaves + tiles**: the same with random-shift tiled gradients;\n"
           "4. **octaves + tiles + detail**: and lost-detail re-injection after each upscale (our final method)."),
        code('''\
total_steps = OCTAVES * STEPS_PER_OCTAVE
octave_settings = dict(octaves=OCTAVES, octave_scale=OCTAVE_SCALE, steps_per_octave=STEPS_PER_OCTAVE,
                       step_size=STEP_SIZE, seed=SEED)
methods = {
    "plain": lambda: dd.dream(dm, start, steps=total_steps, step_size=STEP_SIZE, seed=SEED),
    "octaves": lambda: dd.dream_octaves(dm, start, tile_size=None, reinject_detail=False, **octave_settings),
    "octaves + tiles": lambda: dd.dream_octaves(dm, start, tile_size=TILE_SIZE, reinject_detail=False,
                                                **octave_settings),
    "octaves + tiles + detail": lambda: dd.dream_octaves(dm, start, tile_size=TILE_SIZE, reinject_detail=True,
                                                         **octave_settings),
}
results, seconds = {}, {}
for name, run in methods.items():
    (results[name], _), seconds[name] = dd.timed(run)''', ignore_output=True),
        code('''\
fig = dd.plot_images(list(results.values()), list(results), columns=2, size=6,
                     suptitle=f"Same layers {LAYERS}, {total_steps} steps each, step_size={STEP_SIZE}")'''),
        md("The same detail (the top-right peak) in each, at full resolution:"),
        code('''\
fig = dd.plot_images([image[60:316, 640:1024] for image in results.values()], list(results), columns=4, size=3.5)'''),
        md("## Measured indicators\n\n"
           "- **high-frequency share**: the share of the picture's spectral energy above half the Nyquist "
           "frequency (`dd.high_frequency_share`); lower means larger, smoother motifs and less pixel noise;\n"
           "- **loss**: the objective of the final picture at full size (how strongly the layers fire);\n"
           "- **time**: wall time of the dream on this machine."),
        code('''\
print(f"{'method':26s} {'high-frequency':>16s} {'final':>14s} {'time':>10s}")
print(f"{'start image':26s} share = {dd.high_frequency_share(start):.4f} loss = {dd.dream_loss(dm, start):.3f}")
for name, image in results.items():
    print(f"{name:26s} share = {dd.high_frequency_share(image):.4f} loss = {dd.dream_loss(dm, image):.3f} "
          f"took {seconds[name]:.1f} s")'''),
        md("## The final dream, at full size"),
        code('''\
result = results["octaves + tiles + detail"]
settings = {"layers": LAYERS, "octaves": OCTAVES, "octave_scale": OCTAVE_SCALE, "steps_per_octave": STEPS_PER_OCTAVE,
            "step_size": STEP_SIZE, "tile_size": TILE_SIZE, "detail": True, "seed": SEED,
            "size": f"{result.shape[1]}x{result.shape[0]}"}
fig = dd.plot_comparison(start, result, settings, title="05 · mountain, octaves + tiles")'''),
        code(SAVE),
        md("## What the picture shows\n\n"
           "At the same 100 steps, octaves turn the plain method's small, evenly repeated texture into "
           "motifs of several sizes, and cut the high-frequency share to about a third; they are also "
           "about twice as fast, since three of the four octaves are smaller than the image. Octaves alone "
           "blur the polygon edges; re-injecting the lost detail brings the ridges back as sharp as in the "
           "start image (see the detail row). Tiles leave the texture as it is and cost no time here, but lower "
           "the final loss a little (each tile sees less of the picture around it); what they buy is bounded "
           "memory, which lets the same code dream a 4000x3000 picture. The plain method's higher final loss "
           "is the layers firing on its dense small texture, not a better picture.\n\n" + MOUNTAIN_CREDIT),
    ]


def nb06() -> list:
    return [
        *header("06", "Layer atlas: what each layer dreams", 0,
                "Not graded: a map for choosing layers, and three more kinds of dream",
                "One dream per layer from the same noise and from the mountain, then single-channel, "
                "guided and zoom dreams.",
                ["how features grow with depth, from edges to textures to object parts",
                 "what a single channel of a layer responds to",
                 "how a guide image steers a dream (the original DeepDream release's guided objective)",
                 "how a zoom-dream animation is made"],
                ["a labelled grid of layers from noise and one from the mountain; a grid of channels of one "
                 "layer; a guided dream beside an unguided one; frames of the zoom animation saved to "
                 "`outputs/zoom_dream.gif`"]),
        *params('''\
LAYERS = ["mixed0", "conv2d_15", "conv2d_18"] + [f"mixed{i}" for i in range(1, 8)]  # shallow to deep
WEIGHTS = "bundled"       # "imagenet" (needs internet) also allows mixed8 and mixed9
ONLINE_LAYERS = ["mixed8", "mixed9"]  # added to the atlas only with WEIGHTS = "imagenet"
NOISE_SIZE = 200          # side of the noise start, pixels
MOUNTAIN_SIDE = 320       # longest side of the mountain start, pixels
OCTAVES = 3               # each atlas dream: octaves...
STEPS_PER_OCTAVE = 15     # ...of this many gradient steps
STEP_SIZE = 0.03          # change per step, in gradient standard deviations (halved on the mountain)
SEED = 0                  # seeds the noise
CHANNEL_LAYER = "mixed4"  # the layer whose single channels we dream
CHANNELS = [3, 97, 144, 233, 318, 421, 565, 610]  # which channels (0-767 for mixed4)
GUIDE_CHANNEL = 144       # the channel dream used as the guide image below
ZOOM_FRAMES = 36          # frames of the zoom animation
ZOOM_SIDE = 400           # longest side of the animation, pixels
ZOOM = 1.05               # magnification between frames
ZOOM_STEPS = 10           # gradient steps per frame'''),
        md("## Start images\n\n" + MOUNTAIN_CREDIT),
        code('''\
layers = LAYERS + (ONLINE_LAYERS if WEIGHTS == "imagenet" else [])
noise = dd.noise_image(NOISE_SIZE, NOISE_SIZE, seed=SEED)
mountain = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=MOUNTAIN_SIDE)
print(f"{len(layers)} layers; noise {NOISE_SIZE}x{NOISE_SIZE}; mountain {mountain.shape[1]}x{mountain.shape[0]}")'''),
        md("## The atlas from noise\n\n"
           "Same noise, same octaves and steps, only the layer changes, shallow to deep (`conv2d_15` and "
           "`conv2d_18` are two convolutions inside the `mixed1` block). The early layers dream edges, stripes "
           "and fine grids; `mixed3`-`mixed4` curls, eyes and scales; `mixed5`-`mixed7` larger, busier parts "
           "whose meaning needs more steps and larger octaves to come out."),
        code('''\
octaves = dict(octaves=OCTAVES, steps_per_octave=STEPS_PER_OCTAVE, tile_size=None, progress=False)
atlas_noise = [dd.dream_octaves(dd.dream_model(name, weights=WEIGHTS), noise, step_size=STEP_SIZE, **octaves)[0]
               for name in layers]
fig = dd.plot_images(atlas_noise, layers, columns=5, size=2.6,
                     suptitle=f"What each layer dreams from noise: {OCTAVES} octaves x {STEPS_PER_OCTAVE} steps, "
                              f"step_size={STEP_SIZE}, seed={SEED}")
saved = dd.save_figure(fig, dd.OUTPUTS_DIR / "06_atlas_noise.jpg")'''),
        md("## The atlas from the mountain"),
        code('''\
atlas_mountain = [dd.dream_octaves(dd.dream_model(name, weights=WEIGHTS), mountain, step_size=STEP_SIZE / 2,
                                   **octaves)[0] for name in layers]
fig = dd.plot_images(atlas_mountain, layers, columns=5, size=2.6,
                     suptitle=f"What each layer dreams into the mountain: {OCTAVES} octaves x {STEPS_PER_OCTAVE} "
                              f"steps, step_size={STEP_SIZE / 2}")
saved = dd.save_figure(fig, dd.OUTPUTS_DIR / "06_atlas_mountain.jpg")'''),
        md("## Single channels\n\n"
           "A layer is a stack of channels, each a feature detector. `dream_model(layer, channel=c)` makes the "
           "objective the mean of one channel only, the classic way to see what one unit has learned. "
           "Each channel of `mixed4` below grows its own motif from the same noise."),
        code('''\
channel_dreams = [dd.dream_octaves(dd.dream_model(CHANNEL_LAYER, channel=c, weights=WEIGHTS), noise,
                                   step_size=STEP_SIZE, **octaves)[0] for c in CHANNELS]
fig = dd.plot_images(channel_dreams, [f"{CHANNEL_LAYER}, channel {c}" for c in CHANNELS], columns=4, size=2.6,
                     suptitle=f"Single-channel dreams from the same noise: {OCTAVES} octaves x {STEPS_PER_OCTAVE} steps")'''),
        md("## Guided dreams\n\n"
           "A guided dream does not make a layer fire *more*; it makes the image's features *resemble* a guide "
           "image's. For every position, the objective takes the guide feature vector it matches best (largest "
           "dot product) and increases that match, so the guide's motifs appear where the image already "
           "looks a little like them. Our guide is the dream of channel 144 above (spiky, flower-like tufts), and "
           "we dream the mountain at three octaves with the same layer, guided and unguided."),
        code('''\
guide = channel_dreams[CHANNELS.index(GUIDE_CHANNEL)]
settings = dict(octaves=3, steps_per_octave=20, step_size=0.015, tile_size=None, progress=False)
guided = dd.dream_octaves(dd.dream_model(CHANNEL_LAYER, guide=guide, weights=WEIGHTS), mountain, **settings)[0]
unguided = dd.dream_octaves(dd.dream_model(CHANNEL_LAYER, weights=WEIGHTS), mountain, **settings)[0]
fig = dd.plot_images([guide, unguided, guided], [f"guide: channel {GUIDE_CHANNEL}'s dream",
                                                 f"{CHANNEL_LAYER}, unguided", f"{CHANNEL_LAYER}, guided"], size=3.5)'''),
        md("## A zoom-dream animation\n\n"
           "Dream a few steps, zoom into the centre by a few percent, dream again: each frame starts from the "
           "last, so the patterns keep growing out of the picture as we fly in."),
        code('''\
zoom_start = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=ZOOM_SIDE)
frames = dd.zoom_dream(dd.dream_model({"mixed3": 1.0, "mixed5": 1.0}, weights=WEIGHTS), zoom_start,
                       frames=ZOOM_FRAMES, zoom=ZOOM, steps=ZOOM_STEPS, seed=SEED)''', ignore_output=True),
        code('''\
saved = dd.save_animation(frames, dd.OUTPUTS_DIR / "zoom_dream.gif", fps=10)
print("saved", saved.relative_to(dd.REPO_ROOT).as_posix(), f"({len(frames)} frames)")
picks = [0, len(frames) // 3, 2 * len(frames) // 3, len(frames) - 1]
fig = dd.plot_images([frames[i] for i in picks], [f"frame {i + 1}" for i in picks], size=3.5)'''),
        md("## What the atlas shows\n\n"
           "Depth decides the size and meaning of what grows: the early layers repeat edges and stripes at "
           "the scale of a few pixels, the middle ones (`mixed3`, `mixed4`) weave curls, eyes and scales, and the "
           "deepest bundled layers produce larger but busier parts. Single channels are far more specific than "
           "whole layers, and a guide image replaces the layer's own taste with the guide's motifs. "
           "That is why the graded notebooks mix `mixed3` with `mixed5`: texture and shape at once.\n\n"
           + MOUNTAIN_CREDIT),
    ]


BUILDERS = {"01": nb01, "02": nb02, "03": nb03, "04": nb04, "05": nb05, "06": nb06}


def main() -> None:
    chosen = sys.argv[1:] or list(BUILDERS)
    for number in chosen:
        build = BUILDERS[number]
        notebook = new_notebook(cells=build())
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        notebook.metadata["language_info"] = {"name": "python"}
        notebook.metadata["colab"] = {"provenance": []}
        path = ROOT / "notebooks" / NOTEBOOKS[number]
        nbformat.write(notebook, path)
        print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
