"""The networks a dream can climb, described as data: one record per backbone, one file each.

A ``Backbone`` says how to build the network, how the dream's working range [-1, 1] maps to the
network's input, its layers (the pooling layers among them), the layers to suggest, where its
weights come from, and the smallest image it takes. Each layer's smallest image side and channel count
are a table (``layer_shapes``, made from the built networks by tools/layer_table.py), so that
``check_layers`` refuses what ``dream_model`` would refuse, with the same words. Nothing here imports
TensorFlow: the command line, the recipe and the web page list and check the layers at once;
``deepdream.model`` builds the network.

Adding a backbone is one new file in this folder, holding its record, and one line in ``BACKBONES``.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from deepdream import checks
from deepdream.backbones import inception_v3, vgg19
from deepdream.i18n import gettext as _

SHAPES_FILE = Path(__file__).resolve().parents[1] / "data" / "layer_shapes.json"  # tools/layer_table.py writes it


@dataclasses.dataclass(frozen=True)
class WeightSource:
    """Where a backbone's pretrained weights come from.

    Attributes:
        description: what the sidecar records, in words.
        bundled_file: a file inside the package (no network), or None.
        url, file_hash: Keras's download (cached in ``~/.keras/models`` once fetched), or None.
        last_layer: the deepest layer these weights cover (None: all of them).
    """

    description: str
    bundled_file: str | None = None
    url: str | None = None
    file_hash: str | None = None
    last_layer: str | None = None


@dataclasses.dataclass(frozen=True)
class Backbone:
    """One network a dream can use.

    Attributes:
        name: its short name (``--backbone``).
        title: its name in words.
        build: ``build(weights_file_or_None)`` returns the Keras model without its classifier.
        input_range: the network's own input, in words (the recipe and README show it).
        to_network: maps the working range [-1, 1] to the network's input (tensors or arrays);
            None when the network takes [-1, 1] itself.
        from_network: its inverse.
        layers: the named layers a dream can use, in network order (pooling layers included).
        pooling_layers: those of ``layers`` that pool.
        suggested_layers: what the page and the help offer first.
        default_layers: the layers a dream uses unless told.
        weights: the weight sources by name; the first is the default.
        min_side: the smallest image side the network takes.
        auto_named: the auto-named layer families whose names are made canonical (InceptionV3's conv2d_15...).
        family_counts: per weight source, how many layers of each auto-named family outside ``layers`` it
            covers (``{"bundled": {"conv2d": 70}}``: conv2d, conv2d_1 ... conv2d_69).
    """

    name: str
    title: str
    build: Callable[[str | None], Any]
    input_range: str
    to_network: Callable[[Any], Any] | None
    from_network: Callable[[Any], Any] | None
    layers: tuple[str, ...]
    pooling_layers: tuple[str, ...]
    suggested_layers: tuple[str, ...]
    default_layers: dict[str, float]
    weights: dict[str, WeightSource]
    min_side: int
    auto_named: tuple[str, ...] = ()
    family_counts: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)

    def layers_for(self, weights: str) -> tuple[str, ...]:
        """Every layer a dream can use with these weights: the named ones these weights cover (all of them
        unless the source stops early), then the auto-named families."""
        last = self.weights[weights].last_layer
        named = self.layers if last is None else self.layers[:self.layers.index(last) + 1]
        families = self.family_counts.get(weights, {})
        return named + tuple(family if i == 0 else f"{family}_{i}" for family, count in families.items()
                             for i in range(count))

    def describe(self) -> dict[str, Any]:
        """The record as JSON data (for the web page and the README), without the functions."""
        return {"name": self.name, "title": self.title, "input_range": self.input_range,
                "layers": {source: list(self.layers_for(source)) for source in self.weights},
                "pooling_layers": list(self.pooling_layers), "suggested_layers": list(self.suggested_layers),
                "default_layers": self.default_layers, "weights": list(self.weights), "min_side": self.min_side}


BACKBONES: dict[str, Backbone] = {record.name: record for record in (
    Backbone(**inception_v3.RECORD, weights={k: WeightSource(**v) for k, v in inception_v3.WEIGHTS.items()}),
    Backbone(**vgg19.RECORD, weights={k: WeightSource(**v) for k, v in vgg19.WEIGHTS.items()}),
)}
DEFAULT = "inceptionv3"


def get(name: str) -> Backbone:
    """The backbone called ``name``; a ValueError that lists the others when there is none."""
    if name not in BACKBONES:
        raise ValueError(f"Unknown backbone {name!r}: choose one of {', '.join(BACKBONES)}.")
    return BACKBONES[name]


def default_weights(backbone: str) -> str:
    """The weight source a backbone uses unless told: its first (InceptionV3's bundled file)."""
    return next(iter(get(backbone).weights))


@functools.cache
def layer_shapes(backbone: str) -> dict[str, tuple[int, int]]:
    """Each layer of the whole network: ``{layer: (smallest image side that reaches it, its channels)}``."""
    get(backbone)
    table = json.loads(SHAPES_FILE.read_text())[backbone]
    return {layer: (int(side), int(channels)) for layer, (side, channels) in table.items()}


def named_first(record: Backbone, names: Sequence[str]) -> list[str]:
    """Layer names with the record's named, non-pooling layers first (as help and errors list them)."""
    return sorted(names, key=lambda name: name not in record.layers or name in record.pooling_layers)


def unknown_layer_message(name: str, backbone: str, weights: str, valid: Sequence[str]) -> str:
    """What to say of a layer ``name`` that is not among ``valid``: the close names, and every valid one."""
    record = get(backbone)
    hint = ""
    if record.weights[weights].last_layer and any(name in record.layers_for(source) for source in record.weights):
        hint = (f" The {weights} weights stop at {record.weights[weights].last_layer}; "
                "use weights='imagenet' (needs internet).")
    close = difflib.get_close_matches(name, valid, n=3)
    if close:
        hint += f" Did you mean {', '.join(close)}?"
    named = [layer for layer in valid if layer in record.layers and layer not in record.pooling_layers]
    families = []
    for family in record.auto_named:
        count = sum(1 for layer in valid if re.fullmatch(rf"{family}(_\d+)?", layer))
        if count:
            families.append(family if count == 1 else f"{family}, {family}_1 ... {family}_{count - 1}")
    auto = (f"; and the auto-named {'; '.join(families)} (the course's conv2d_15, conv2d_18 among them)"
            if families else f"; and the pooling layers {', '.join(record.pooling_layers)}")
    return (f"Unknown layer {name!r}.{hint} Valid layers: {', '.join(named)}{auto}. "
            f"dd.layer_names() lists all {len(valid)}.")


def check_layers(layers: Sequence[str], backbone: str = DEFAULT, weights: str | None = None,
                 channel: int | None = None) -> int:
    """The smallest image side that reaches all of ``layers``, without building the network.

    Args:
        layers: the layer names of a dream (``dream_model``'s names, without their weights).
        backbone: the backbone's name.
        weights: its weight source (None: the backbone's default).
        channel: the one layer's channel to dream, or None.

    Raises:
        ValueError: in ``dream_model``'s words, for an unknown layer or a channel the layer does not have.
    """
    record = get(backbone)
    weights = weights or default_weights(backbone)
    valid = record.layers_for(weights)
    for name in layers:
        if name not in valid:
            raise ValueError(unknown_layer_message(name, backbone, weights, named_first(record, valid)))
    shapes = layer_shapes(backbone)
    if channel is not None:
        check_channel(channel, len(layers), shapes[layers[0]][1])
    return max(shapes[name][0] for name in layers)


def check_channel(channel: Any, layers: int, depth: int | None = None) -> None:
    """Refuses a channel asked of several layers, or (``depth`` known) one the layer does not have.

    Args:
        channel: the channel asked for.
        layers: how many layers the dream reads.
        depth: the layer's channel count, once known (the table's, or the built layer's).
    """
    if layers != 1:
        raise ValueError(_("channel= needs exactly one layer: a channel belongs to one layer."))
    if depth is not None and not (checks.is_whole(channel) and 0 <= channel < depth):
        raise ValueError(_("channel must be a whole number from 0 to {last} for this layer, got {channel!r}.").format(
            last=depth - 1, channel=channel))


def check_image_size(shape: Sequence[int], layers: Sequence[str], min_side: int) -> None:
    """Raises a clear ValueError if an image of this (height, width) is too small for ``layers``.

    Args:
        shape: the image's (height, width).
        layers: the dream's layers, named in the message.
        min_side: the smallest side that reaches them all (``check_layers``, or a model's ``min_side``).
    """
    if min(shape) < min_side:
        raise ValueError(_("The image is {width}x{height} pixels, but layer(s) {layers} need at least {side} "
                           "pixels on each side. Use a larger image or a shallower layer.").format(
            width=shape[1], height=shape[0], layers=", ".join(layers), side=min_side))
