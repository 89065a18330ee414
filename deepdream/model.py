"""The dream model: a backbone cut at the deepest layer an objective reads, with that objective.

``dream_model("mixed3")`` builds InceptionV3 with its bundled ImageNet weights up to ``mixed3``, and
the course's objective, the layer's mean activation. Layers may be weighted, or replaced by any
``deepdream.objectives`` objective; ``backbone="vgg19"`` uses VGG19 (Keras's download).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from deepdream import backbones, checks, objectives
from deepdream.images import check_image, to_model
from deepdream.paths import DATA_DIR
from deepdream.runtime import tensorflow
from deepdream.step import compiled_step, compiled_values

tf = tensorflow()
import keras  # noqa: E402  (after TensorFlow, whose Keras it is)


def canonical_names(model: Any, families: Sequence[str]) -> None:
    """Renames auto-named layers to the names a fresh Keras process gives them (conv2d, conv2d_1...),
    so that the course's names mean the same layers however many models were built before."""
    members: dict[str, list[tuple[int, Any]]] = {}
    for layer in model.layers:
        match = re.fullmatch(r"([a-z_0-9]+?)(?:_(\d+))?", layer.name)
        if match and match.group(1) in families:
            members.setdefault(match.group(1), []).append((int(match.group(2) or 0), layer))
    for family, layers in members.items():
        for index, (_, layer) in enumerate(sorted(layers, key=lambda item: item[0])):
            layer.name = family if index == 0 else f"{family}_{index}"


def _load_bundled_weights(model: Any, path: Any) -> None:
    if not path.exists():
        raise FileNotFoundError(
            f"The bundled weights '{path}' are missing. Restore them with `git checkout -- deepdream/data/` "
            "or rebuild them with tools/convert_inception_weights.py.")
    with np.load(path) as stored:
        for layer in model.layers:
            if isinstance(layer, keras.layers.Conv2D):
                keys = ("kernel",)
            elif isinstance(layer, keras.layers.BatchNormalization):
                keys = ("beta", "moving_mean", "moving_variance")
            else:
                continue
            layer.set_weights([stored[f"{layer.name}/{key}"].astype(np.float32) for key in keys])


def _downloaded(backbone: backbones.Backbone, source: backbones.WeightSource) -> str:
    """Keras's weight file for ``source``: downloaded once, then cached; one clear line offline."""
    name = source.url.rsplit("/", 1)[1]
    try:
        return keras.utils.get_file(name, source.url, cache_subdir="models", file_hash=source.file_hash)
    except Exception as error:  # Keras reports a failed download with a plain Exception
        hint = " weights='bundled' works offline (layers up to mixed7)." if "bundled" in backbone.weights else ""
        raise ConnectionError(
            f"{backbone.title}'s ImageNet weights need a download: {name} from {source.url} ({error}). "
            f"Run once with internet access (Colab has it), or copy that file into ~/.keras/models/.{hint}") from None


@functools.lru_cache(maxsize=3)
def trunk(backbone: str = backbones.DEFAULT, weights: str | None = None) -> Any:
    """A backbone without its classifier, with pretrained weights, canonically named, for any image size.

    Args:
        backbone: ``"inceptionv3"`` (default) or ``"vgg19"``.
        weights: a source of the backbone's (``"bundled"``: InceptionV3's offline file, layers up to
            ``mixed7``; ``"imagenet"``: Keras's download); None for the backbone's default.
    """
    record = backbones.get(backbone)
    weights = weights or backbones.default_weights(backbone)
    if weights not in record.weights:
        raise ValueError(f"weights must be one of {tuple(record.weights)} for {record.title}, got {weights!r}.")
    source = record.weights[weights]
    model = record.build(None if source.url is None else _downloaded(record, source))
    canonical_names(model, record.auto_named)
    if source.bundled_file is not None:
        if source.last_layer is not None:
            model = keras.Model(model.input, model.get_layer(source.last_layer).output, name=f"{backbone}_trunk")
        _load_bundled_weights(model, DATA_DIR / source.bundled_file)
    return model


