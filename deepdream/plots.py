"""Figures for the DeepDream notebooks (matplotlib; no TensorFlow): image grids with titles, loss curves.

In Jupyter every figure is shown as JPEG: dream textures make PNG figures several times larger.
``deepdream_utils`` re-exports everything public here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from deepdream.i18n import gettext as _


def format_params(params: Mapping[str, Any]) -> str:
    """``{'steps': 100, 'step_size': 0.01}`` -> ``'steps=100, step_size=0.01'`` (in Chinese, each name in words:
    ``'步数=100, 步长=0.01'``)."""
    return ", ".join(f"{_(key)}={value}" for key, value in params.items())


def _wrap(text: str, width: int = 100) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _inline_figures_as_jpeg() -> None:
    """In Jupyter, shows figures as JPEG: dream textures make PNG figures several times larger."""
    import matplotlib

    if "inline" not in matplotlib.get_backend():
        return
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("jpeg")
    except (ImportError, AttributeError):  # an IPython without matplotlib-inline: keep its default
        pass


def plot_images(images: Sequence[np.ndarray], titles: Sequence[str], suptitle: str | None = None,
                columns: int | None = None, size: float = 4.0):
    """A grid of images with titles; returns the matplotlib Figure (shown as JPEG in Jupyter)."""
    import matplotlib.pyplot as plt

    _inline_figures_as_jpeg()
    if len(images) != len(titles) or not images:
        raise ValueError(f"Give one title per image: {len(images)} images, {len(titles)} titles.")
    columns = columns or len(images)
    rows = math.ceil(len(images) / columns)
    aspect = images[0].shape[0] / images[0].shape[1]
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * aspect * rows + 0.8),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, title in zip(axes.flat, images, titles):
        ax.imshow(np.clip(img, 0, 1))
        ax.set_title(title, fontsize=10)
    if suptitle:
        fig.suptitle(_wrap(suptitle, int(14 * columns * size)), fontsize=10)
    fig.tight_layout()
    return fig

def plot_comparison(start: np.ndarray, result: np.ndarray, params: Mapping[str, Any],
                    title: str = "DeepDream", size: float = 6.0):
    """Start and result side by side, with every parameter in the title."""
    return plot_images([start, result], [_("start"), _("result")], f"{title}: {format_params(params)}",
                       columns=2, size=size)


def plot_loss(history: Sequence[float], title: str | None = None):
    """The loss curve of a dream; returns the Figure (shown as JPEG in Jupyter)."""
    import matplotlib.pyplot as plt

    _inline_figures_as_jpeg()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(np.arange(1, len(history) + 1), history)
    ax.set_xlabel(_("step"))
    ax.set_ylabel(_("loss (weighted mean activation)"))
    ax.set_title(_("Dream loss per step") if title is None else title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
