"""The dream model: real pretrained weights, canonical layer names, the objective's layers, and clear errors."""

from pathlib import Path

import keras
import numpy as np
import pytest

import deepdream_utils as dd
from deepdream.backbones.inception_v3 import BUNDLED_FILE
from deepdream.paths import DATA_DIR
from tools.convert_inception_weights import reference_input

BUNDLED_WEIGHTS = DATA_DIR / BUNDLED_FILE
ROOT = Path(__file__).resolve().parents[1]



def test_bundled_weights_reproduce_the_reference_fixture():
    reference = np.load(ROOT / "tests" / "fixtures" / "inception_reference.npz")
    picture = reference_input().astype(np.float32) / 255.0
    for layer in ("mixed2", "mixed5", "mixed7"):
        activation = np.asarray(dd.dream_model(layer).model(dd.to_model(picture)))
        for kind, ours in (("channel_means", activation.mean(axis=(0, 1, 2))),
                           ("spatial_map", activation.mean(axis=(0, 3)))):
            theirs = reference[f"{layer}/{kind}"]
            error = np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)
            assert error < 1e-2, f"{layer} {kind}: relative error {error:.3g}"


def test_weights_are_pretrained_not_random():
    kernel = dd.trunk().get_layer("conv2d").get_weights()[0]
    stored = np.load(BUNDLED_WEIGHTS)["conv2d/kernel"].astype(np.float32)
    assert np.array_equal(kernel, stored)


def test_course_layer_names_survive_models_built_earlier():
    for _ in range(2):  # shift Keras's automatic name counters
        keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(75, 75, 3))
    fresh = dd.trunk.__wrapped__("inceptionv3", "bundled")
    stored = np.load(BUNDLED_WEIGHTS)
    for name in ("conv2d", "conv2d_15", "conv2d_18", "conv2d_69"):
        assert np.array_equal(fresh.get_layer(name).get_weights()[0],
                              stored[f"{name}/kernel"].astype(np.float32)), name
    assert fresh.get_layer("batch_normalization_15").get_weights()[0].shape == (64,)


def test_list_and_dict_layers_with_weights(mixed3):
    assert mixed3.layer_weights == {"mixed3": 1.0}
    dm = dd.dream_model({"mixed3": 0.5, "conv2d_15": 2})
    assert dm.layer_weights == {"mixed3": 0.5, "conv2d_15": 2.0}
    assert len(dm.model.outputs) == 2


def test_model_stops_at_the_deepest_chosen_layer(mixed3):
    names = {layer.name for layer in mixed3.model.layers}
    assert "mixed3" in names and "mixed2" in names
    assert not names & {"mixed4", "mixed5", "mixed7"}


def test_unknown_layer_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"Unknown layer 'mixed33'.*Did you mean mixed3.*Valid layers: mixed0, "
                                         r"mixed1, .*mixed7; .*conv2d, conv2d_1 \.\.\. conv2d_69.*lists all 228"):
        dd.dream_model(["mixed33"])


def test_layer_beyond_the_bundled_weights_points_to_imagenet():
    with pytest.raises(ValueError, match="weights='imagenet'"):
        dd.dream_model("mixed9")


@pytest.mark.parametrize("layers,message", [([], "at least one layer"), ({"mixed3": float("nan")}, "finite")])
def test_bad_layer_choices_give_clear_errors(layers, message):
    with pytest.raises(ValueError, match=message):
        dd.dream_model(layers)


def test_unknown_weight_source_gives_clear_error():
    with pytest.raises(ValueError, match="weights must be one of"):
        dd.dream_model("mixed3", weights="random")


def test_channel_needs_one_layer_and_a_valid_index():
    with pytest.raises(ValueError, match="exactly one layer"):
        dd.dream_model(["mixed3", "mixed5"], channel=3)
    with pytest.raises(ValueError, match="from 0 to 767"):
        dd.dream_model("mixed3", channel=768)


def test_min_side_is_the_smallest_image_that_reaches_the_layer(mixed3):
    assert mixed3.min_side == 43
    mixed3.model.compute_output_shape((1, 43, 43, 3))
    with pytest.raises(ValueError):
        mixed3.model.compute_output_shape((1, 42, 42, 3))


def test_image_too_small_for_the_layer_gives_clear_error(mixed3):
    with pytest.raises(ValueError, match=r"image is 40x30 pixels.*mixed3 need at least 43 pixels"):
        dd.dream(mixed3, dd.noise_image(40, 30), steps=1, progress=False)


def test_guided_loss_is_the_mean_best_match_with_the_guide_features():
    guide, image = dd.noise_image(60, 60, seed=1), dd.noise_image(70, 50, seed=2)
    dm = dd.dream_model("conv2d_15", guide=guide)
    g = dm.model(dd.to_model(guide)[None]).numpy()
    g = g.reshape(-1, g.shape[-1])
    x = dm.model(dd.to_model(image)[None]).numpy().reshape(-1, g.shape[-1])
    assert dd.dream_loss(dm, image) == pytest.approx(float((x @ g.T).max(axis=1).mean()), rel=1e-4)


