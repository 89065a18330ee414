"""The objective, the loops (one scale, octaves, zoom) and the masks, called by the course's names (``dd.``, the
package's own functions: tests/test_deepdream_utils.py)."""

import dataclasses
import hashlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import deepdream_utils as dd
from deepdream.backbones.inception_v3 import BUNDLED_FILE
from deepdream.paths import DATA_DIR

BUNDLED_WEIGHTS = DATA_DIR / BUNDLED_FILE


# ----------------------------------------------------------------------------- loss and step


def test_loss_is_the_weighted_mean_activation():
    image = dd.noise_image(80, 80, seed=4)
    dm = dd.dream_model({"mixed3": 0.5, "conv2d_15": 2.0})
    a3, a15 = dm.model(dd.to_model(image)[None])
    expected = 0.5 * float(tf.reduce_mean(a3)) + 2.0 * float(tf.reduce_mean(a15))
    assert dd.dream_loss(dm, image) == pytest.approx(expected, rel=1e-5)


def test_layer_losses_are_each_layers_mean_activation():
    image = dd.noise_image(80, 80, seed=4)
    dm = dd.dream_model({"mixed3": 0.5, "conv2d_15": 2.0})
    a3, a15 = dm.model(dd.to_model(image)[None])
    assert dd.layer_losses(dm, image) == pytest.approx({"mixed3": float(tf.reduce_mean(a3)),
                                                        "conv2d_15": float(tf.reduce_mean(a15))}, rel=1e-5)


def test_channel_loss_is_that_channels_mean():
    image = dd.noise_image(80, 80, seed=4)
    dm = dd.dream_model("mixed3", channel=7)
    activation = dm.model(dd.to_model(image)[None])
    assert dd.dream_loss(dm, image) == pytest.approx(float(tf.reduce_mean(activation[..., 7])), rel=1e-5)


def test_one_trace_serves_every_image_size():
    dm = dd.dream_model("conv2d_18")
    for width, height in [(64, 64), (90, 70), (130, 60)]:
        dd.dream(dm, dd.noise_image(width, height), steps=2, progress=False)
    dd.dream_octaves(dm, dd.noise_image(150, 120), octaves=3, steps_per_octave=1, tile_size=64, progress=False)
    assert dm.step.tracing_counts() == {"whole": 1, "tiled": 1}


# ----------------------------------------------------------------------------- loops


def test_gradient_ascent_raises_the_loss(mixed3):
    image = dd.noise_image(100, 100, seed=9)
    result, history = dd.dream(mixed3, image, steps=10, step_size=0.02, progress=False)
    assert len(history) == 10
    assert dd.dream_loss(mixed3, result) > dd.dream_loss(mixed3, image) + 0.1
    assert history[-1] > history[0]


def test_same_seed_gives_the_same_image(conv15):
    image = dd.noise_image(120, 100, seed=1)
    runs = [dd.dream(conv15, image, steps=3, tile_size=50, seed=seed, progress=False)[0] for seed in (4, 4, 5)]
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_dream_octaves_three_times_in_one_process_gives_the_same_bytes(mixed3):
    image = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=200)
    runs = [dd.dream_octaves(mixed3, image, octaves=2, steps_per_octave=3, tile_size=80, progress=False)
            for _ in range(3)]
    for result, history in runs[1:]:
        assert result.tobytes() == runs[0][0].tobytes() and history == runs[0][1]


def test_dream_does_not_change_its_input(conv15):
    image = dd.noise_image(64, 64, seed=2)
    before = hashlib.sha256(image.tobytes()).hexdigest()
    dd.dream(conv15, image, steps=2, progress=False)
    assert hashlib.sha256(image.tobytes()).hexdigest() == before


@pytest.mark.parametrize("steps", [0, -3, 2.5, True, "10"])
def test_non_positive_or_fractional_steps_give_clear_errors(conv15, steps):
    with pytest.raises(ValueError, match="steps must be a positive whole number"):
        dd.dream(conv15, dd.noise_image(64, 64), steps=steps, progress=False)


@pytest.mark.parametrize("step_size", [0, -0.01, float("nan"), float("inf"), "big"])
def test_bad_step_size_gives_clear_error(conv15, step_size):
    with pytest.raises(ValueError, match="step_size must be a positive"):
        dd.dream(conv15, dd.noise_image(64, 64), steps=1, step_size=step_size, progress=False)


