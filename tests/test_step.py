"""The step: x + step_size * gradient / std, clipped, over tiles; one trace for every size, Laplacian normalisation,
and the kaleidoscope's symmetry."""

import numpy as np
import pytest
import tensorflow as tf

import deepdream_utils as dd
from deepdream.transforms import IDENTITY_AFFINE, affine_matrix, symmetrize

GREY_LEVEL = 1 / 255


def test_step_moves_by_step_size_times_gradient_over_its_std(conv15):
    x = tf.constant(dd.to_model(dd.noise_image(64, 48, seed=5)) * 0.5)  # far from the clip limits
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_mean(conv15.model(x[None]))
    gradient = tape.gradient(loss, x).numpy()
    new_x, reported = dd.gradient_ascent_step(conv15, x, step_size=0.01)
    expected = x.numpy() + 0.01 * gradient / gradient.std()
    assert np.allclose(new_x.numpy(), np.clip(expected, -1, 1), atol=1e-5)
    assert reported == pytest.approx(float(loss), rel=1e-5)


def test_step_clips_to_the_valid_range(conv15):
    x = tf.constant(dd.to_model(dd.noise_image(64, 64, seed=6)))
    new_x, _ = dd.gradient_ascent_step(conv15, x, step_size=5.0)
    assert new_x.numpy().min() >= -1.0 and new_x.numpy().max() <= 1.0
    assert np.isclose(np.abs(new_x.numpy()), 1.0).mean() > 0.3


def test_single_tile_covering_the_image_gives_the_full_image_gradient(conv15):
    x = tf.constant(dd.to_model(dd.noise_image(96, 64, seed=7)))
    whole, _ = dd.gradient_ascent_step(conv15, x, 0.01, tile_size=None)
    tiled, _ = dd.gradient_ascent_step(conv15, x, 0.01, tile_size=96, rng=np.random.default_rng(3))
    assert np.allclose(whole.numpy(), tiled.numpy(), atol=1e-6)


def test_tiled_step_covers_the_whole_image(conv15):
    x = tf.constant(dd.to_model(dd.noise_image(150, 130, seed=8)) * 0.5)
    new_x, _ = dd.gradient_ascent_step(conv15, x, 0.01, tile_size=50, rng=np.random.default_rng(1))
    moved = np.abs(new_x.numpy() - x.numpy()).max(axis=-1) > 0
    blocks = moved.reshape(13, 10, 15, 10).mean(axis=(1, 3))  # 10x10-pixel blocks
    assert blocks.min() > 0.25  # no region is left out (valid convolutions skip a few edge pixels)


def test_tile_edges_cover_the_length_with_tiles_at_least_tile_size():
    for length, tile in [(1024, 512), (576, 512), (1000, 300), (300, None), (4000, 512)]:
        edges = tile_edges = dd.tile_edges(length, tile)
        assert tile_edges[0] == 0 and tile_edges[-1] == length
        sizes = np.diff(edges)
        assert sizes.min() >= min(tile or length, length)
        assert tile is None or sizes.max() < 2 * tile


def test_transforms_keep_one_trace_over_many_sizes_and_options(shallow):
    dm = dd.dream_model("mixed1")
    for side, options in [(80, {}), (97, {"normalize": "laplacian"}), (131, {"transforms": None}),
                          (75, {"symmetry": dd.Symmetry(folds=3)})]:
        dd.dream(dm, dd.noise_image(side, side + 7), steps=2, progress=False, **options)
    assert dm.step.tracing_counts() == {"whole": 1, "tiled": 0}  # no tiles: the tile loop is never traced
    for side, options in [(150, {"tile_size": 80}), (170, {"tile_size": 60, "normalize": "laplacian"})]:
        dd.dream(dm, dd.noise_image(side, side + 7), steps=2, progress=False, **options)
    assert dm.step.tracing_counts() == {"whole": 1, "tiled": 1}