@pytest.mark.parametrize("kwargs,message", [
    (dict(layers=["mixed3", "mixed5"]), "exactly one layer"), (dict(layers="mixed3", channel=2), "no channel"),
    (dict(layers="mixed3", guide_side=30), "guide image is 30x30"),
])
def test_bad_guides_give_clear_errors(kwargs, message):
    side = kwargs.pop("guide_side", 80)
    with pytest.raises(ValueError, match=message):
        dd.dream_model(kwargs.pop("layers"), guide=dd.noise_image(side, side), **kwargs)


def test_imagenet_weights_offline_give_a_clear_error(monkeypatch):
    def no_internet(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")

    monkeypatch.setattr(keras.utils, "get_file", no_internet)
    with pytest.raises(ConnectionError, match="need a download: inception_v3_weights.*weights='bundled' works offline"):
        dd.trunk.__wrapped__("inceptionv3", "imagenet")


def test_only_the_download_is_reported_as_a_connection_problem(monkeypatch):
    def broken_model(*args, **kwargs):
        raise ValueError("a bug in building the model")

    monkeypatch.setattr(keras.utils, "get_file", lambda *args, **kwargs: "/nowhere/weights.h5")
    monkeypatch.setattr(keras.applications, "InceptionV3", broken_model)
    with pytest.raises(ValueError, match="a bug in building the model"):
        dd.trunk.__wrapped__("inceptionv3", "imagenet")


def test_a_zero_layer_weight_is_refused():
    with pytest.raises(ValueError, match="weight of layer 'mixed3' is 0, so it would do nothing"):
        dd.dream_model({"mixed3": 0, "mixed5": 1.0})


def test_a_negative_layer_weight_suppresses_that_layer():
    dm = dd.dream_model({"conv2d_15": -1.0})
    start = dd.noise_image(64, 64, seed=1)
    result, _ = dd.dream(dm, start, steps=5, step_size=0.02, progress=False)
    assert dd.layer_losses(dm, result)["conv2d_15"] < dd.layer_losses(dm, start)["conv2d_15"]


@pytest.mark.parametrize("layers", [None, 5, [3], {"mixed3": "big"}, {"mixed3": True}])
def test_layers_of_the_wrong_kind_give_clear_errors(layers):
    with pytest.raises(ValueError, match="(?i)layer"):
        dd.dream_model(layers)


def test_the_same_layers_asked_again_give_the_model_built_before_and_a_guide_a_new_one():
    first = dd.dream_model({"mixed3": 1.0, "mixed5": 0.5}, channel=None)
    assert dd.dream_model({"mixed5": 0.5, "mixed3": 1.0}) is first, "built once: its step is not traced again"
    assert dd.dream_model({"mixed3": 1.0, "mixed5": 2.0}) is not first, "other weights, another model"
    assert dd.dream_model("mixed3", channel=3) is not dd.dream_model("mixed3", channel=4)
    guide = dd.noise_image(96, 96)
    assert dd.dream_model("mixed3", guide=guide) is not dd.dream_model("mixed3", guide=guide)


def test_the_compiled_measure_gives_the_eager_values_and_one_trace_serves_every_size():
    import tensorflow as tf

    dm = dd.dream_model({"mixed3": 1.0, "mixed5": 0.5})
    for width, height in [(96, 96), (150, 90), (120, 200)]:
        batch = tf.constant(dd.to_model(dd.noise_image(width, height, seed=width))[None])
        eager = [float(v) for v in dm.objective.values(dm.activations(batch), batch)]
        np.testing.assert_allclose(dm.term_values(dd.from_model(batch[0])), eager, rtol=1e-5)
    assert dm.values.experimental_get_tracing_count() == 1


def test_threads_asking_at_once_for_a_new_model_get_one_model_built_once_and_the_cache_stays_bounded(monkeypatch):
    import collections
    import threading
    import time

    from deepdream import model

    builds = []

    def build(*args, **kwargs):  # slow enough that the other threads ask while it runs
        builds.append(threading.current_thread().name)
        time.sleep(0.3)
        return object()

    monkeypatch.setattr(model, "_BUILT", collections.OrderedDict())  # this test's own, so no other sees its models
    monkeypatch.setattr(model, "trunk", lambda *args: None)
    monkeypatch.setattr(model, "build", build)
    got = []
    threads = [threading.Thread(target=lambda: got.append(model.dream_model("mixed2", channel=999)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(got) == 4 and all(dm is got[0] for dm in got) and len(builds) == 1
    monkeypatch.setattr(model, "build", lambda *args, **kwargs: object())
    for channel in range(model.KEEP_BUILT + 5):
        model.dream_model("mixed2", channel=channel)
    assert len(model._BUILT) == model.KEEP_BUILT