def layer_names(weights: str | None = None, backbone: str = backbones.DEFAULT) -> list[str]:
    """Names of every layer a dream can use with these weights (the named ones first)."""
    return backbones.named_first(backbones.get(backbone), [layer.name for layer in trunk(backbone, weights).layers[1:]])


@dataclasses.dataclass(frozen=True)
class DreamModel:
    """A model that maps an image to the chosen layers' activations, and its objective (see ``dream_model``)."""

    model: Any  # a batch in the network's input -> the activations of ``objective.layers``
    objective: objectives.Objective  # what the dream makes grow
    backbone: backbones.Backbone
    weights: str  # the weight source, for example "bundled"
    min_side: int  # smallest image side that reaches the deepest layer
    step: Any  # the compiled gradient-ascent step (deepdream.step)
    values: Any = None  # the compiled term values of a batch (deepdream.step.compiled_values)

    @property
    def layer_weights(self) -> dict[str, float]:
        """Each term's weight by name: ``{"mixed3": 1.0, "mixed5": 0.5}`` for weighted layers."""
        return self.objective.weights

    def activations(self, batch: Any) -> dict[str, Any]:
        """``{layer: activation}`` for a batch in the working range [-1, 1]."""
        if self.backbone.to_network is not None:
            batch = self.backbone.to_network(batch)
        values = self.model(batch, training=False)
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        return dict(zip(self.objective.layers, values))

    def term_values(self, image: np.ndarray) -> list[float]:
        """Each term's value (unweighted) for a [0, 1] image."""
        batch = tf.constant(to_model(image)[None])
        if self.values is None:
            return [float(value) for value in self.objective.values(self.activations(batch), batch)]
        return [float(value) for value in self.values(batch)]


def dream_model(layers: str | Sequence[str] | Mapping[str, float] | objectives.Objective, weights: str | None = None,
                channel: int | None = None, guide: np.ndarray | None = None,
                backbone: str = backbones.DEFAULT) -> DreamModel:
    """Builds the dream model for an objective, computing only up to the deepest layer it reads.

    Asked again for the same layer names, weights, channel and backbone, it returns the model it built
    (the last ``KEEP_BUILT``), so its compiled step is not traced again; a guide or an objective is always
    built anew.

    Args:
        layers: one name, a list of names (equal weights), a ``{name: weight}`` dict, or an objective
            (``deepdream.objectives``). A weight of 0 is refused; a negative weight suppresses that layer.
        weights: the weight source (InceptionV3: ``"bundled"``, the default, offline; ``"imagenet"``:
            Keras's download); None for the backbone's default.
        channel: dream only this channel of the layer (needs exactly one layer).
        guide: a [0, 1] guide image (needs exactly one layer): make each position's features resemble
            the guide feature they match best (the "guided" dream of the original DeepDream release).
        backbone: ``"inceptionv3"`` (default) or ``"vgg19"`` (Keras's ImageNet download).
    """
    key = _cache_key(layers, weights, channel, guide, backbone)
    found = _built(key)
    if found is not None:
        return found
    with _BUILDING:  # one build at a time: threads asking for a model being built wait for it, not build it again
        found = _built(key)
        if found is not None:
            return found
        objective = objectives.from_layers(layers)
        if channel is not None:
            backbones.check_channel(channel, len(objective.terms))
        if guide is not None and (len(objective.terms) != 1 or channel is not None):
            raise ValueError("guide= needs exactly one layer and no channel.")
        dm = build(trunk(backbone, weights), backbone, weights or backbones.default_weights(backbone),
                   objective, channel, guide)
        if key is not None:  # the same layers asked again (a notebook's atlas, then its robustness): no new trace
            with _BUILT_LOCK:
                _BUILT[key] = dm
                while len(_BUILT) > KEEP_BUILT:
                    _BUILT.popitem(last=False)
    return dm


