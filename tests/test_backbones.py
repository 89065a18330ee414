"""The backbones as data: their layers without TensorFlow, InceptionV3 as built, and VGG19's structure.

VGG19 is built here without weights, only to check its structure and that the dream machinery works
on it: nothing in outputs/ comes from untrained weights, and offline its weights are one clear line.
"""

import dataclasses

import keras
import numpy as np
import pytest

import deepdream_utils as dd
from deepdream import backbones, model, objectives
from tests.helpers import run_python


@pytest.fixture(scope="module")
def untrained_vgg19():
    keras.utils.set_random_seed(0)
    return backbones.get("vgg19").build(None)


def test_every_backbone_describes_its_layers_without_importing_tensorflow():
    code = ("import json, sys; from deepdream import backbones; "
            "print(json.dumps([b.describe() for b in backbones.BACKBONES.values()])); "
            "print('tensorflow' in sys.modules)")
    result = run_python(code)
    described, loaded = result.stdout.splitlines()
    assert loaded == "False", result.stderr
    assert '"mixed7"' in described and '"block5_pool"' in described


def test_the_described_inception_layers_are_the_ones_the_built_model_has():
    record = backbones.get("inceptionv3")
    assert set(record.layers_for("bundled")) == set(dd.layer_names("bundled"))
    assert "mixed8" not in record.layers_for("bundled") and "mixed10" in record.layers_for("imagenet")
    assert set(record.pooling_layers) <= set(record.layers)


@pytest.fixture(scope="module")
def whole_inception():
    """InceptionV3 to mixed10, untrained (its shapes are all the table needs), named as a fresh process names it."""
    record = backbones.get("inceptionv3")
    network = record.build(None)
    model.canonical_names(network, record.auto_named)
    return network


SAMPLED = {"inceptionv3": ["conv2d", "max_pooling2d", "conv2d_15", "mixed0", "mixed3", "average_pooling2d_4",
                           "mixed7", "mixed10"],
           "vgg19": ["block1_conv1", "block3_pool", "block5_pool"]}


@pytest.mark.parametrize("backbone", ["inceptionv3", "vgg19"])
def test_the_layer_table_has_every_layer_of_the_built_network_with_its_channels_and_smallest_side(
        backbone, whole_inception, untrained_vgg19):
    network = {"inceptionv3": whole_inception, "vgg19": untrained_vgg19}[backbone]
    table = backbones.layer_shapes(backbone)
    assert list(table) == [layer.name for layer in network.layers[1:]]
    assert [channels for _, channels in table.values()] == [layer.output.shape[-1] for layer in network.layers[1:]]
    for name in SAMPLED[backbone]:  # found as dream_model finds it: a model that ends at the layer
        assert table[name][0] == model.smallest_side(keras.Model(network.input, network.get_layer(name).output)), name
    sides = [side for side, _ in table.values()]
    assert sides == sorted(sides) or backbone == "inceptionv3"  # a chain grows; Inception's branches need not


@pytest.mark.parametrize("layers, channel", [
    (["mixed33"], None), (["conv2d_15", "mixed8"], None), (["mixed3"], 768), (["mixed3"], -1),
    (["mixed3", "mixed5"], 3)])
def test_layers_are_refused_without_tensorflow_in_dream_models_own_words(layers, channel):
    with pytest.raises(ValueError) as by_model:
        dd.dream_model(layers, channel=channel)
    with pytest.raises(ValueError) as by_table:
        backbones.check_layers(layers, channel=channel)
    assert str(by_table.value) == str(by_model.value)


@pytest.mark.parametrize("layers", [["conv2d_15"], ["mixed3"], ["mixed3", "mixed5"], ["mixed7"], ["max_pooling2d_1"]])
def test_the_tables_smallest_side_is_the_built_models(layers):
    assert backbones.check_layers(layers) == dd.dream_model(layers).min_side


def test_an_unknown_backbone_lists_the_others():
    with pytest.raises(ValueError, match="Unknown backbone 'resnet'.*inceptionv3, vgg19"):
        backbones.get("resnet")


def test_vgg19_has_the_course_documents_blocks_and_pooling_layers(untrained_vgg19):
    record = backbones.get("vgg19")
    assert [layer.name for layer in untrained_vgg19.layers[1:]] == list(record.layers)
    assert record.pooling_layers == tuple(f"block{i}_pool" for i in range(1, 6))
    for name in record.pooling_layers:
        assert isinstance(untrained_vgg19.get_layer(name), keras.layers.MaxPooling2D)
    assert set(record.suggested_layers) | set(record.default_layers) <= set(record.layers)


def test_vgg19_value_range_round_trips_and_is_caffe_style_bgr():
    record = backbones.get("vgg19")
    x = dd.to_model(dd.noise_image(40, 30, seed=3, contrast=0.5))
    assert np.allclose(record.from_network(record.to_network(x)), x, atol=1e-5)
    red = dd.to_model(np.tile(np.float32([1, 0, 0]), (4, 4, 1)))  # pure red in [0, 1]
    assert np.allclose(record.to_network(red)[0, 0], [-103.939, -116.779, 255 - 123.68], atol=1e-3)


def test_a_step_on_untrained_vgg19_raises_its_objective(untrained_vgg19):
    dm = model.build(untrained_vgg19, "vgg19", "untrained (test only)", objectives.layer_mean("block3_conv4"))
    start = dd.noise_image(64, 64, seed=0)
    result, history = dd.dream(dm, start, steps=4, step_size=0.02, transforms=None, progress=False)
    assert dd.dream_loss(dm, result) > dd.dream_loss(dm, start)
    assert dm.min_side <= 32 and history[-1] > history[0]


def test_vgg19_offline_says_in_one_line_that_its_weights_need_a_download(monkeypatch, tmp_path, capsys):
    record = backbones.get("vgg19")
    source = record.weights["imagenet"]
    unreachable = "http://127.0.0.1:9/" + source.url.rsplit("/", 1)[1]  # a closed port: fails at once, offline
    monkeypatch.setitem(backbones.BACKBONES, "vgg19", dataclasses.replace(
        record, weights={"imagenet": dataclasses.replace(source, url=unreachable, file_hash=None)}))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", lambda name, url, **kw: keras.src.utils.file_utils.get_file(
        name, url, cache_dir=str(tmp_path), **kw))
    model.trunk.cache_clear()
    with pytest.raises(ConnectionError, match=r"VGG19's ImageNet weights need a download: "
                                              r"vgg19_weights_tf_dim_ordering_tf_kernels_notop\.h5"):
        dd.dream_model("block4_conv4", backbone="vgg19")
    from deepdream import cli

    assert cli.main(["--noise", "64x64", "--backbone", "vgg19", "-q", "-o", str(tmp_path / "v.jpg")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "need a download: vgg19_weights" in lines[0] and "Traceback" not in lines[0]
    assert not (tmp_path / "v.jpg").exists()
