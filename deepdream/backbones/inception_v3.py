"""InceptionV3 (Szegedy et al., 2015), the course's network and the suite's default backbone.

It takes images in [-1, 1], the dream's working range, so no mapping is needed. Its bundled weights
(the real ImageNet weights, float16, every layer up to ``mixed7``) ship in the package: no network.
Keras's full ImageNet file is a download.
"""

from __future__ import annotations

from typing import Any

BUNDLED_FILE = "inception_v3_imagenet_to_mixed7.float16.npz"  # in deepdream/data/
KERAS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
             "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")  # as keras.applications


def build(weights_file: str | None) -> Any:
    """InceptionV3 without its classifier, for any image size."""
    import keras

    return keras.applications.InceptionV3(include_top=False, weights=weights_file, input_shape=(None, None, 3))


MIXED = ("mixed0", "mixed1", "mixed2", "mixed3", "mixed4", "mixed5", "mixed6", "mixed7")
RECORD: dict[str, Any] = {
    "name": "inceptionv3",
    "title": "InceptionV3",
    "build": build,
    "input_range": "[-1, 1] RGB (the working range itself)",
    "to_network": None,
    "from_network": None,
    # network order; each mixedN follows the pooling inside it
    "layers": ("max_pooling2d", "max_pooling2d_1", "average_pooling2d", "mixed0", "average_pooling2d_1",
               "mixed1", "average_pooling2d_2", "mixed2", "max_pooling2d_2", "mixed3", "average_pooling2d_3",
               "mixed4", "average_pooling2d_4", "mixed5", "average_pooling2d_5", "mixed6", "average_pooling2d_6",
               "mixed7", "max_pooling2d_3", "mixed8", "average_pooling2d_7", "mixed9_0", "mixed9",
               "average_pooling2d_8", "mixed9_1", "mixed10"),
    "pooling_layers": ("max_pooling2d", "max_pooling2d_1", "average_pooling2d", "average_pooling2d_1",
                       "average_pooling2d_2", "max_pooling2d_2", "average_pooling2d_3", "average_pooling2d_4",
                       "average_pooling2d_5", "average_pooling2d_6", "max_pooling2d_3", "average_pooling2d_7",
                       "average_pooling2d_8"),
    "suggested_layers": MIXED,
    "default_layers": {"mixed3": 1.0, "mixed5": 1.0},
    "min_side": 75,
    # Keras numbers these families per process; renamed as a fresh process names them (conv2d, conv2d_1...)
    "auto_named": ("conv2d", "batch_normalization", "activation", "max_pooling2d", "average_pooling2d",
                   "concatenate"),
    # one batch normalisation and one activation follow each convolution
    "family_counts": {source: {"conv2d": count, "batch_normalization": count, "activation": count}
                      for source, count in (("bundled", 70), ("imagenet", 94))},
}
WEIGHTS: dict[str, dict[str, Any]] = {
    "bundled": {"description": f"bundled ImageNet InceptionV3, float16, up to mixed7 ({BUNDLED_FILE})",
                "bundled_file": BUNDLED_FILE, "last_layer": "mixed7"},
    "imagenet": {"description": "Keras's ImageNet InceptionV3 download", "url": KERAS_URL,
                 "file_hash": "bcbd6486424b2319ff4ef7d526e38f63"},
}