def test_the_tile_loop_over_one_tile_takes_the_whole_image_step(shallow):
    x = tf.constant(dd.to_model(dd.noise_image(90, 80, seed=3)))
    arguments = (x, tf.constant([0, 80]), tf.constant([0, 90]), tf.constant([0, 0]), tf.constant(0),
                 tf.constant([0, 0, 80, 90]), tf.constant(IDENTITY_AFFINE), tf.constant(False),
                 tf.constant(False), tf.constant(0.02))
    whole, tiled = shallow.step.whole(*arguments), shallow.step.tiled(*arguments)
    np.testing.assert_allclose(np.asarray(whole[0]), np.asarray(tiled[0]), atol=1e-6)
    assert abs(float(whole[1]) - float(tiled[1])) < 1e-6 and np.asarray(whole[0] - x).std() > 1e-3


def test_without_transforms_the_step_is_the_tutorials(shallow):
    x = tf.constant(dd.to_model(dd.noise_image(90, 90, seed=0)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_mean(shallow.model(x[None]))
    gradient = tape.gradient(loss, x)
    by_hand = tf.clip_by_value(x + 0.02 * gradient / (tf.math.reduce_std(gradient) + 1e-8), -1, 1)
    by_module, _ = dd.gradient_ascent_step(shallow, x, 0.02)
    np.testing.assert_allclose(by_module, by_hand, atol=1e-5)


def test_laplacian_normalisation_changes_the_step_and_keeps_its_size(shallow):
    x = dd.to_model(dd.noise_image(101, 87, seed=0))
    std_step, _ = dd.gradient_ascent_step(shallow, x, 0.02)
    lap_step, _ = dd.gradient_ascent_step(shallow, x, 0.02, normalize="laplacian")
    std_change, lap_change = np.asarray(std_step) - x, np.asarray(lap_step) - x
    assert lap_change.shape == x.shape and np.isfinite(lap_change).all()
    assert np.abs(std_change - lap_change).max() > 1e-3
    assert np.std(lap_change) == pytest.approx(np.std(std_change), rel=0.2)  # step_size means the same


@pytest.mark.parametrize("symmetry, counterpart", [
    (dd.Symmetry(mirror=True), np.fliplr),
    (dd.Symmetry(folds=2), lambda image: np.rot90(image, 2)),
    (dd.Symmetry(folds=4), np.rot90),
    (dd.Symmetry(folds=4, mirror=True), np.fliplr),
])
def test_a_symmetric_dream_is_symmetric_to_within_one_grey_level(shallow, symmetry, counterpart):
    result = dd.dream(shallow, dd.noise_image(96, 96, seed=1), steps=4, step_size=0.03, symmetry=symmetry,
                      progress=False)[0]
    assert np.abs(result - counterpart(result)).max() <= GREY_LEVEL
    assert np.abs(result - dd.noise_image(96, 96, seed=1)).mean() > 0.01  # and it did dream


def test_a_six_fold_dream_repeats_every_sixty_degrees_inside_its_circle(shallow):
    side = 121
    result = dd.dream(shallow, dd.noise_image(side, side, seed=2), steps=4, step_size=0.03,
                      symmetry=dd.Symmetry(folds=6, mirror=True), progress=False)[0]

    def rotated_difference(angle: float) -> float:
        """Median grey-level difference from the picture rotated by ``angle`` (bilinear), inside the circle."""
        rotated = tf.raw_ops.ImageProjectiveTransformV3(
            images=result[None], transforms=affine_matrix(side, side, angle)[None], output_shape=[side, side],
            fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")[0].numpy()
        return float(np.median(np.abs(result - rotated)[inside]))

    rows, cols = np.mgrid[0:side, 0:side] - (side - 1) / 2
    inside = np.hypot(rows, cols) < side / 2 - 2
    # Rotating a picture resamples it, which alone costs a few grey levels on fine texture; the
    # symmetry's angles cost no more than that, an angle that is not a symmetry many times more.
    assert rotated_difference(60) <= 3 * GREY_LEVEL
    assert rotated_difference(120) <= 3 * GREY_LEVEL
    assert rotated_difference(30) > 4 * rotated_difference(60)
    assert np.abs(symmetrize(result, dd.Symmetry(folds=6, mirror=True)) - result)[inside].mean() <= GREY_LEVEL
