"""What each channel of a layer dreams: one small dream from noise per channel, many at once, as a sprite sheet.

A layer is a stack of channels, each a feature detector; ``dd.dream_model(layer, channel=c)`` dreams one.
To show them all (the studio's channel strip), this dreams every channel of a layer in batches: image
``i`` of a batch climbs the mean of its own channel, so one forward and backward pass serves the whole
batch. Each step is the course's (gradient over its standard deviation, clipped to [-1, 1]) taken
through a random shift of up to ``JITTER`` pixels, which keeps the patterns free of the pixel grid.

At 80 pixels, 16 steps and batches of 32, mixed3's 768 channels take about 2 minutes on 2 cores
(mixed0's 256 about 20 s): the studio dreams a layer once, on first use, and keeps the sheet.
Channels that do not respond to noise at that size stay noise: their gradient is zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deepdream import backbones, checks
from deepdream.runtime import tensorflow

SIDE = 80  # each thumbnail's side, pixels
STEPS = 16  # gradient steps per thumbnail
STEP_SIZE = 0.08  # change per step, in gradient standard deviations
BATCH = 32  # channels dreamed at once
JITTER = 4  # the random shift of each step, pixels
COLUMNS = 32  # thumbnails per row of the sprite sheet


def channel_count(layer: str, backbone: str = backbones.DEFAULT, weights: str | None = None) -> int:
    """How many channels ``layer`` has (a clear ValueError for a layer the backbone lacks)."""
    from deepdream.model import trunk

    network = trunk(backbone, weights)
    try:
        return int(network.get_layer(layer).output.shape[-1])
    except ValueError:
        raise ValueError(f"Unknown layer {layer!r} of {backbone}: choose one of its mixed layers, for example "
                         "mixed3.") from None


def dream_channels(layer: str, channels: Sequence[int] | None = None, side: int = SIDE, steps: int = STEPS,
                   step_size: float = STEP_SIZE, batch: int = BATCH, seed: int = 0,
                   backbone: str = backbones.DEFAULT, weights: str | None = None,
                   on_batch: Callable[[int, int, np.ndarray], None] | None = None) -> np.ndarray:
    """Dreams each channel of ``layer`` from seeded noise; returns uint8 thumbnails (N, side, side, 3).

    Args:
        layer: the layer, for example ``"mixed3"``.
        channels: which channels (None: all, in order).
        side: each thumbnail's side in pixels (at least the layer's smallest input).
        steps: gradient steps per thumbnail.
        step_size: change per step, in gradient standard deviations.
        batch: channels dreamed at once (the last batch is padded, so each batch has one shape).
        seed: seeds the noise and the shifts: the same seed gives the same thumbnails.
        backbone, weights: the network, as for ``dream_model``.
        on_batch: called after each batch with (thumbnails done, thumbnails in all, those done so far).
    """
    import keras

    from deepdream.model import trunk

    tf = tensorflow()
    depth = channel_count(layer, backbone, weights)
    chosen = list(range(depth)) if channels is None else [checks.whole("channel", c, 0) for c in channels]
    if not chosen or max(chosen) >= depth:
        raise ValueError(f"channels must be from 0 to {depth - 1} for {layer}, got {channels!r}.")
    side, steps, batch = (checks.whole(name, value, 1) for name, value in
                          (("side", side), ("steps", steps), ("batch", batch)))
    network = trunk(backbone, weights)
    model = keras.Model(network.input, network.get_layer(layer).output)
    record = backbones.get(backbone)

    @tf.function(input_signature=[tf.TensorSpec((batch, side, side, 3)), tf.TensorSpec((batch,), tf.int32),
                                  tf.TensorSpec((2,), tf.int32)])
    def step(x: Any, indices: Any, shift: Any) -> Any:
        x = tf.roll(x, shift, axis=[1, 2])
        with tf.GradientTape() as tape:
            tape.watch(x)
            seen = record.to_network(x) if record.to_network is not None else x
            means = tf.reduce_mean(model(seen, training=False), axis=[1, 2])  # (batch, channels)
            loss = tf.reduce_sum(tf.gather(means, indices, batch_dims=1))  # image i: its own channel
        gradient = tape.gradient(loss, x)
        gradient /= tf.math.reduce_std(gradient, axis=[1, 2, 3], keepdims=True) + 1e-8
        return tf.roll(tf.clip_by_value(x + step_size * gradient, -1.0, 1.0), -shift, axis=[1, 2])

    rng = np.random.default_rng(checks.seed(seed))
    done: list[np.ndarray] = []
    for first in range(0, len(chosen), batch):
        group = chosen[first:first + batch]
        indices = np.array(group + [group[0]] * (batch - len(group)), np.int32)
        x = tf.constant(rng.uniform(-0.2, 0.2, (batch, side, side, 3)).astype(np.float32))
        for _ in range(steps):
            x = step(x, tf.constant(indices), tf.constant(rng.integers(-JITTER, JITTER + 1, 2), tf.int32))
        pictures = np.round((x.numpy()[:len(group)] + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
        done.extend(pictures)
        if on_batch is not None:
            on_batch(len(done), len(chosen), np.stack(done))
    return np.stack(done)


def sprite_sheet(thumbnails: np.ndarray, columns: int = COLUMNS) -> np.ndarray:
    """Thumbnails (N, S, S, 3) laid out in rows of ``columns``, left to right: channel ``c`` is at
    row ``c // columns``, column ``c % columns``. The last row is padded with grey."""
    count, side = len(thumbnails), thumbnails.shape[1]
    columns = min(columns, count)
    rows = -(-count // columns)
    sheet = np.full((rows * columns, side, side, 3), 128, np.uint8)
    sheet[:count] = thumbnails
    return sheet.reshape(rows, columns, side, side, 3).transpose(0, 2, 1, 3, 4).reshape(rows * side, columns * side, 3)