def test_non_finite_image_gives_clear_error(conv15):
    image = dd.noise_image(64, 64)
    image[3, 3, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        dd.dream(conv15, image, steps=1, progress=False)


def test_loss_turning_non_finite_stops_with_the_step_named(conv15):
    calls = []

    def failing_step(image, *args):
        calls.append(1)
        loss = np.nan if len(calls) == 3 else 1.0
        return image, tf.constant(loss), tf.constant(1.0)

    broken = dataclasses.replace(conv15, step=failing_step)
    with pytest.raises(FloatingPointError, match="Step 3: .*non-finite"):
        dd.dream(broken, dd.noise_image(64, 64), steps=5, progress=False)


def test_interrupt_returns_the_image_so_far(conv15, capsys):
    calls = []

    def interrupted_step(image, *args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return image + 0.01, tf.constant(1.0), tf.constant(1.0)

    start = dd.noise_image(64, 64, seed=3)
    result, history = dd.dream(dataclasses.replace(conv15, step=interrupted_step), start, steps=10)
    assert len(history) == 3
    assert np.allclose(result, np.clip(start + 0.015, 0, 1), atol=1e-5)
    assert "Interrupted after 3 steps" in capsys.readouterr().out


def test_progress_bar_shows_and_can_be_silenced(conv15, capsys):
    dd.dream(conv15, dd.noise_image(64, 64), steps=2, progress=False)
    assert capsys.readouterr().out == ""
    dd.dream(conv15, dd.noise_image(64, 64), steps=2, progress=True)
    assert "2/2" in capsys.readouterr().out


def test_octave_shapes_grow_to_the_original_size():
    assert dd.octave_shapes((576, 1024), 3, 2.0) == [(144, 256), (288, 512), (576, 1024)]
    assert dd.octave_shapes((100, 100), 4, 2.0, min_side=43) == [(50, 50), (100, 100)]


def test_octaves_return_the_original_size_and_one_loss_per_step(conv15):
    image = dd.noise_image(120, 90, seed=2)
    result, history = dd.dream_octaves(conv15, image, octaves=3, octave_scale=1.3, steps_per_octave=[2, 3, 4],
                                       tile_size=64, progress=False)
    assert result.shape == image.shape
    assert len(history) == 9


def test_detail_reinjection_keeps_the_start_image_sharper(conv15):
    image = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=200)
    kwargs = dict(octaves=3, octave_scale=1.5, steps_per_octave=1, step_size=1e-4, tile_size=None, progress=False)
    with_detail, _ = dd.dream_octaves(conv15, image, reinject_detail=True, **kwargs)
    without, _ = dd.dream_octaves(conv15, image, reinject_detail=False, **kwargs)
    assert np.abs(with_detail - image).mean() < 0.5 * np.abs(without - image).mean()


def test_octaves_too_small_for_the_layer_are_skipped_with_a_message(mixed3, capsys):
    result, history = dd.dream_octaves(mixed3, dd.noise_image(90, 90), octaves=4, octave_scale=2.0,
                                       steps_per_octave=1, progress=False)
    assert "Skipping the 2 smallest octave(s)" in capsys.readouterr().out
    assert len(history) == 2 and result.shape == (90, 90, 3)


@pytest.mark.parametrize("kwargs,message", [
    (dict(octaves=0), "octaves must be"), (dict(octave_scale=1.0), "greater than 1"),
    (dict(steps_per_octave=[1, 2]), "2 entries for 3 octaves"), (dict(steps_per_octave=0), "steps_per_octave"),
    (dict(tile_size=-1), "tile_size"),
])
def test_bad_octave_settings_give_clear_errors(conv15, kwargs, message):
    settings = dict(octaves=3, progress=False) | kwargs
    with pytest.raises(ValueError, match=message):
        dd.dream_octaves(conv15, dd.noise_image(100, 100), **settings)


# ----------------------------------------------------------------------------- figures and indicators


# ----------------------------------------------------------------------------- beyond the course


def test_guided_dream_raises_the_match_with_the_guide():
    guide = dd.dream(dd.dream_model("mixed3", channel=5), dd.noise_image(80, 80, seed=3), steps=10,
                     step_size=0.03, progress=False)[0]
    dm = dd.dream_model("mixed3", guide=guide)
    start = dd.noise_image(90, 90, seed=4)
    result, history = dd.dream(dm, start, steps=8, step_size=0.02, progress=False)
    assert dd.dream_loss(dm, result) > dd.dream_loss(dm, start) and history[-1] > history[0]


def test_zoom_dream_makes_frames_of_the_start_size_that_zoom_in(conv15):
    start = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=96)
    frames = dd.zoom_dream(conv15, start, frames=4, zoom=1.5, steps=1, step_size=1e-4, progress=False)
    assert len(frames) == 4 and all(frame.shape == start.shape for frame in frames)
    # frame 2 starts from frame 1's central 64x36 crop, magnified 1.5x: it resembles that crop more than frame 1
    assert start.shape == (54, 96, 3)
    crop = dd.resize_image(frames[0][9:45, 16:80], *start.shape[:2])
    assert np.abs(frames[1] - crop).mean() < np.abs(frames[1] - frames[0]).mean()


