"""The compiled step: one trace for every size, Laplacian normalisation, and the kaleidoscope's symmetry."""

import numpy as np
import pytest

import deepdream_utils as dd
from deepdream.transforms import affine_matrix, symmetrize

GREY_LEVEL = 1 / 255



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
    import tensorflow as tf

    x = tf.constant(dd.to_model(dd.noise_image(90, 80, seed=3)))
    arguments = (x, tf.constant([0, 80]), tf.constant([0, 90]), tf.constant([0, 0]), tf.constant(0),
                 tf.constant([0, 0, 80, 90]), tf.constant(dd.IDENTITY_AFFINE), tf.constant(False),
                 tf.constant(False), tf.constant(0.02))
    whole, tiled = shallow.step.whole(*arguments), shallow.step.tiled(*arguments)
    np.testing.assert_allclose(np.asarray(whole[0]), np.asarray(tiled[0]), atol=1e-6)
    assert abs(float(whole[1]) - float(tiled[1])) < 1e-6 and np.asarray(whole[0] - x).std() > 1e-3


def test_without_transforms_the_step_is_the_tutorials(shallow):
    import tensorflow as tf

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
    import tensorflow as tf

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
