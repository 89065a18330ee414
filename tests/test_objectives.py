"""Composable objectives: terms that add and weight like numbers, and the total-variation penalty."""

import numpy as np
import pytest

import deepdream_utils as dd
from deepdream import objectives
from deepdream.objectives import channel, channels, layer_mean, total_variation


def test_objectives_add_subtract_and_weight_like_numbers():
    objective = layer_mean("mixed3") + 0.5 * layer_mean("mixed5") - 2 * total_variation()
    assert objective.weights == {"mixed3": 1.0, "mixed5": 0.5, "total variation": -2.0}
    assert objective.layers == ["mixed3", "mixed5"]  # the penalty reads the image, not a layer
    assert (-objective).weights["mixed3"] == -1.0


def test_two_terms_named_alike_are_refused():
    with pytest.raises(ValueError, match="two terms named alike"):
        layer_mean("mixed3") + channel("mixed3", 4)


def test_an_objective_of_weighted_layers_is_the_layers_dict():
    image = dd.noise_image(96, 96, seed=4)
    as_dict = dd.dream_model({"conv2d_15": 1.0, "mixed3": -0.5})
    as_objective = dd.dream_model(layer_mean("conv2d_15") - 0.5 * layer_mean("mixed3"))
    assert dd.dream_loss(as_objective, image) == pytest.approx(dd.dream_loss(as_dict, image), rel=1e-6)


def test_several_channels_are_the_mean_of_each_channel_alone():
    image = dd.noise_image(64, 64, seed=5)
    alone = [dd.dream_loss(dd.dream_model(channel("mixed3", index)), image) for index in (150, 208, 300)]
    together = dd.dream_loss(dd.dream_model(channels("mixed3", [150, 208, 300])), image)
    assert together == pytest.approx(np.mean(alone), rel=1e-5)


@pytest.mark.parametrize("indices,message", [([], "at least one channel"), ([3, 3], "a channel twice"),
                                             ([-1], "channel")])
def test_a_bad_list_of_channels_is_refused_with_an_example(indices, message):
    with pytest.raises(ValueError, match=message):
        channels("mixed3", indices)


def test_an_objective_without_a_layer_is_refused_with_what_to_add():
    with pytest.raises(ValueError, match="reads no layer.*layer_mean"):
        dd.dream_model(total_variation())


def test_total_variation_is_zero_on_a_flat_image_and_grows_with_noise():
    dm = dd.dream_model(layer_mean("conv2d") + total_variation())
    flat, noisy = np.full((80, 80, 3), 0.5, np.float32), dd.noise_image(80, 80, seed=1, contrast=0.3)
    assert dd.layer_losses(dm, flat)["total variation"] == pytest.approx(0.0, abs=1e-7)
    x = dd.to_model(noisy)
    expected = np.abs(np.diff(x, axis=0)).mean() + np.abs(np.diff(x, axis=1)).mean()
    assert dd.layer_losses(dm, noisy)["total variation"] == pytest.approx(expected, rel=1e-4)


def test_a_total_variation_penalty_gives_a_smoother_noise_dream():
    start = dd.noise_image(128, 128, seed=0)
    plain, _ = dd.dream(dd.dream_model("mixed3"), start, steps=12, step_size=0.02, progress=False)
    penalised, _ = dd.dream(dd.dream_model(layer_mean("mixed3") - 2 * objectives.total_variation()), start,
                            steps=12, step_size=0.02, progress=False)
    assert dd.high_frequency_share(penalised) < dd.high_frequency_share(plain)