def test_zoom_must_magnify(conv15):
    with pytest.raises(ValueError, match="zoom must be greater than 1"):
        dd.zoom_dream(conv15, dd.noise_image(64, 64), frames=2, zoom=1.0, progress=False)


def test_a_huge_step_size_is_warned_about():
    dm = dd.dream_model("conv2d_15")
    with pytest.warns(UserWarning, match="very large: most pixels will be clipped"):
        dd.dream(dm, dd.noise_image(64, 64), steps=1, step_size=1e9, progress=False)


@pytest.mark.parametrize("steps", [2.5, None, "3"])
def test_fractional_steps_per_octave_give_a_clear_error(steps):
    with pytest.raises(ValueError, match="steps_per_octave must be a positive whole number"):
        dd.dream_octaves(dd.dream_model("conv2d_15"), dd.noise_image(64, 64), octaves=2, steps_per_octave=steps,
                         progress=False)


def _half_mask(height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), np.float32)
    mask[:, : width // 2] = 1.0  # dream the left half only
    return mask


@pytest.mark.parametrize("octaves", [False, True])
def test_a_mask_dreams_the_painted_area_and_keeps_the_rest(mixed3, octaves):
    start = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=192)
    height, width = start.shape[:2]
    mask = _half_mask(height, width)
    if octaves:
        result, _ = dd.dream_octaves(mixed3, start, octaves=2, steps_per_octave=6, step_size=0.05, progress=False,
                                     mask=mask)
    else:
        result, _ = dd.dream(mixed3, start, steps=12, step_size=0.05, progress=False, mask=mask)
    change = np.abs(result - start).mean(axis=2) * 255  # grey levels
    assert change[:, : width // 2 - 4].mean() >= 10
    assert change[:, width // 2 + 4:].mean() <= (2 if octaves else 1e-3)


def test_an_all_white_mask_is_the_same_as_none(mixed3):
    start = dd.noise_image(96, 96, seed=2)
    plain, _ = dd.dream(mixed3, start, steps=3, progress=False)
    masked, _ = dd.dream(mixed3, start, steps=3, progress=False, mask=np.ones((96, 96)))
    np.testing.assert_array_equal(plain, masked)


@pytest.mark.parametrize("mask,message", [
    (np.ones((10, 10)), "The mask is 10x10 pixels, the image 96x96"),
    (np.full((96, 96), 255.0), "divide 0-255 grey levels by 255"),
    (np.ones((96, 96, 2)), "Expected a mask of shape"),
])
def test_a_bad_mask_is_refused_with_what_to_do(mixed3, mask, message):
    with pytest.raises(ValueError, match=message):
        dd.dream(mixed3, dd.noise_image(96, 96, seed=2), steps=1, progress=False, mask=mask)


def test_a_mask_file_is_read_as_grey_levels(tmp_path):
    path = tmp_path / "mask.png"
    Image.fromarray(np.tile(np.array([0, 255], np.uint8), (8, 4))).save(path)
    mask = dd.check_mask(path, (8, 8))
    assert mask.shape == (8, 8, 1) and mask[0, 0, 0] == 0 and mask[0, 1, 0] == 1
