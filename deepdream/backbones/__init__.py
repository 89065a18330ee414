"""The networks a dream can climb, described as data: one record per backbone, one file each.

A ``Backbone`` says how to build the network, how the dream's working range [-1, 1] maps to the
network's input, its layers (the pooling layers among them), the layers to suggest, where its
weights come from, and the smallest image it takes. Nothing here imports TensorFlow: the command
line, the recipe and the web page list the layers at once; ``deepdream.model`` builds the network.

Adding a backbone is one new file in this folder, holding its record, and one line in ``BACKBONES``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from deepdream.backbones import inception_v3, vgg19


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
