"""Dream objectives you can add and weight, in the manner of Lucid: what the gradient ascent climbs.

An ``Objective`` is a weighted sum of terms. Each term measures one layer's activation (or the image
itself) and gives one number; ``+``, ``-`` and a number times an objective combine them:

    layer_mean("mixed3") + 0.5 * layer_mean("mixed5")       # the course's several layers
    channel("mixed4", 97)                                    # one feature detector
    channels("mixed3", [150, 208, 300])                      # several, counted alike
    layer_mean("mixed3") - 0.002 * total_variation()         # smoother dreams from noise

A new objective is one function here that returns ``Objective.term(...)``, and one test.
``deepdream_utils.dream_model`` takes an objective wherever it takes layers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from deepdream import checks
from deepdream.runtime import tensorflow

IMAGE = None  # a term's ``layer`` when it measures the image itself, not an activation


@dataclasses.dataclass(frozen=True)
class Term:
    """One measured number: ``measure(activation)`` of one layer (or of the image, for ``layer=None``)."""

    name: str  # how reports name it: the layer's name for a layer's mean
    layer: str | None
    measure: Callable[[Any], Any]  # a batch of one activation (1, h, w, c) -> a scalar tensor


@dataclasses.dataclass(frozen=True)
class Objective:
    """A weighted sum of terms: ``terms`` is a tuple of ``(weight, Term)``."""

    terms: tuple[tuple[float, Term], ...]

    @classmethod
    def term(cls, name: str, layer: str | None, measure: Callable[[Any], Any]) -> Objective:
        """An objective of one term with weight 1."""
        return cls(((1.0, Term(name, layer, measure)),))

    @property
    def layers(self) -> list[str]:
        """The layers the terms read, each once, in order of first use."""
        return list(dict.fromkeys(term.layer for _, term in self.terms if term.layer is not IMAGE))

    @property
    def weights(self) -> dict[str, float]:
        """Each term's weight by its name (``{"mixed3": 1.0, "mixed5": 0.5}``)."""
        return {term.name: weight for weight, term in self.terms}

    def values(self, activations: Mapping[str, Any], image: Any) -> list[Any]:
        """Each term's value (unweighted), given ``{layer: activation}`` and the image batch."""
        return [term.measure(image if term.layer is IMAGE else activations[term.layer]) for _, term in self.terms]

    def __call__(self, activations: Mapping[str, Any], image: Any) -> Any:
        """The weighted sum of the terms: the number the dream makes grow."""
        values = self.values(activations, image)
        return tensorflow().add_n([weight * value for (weight, _), value in zip(self.terms, values)])

    def __add__(self, other: Objective) -> Objective:
        if not isinstance(other, Objective):
            return NotImplemented
        names = [term.name for _, term in self.terms + other.terms]
        if len(set(names)) < len(names):
            raise ValueError(f"The objective would have two terms named alike ({', '.join(names)}): "
                             "give each layer once, with its weight.")
        return Objective(self.terms + other.terms)

    def __mul__(self, factor: float) -> Objective:
        if not checks.is_number(factor):
            return NotImplemented
        return Objective(tuple((float(factor) * weight, term) for weight, term in self.terms))

    __rmul__ = __mul__

    def __neg__(self) -> Objective:
        return -1.0 * self

    def __sub__(self, other: Objective) -> Objective:
        return self + (-other)


def layer_mean(layer: str) -> Objective:
    """A layer's mean activation: the course's objective ("make this layer fire more")."""
    return Objective.term(layer, layer, lambda activation: tensorflow().reduce_mean(activation))


def channel(layer: str, index: int) -> Objective:
    """One channel's mean activation: what one feature detector of ``layer`` has learned to see."""
    index = checks.whole("channel", index, 0)
    return Objective.term(layer, layer, lambda activation: tensorflow().reduce_mean(activation[..., index]))


def channels(layer: str, indices: Sequence[int]) -> Objective:
    """Several channels' mean activation, each counted alike: a few feature detectors of ``layer`` at once."""
    indices = [checks.whole("channel", index, 0) for index in indices]
    if not indices:
        raise ValueError("channels() needs at least one channel index, for example channels('mixed3', [150, 208]).")
    if len(set(indices)) < len(indices):
        raise ValueError(f"channels() got a channel twice ({indices}): give each once.")
    return Objective.term(layer, layer, lambda activation: tensorflow().reduce_mean(
        tensorflow().gather(activation, indices, axis=-1)))


def guide(layer: str, features: Any) -> Objective:
    """How well each position's features match the guide's best-matching feature (the original
    DeepDream release's guided dream). ``features``: the guide image's activations, (positions, channels)."""
    tf = tensorflow()

    def match(activation: Any) -> Any:
        flat = tf.reshape(activation, (-1, activation.shape[-1]))
        return tf.reduce_mean(tf.reduce_max(tf.matmul(flat, features, transpose_b=True), axis=1))

    return Objective.term(layer, layer, match)


def total_variation() -> Objective:
    """The image's total variation: the mean absolute difference between neighbouring pixels.

    A penalty, to subtract with a small weight: ``layer_mean("mixed3") - 0.002 * total_variation()``
    smooths the grain that dreams from noise keep (measured in benchmarks/measure_objectives.py).
    """

    def variation(image: Any) -> Any:
        tf = tensorflow()
        return (tf.reduce_mean(tf.abs(image[:, 1:, :, :] - image[:, :-1, :, :]))
                + tf.reduce_mean(tf.abs(image[:, :, 1:, :] - image[:, :, :-1, :])))

    return Objective.term("total variation", IMAGE, variation)


def from_layers(layers: str | Sequence[str] | Mapping[str, float] | Objective) -> Objective:
    """The objective of ``dream_model``'s ``layers``: one name, a list (equal weights), a dict of
    weights (a negative weight suppresses a layer), or an Objective as it is."""
    if isinstance(layers, Objective):
        return layers
    example = "for example 'mixed3', ['mixed3', 'mixed5'] or {'mixed3': 1.0, 'mixed5': 0.5}"
    if isinstance(layers, str):
        layers = [layers]
    if isinstance(layers, Mapping):
        items = list(layers.items())
    elif isinstance(layers, Sequence) and not isinstance(layers, (bytes, np.ndarray)):
        items = [(name, 1.0) for name in layers]
    else:
        raise ValueError(f"layers must be a layer name, a list of names or a dict of weights ({example}), "
                         f"got {layers!r}.")
    if not items:
        raise ValueError(f"Choose at least one layer, {example}.")
    terms = []
    for name, weight in items:
        if not isinstance(name, str):
            raise ValueError(f"Layer names are strings such as 'mixed3', got {name!r}.")
        if not checks.is_number(weight):
            raise ValueError(f"The weight of layer {name!r} must be a finite number, got {weight!r}.")
        if weight == 0:
            raise ValueError(f"The weight of layer {name!r} is 0, so it would do nothing: "
                             "leave the layer out, or give it a weight.")
        terms.append(float(weight) * layer_mean(name))
    objective = terms[0]
    for term in terms[1:]:
        objective = objective + term
    return objective