def _built(key: tuple | None) -> DreamModel | None:
    """The model built before for ``key``, now the most recently asked; None if there is none."""
    if key is None:
        return None
    with _BUILT_LOCK:
        if key in _BUILT:
            _BUILT.move_to_end(key)
            return _BUILT[key]
    return None


# The one cache of dream models, shared by every thread of a process (the notebooks, the web app's and a
# worker's dreamers, the live frames and the channel strips): found under one lock, built under another.
KEEP_BUILT = 24  # dream models kept by dream_model, the most recently asked
_BUILT: collections.OrderedDict[tuple, DreamModel] = collections.OrderedDict()
_BUILT_LOCK = threading.Lock()
_BUILDING = threading.Lock()


def _cache_key(layers: Any, weights: str | None, channel: Any, guide: Any, backbone: str) -> tuple | None:
    """What identifies a model built from layer names (None for a guide or an objective: always built anew)."""
    if guide is not None or not (checks.is_whole(channel) or channel is None):
        return None
    if isinstance(layers, str):
        names: Any = (layers,)
    elif isinstance(layers, Mapping) and all(isinstance(k, str) for k in layers):
        names = tuple(sorted((k, repr(v)) for k, v in layers.items()))
    elif isinstance(layers, Sequence) and all(isinstance(k, str) for k in layers):
        names = tuple(layers)
    else:
        return None
    return names, weights or backbones.default_weights(backbone), channel, backbone


def build(network: Any, backbone: str, weights: str, objective: objectives.Objective, channel: int | None = None,
          guide: np.ndarray | None = None) -> DreamModel:
    """The dream model of ``objective`` on a built ``network`` (``trunk``'s; the tests pass untrained ones)."""
    record = backbones.get(backbone)
    if not objective.layers:
        raise ValueError("The objective reads no layer: add a layer's term, for example "
                         "layer_mean('mixed3') - 0.5 * total_variation().")
    known = [layer.name for layer in network.layers[1:]]
    for name in objective.layers:
        if name not in known:
            valid = backbones.named_first(record, known)
            raise ValueError(backbones.unknown_layer_message(name, backbone, weights, valid))
    outputs = [network.get_layer(name).output for name in objective.layers]
    model = keras.Model(network.input, outputs, name="dream_" + "_".join(objective.layers))
    min_side = smallest_side(model)
    layer = objective.layers[0]
    if channel is not None:
        backbones.check_channel(channel, len(objective.terms), outputs[0].shape[-1])
        objective = objectives.channel(layer, int(channel))
    if guide is not None:
        guide = check_image(guide)
        if min(guide.shape[:2]) < min_side:
            raise ValueError(f"The guide image is {guide.shape[1]}x{guide.shape[0]} pixels; layer "
                             f"{layer} needs at least {min_side} on each side.")
        plain = DreamModel(model, objective, record, weights, min_side, None)
        features = plain.activations(tf.constant(to_model(guide)[None]))[layer]
        objective = objectives.guide(layer, tf.reshape(features, (-1, features.shape[-1])))
    dm = DreamModel(model, objective, record, weights, min_side, None)
    return dataclasses.replace(dm, step=compiled_step(dm.activations, objective),
                               values=compiled_values(dm.activations, objective))


def smallest_side(model: Any, limit: int = 1024) -> int:
    """Smallest square input side for which every output of ``model`` is at least 1x1."""

    def fits(side: int) -> bool:
        try:
            model.compute_output_shape((1, side, side, 3))
        except ValueError:
            return False
        return True

    low, high = 1, limit
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle + 1, high)
    return low


def check_image_size(dm: DreamModel, shape: Sequence[int]) -> None:
    """Raises a clear ValueError if an image of this (height, width) is too small for the dream's layers."""
    backbones.check_image_size(shape, dm.objective.layers, dm.min_side)
