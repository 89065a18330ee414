"""VGG19 (Simonyan and Zisserman, 2014), as the course documents use it: five blocks of convolutions,
each ending in a max-pooling layer, to compare early, late and pooling layers with InceptionV3.

It takes Caffe-style input: BGR, 0-255, minus the ImageNet mean; the mapping from the working range
[-1, 1] is part of the record. Its ImageNet weights are Keras's download (80 MB, once, then cached):
offline, a dream with it stops with one line that names the file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

KERAS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
             "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")  # as keras.applications.vgg19
MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)  # ImageNet's mean, as Keras's preprocess_input


def build(weights_file: str | None) -> Any:
    """VGG19 without its classifier, for any image size."""
    import keras

    return keras.applications.VGG19(include_top=False, weights=weights_file, input_shape=(None, None, 3))


def to_network(x: Any) -> Any:
    """Working range [-1, 1] RGB to VGG19's input: 0-255 BGR minus the mean."""
    return ((x + 1.0) * 127.5)[..., ::-1] - MEAN_BGR


def from_network(y: Any) -> Any:
    """VGG19's input back to the working range [-1, 1] RGB."""
    return (y + MEAN_BGR)[..., ::-1] / 127.5 - 1.0


_BLOCKS = ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4))  # (block, convolutions)
RECORD: dict[str, Any] = {
    "name": "vgg19",
    "title": "VGG19",
    "build": build,
    "input_range": "0-255 BGR minus the ImageNet mean (Caffe style)",
    "to_network": to_network,
    "from_network": from_network,
    "layers": tuple(name for block, convs in _BLOCKS for name in
                    [*(f"block{block}_conv{i}" for i in range(1, convs + 1)), f"block{block}_pool"]),
    "pooling_layers": tuple(f"block{block}_pool" for block, _ in _BLOCKS),
    "suggested_layers": ("block3_conv4", "block4_conv4", "block4_pool", "block5_conv4", "block5_pool"),
    "default_layers": {"block4_conv4": 1.0, "block5_conv4": 1.0},
    "min_side": 32,
}
WEIGHTS: dict[str, dict[str, Any]] = {
    "imagenet": {"description": "Keras's ImageNet VGG19 download", "url": KERAS_URL,
                 "file_hash": "253f8cb515780f3b799900260a226db6"},
}
