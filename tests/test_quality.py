"""Better pictures: transformation robustness, no grey border, Laplacian normalisation, the
kaleidoscope's symmetry, and the quality indicators that measure them."""

import numpy as np
import pytest

import deepdream_utils as dd
from deepdream.transforms import affine_matrix

GREY_LEVEL = 1 / 255


@pytest.fixture(scope="module")
def shallow():
    return dd.dream_model("mixed0")


def framed(image: np.ndarray, band: int = 8) -> np.ndarray:
    """The image with a flat grey frame ``band`` pixels wide."""
    result = image.copy()
    result[:band], result[-band:], result[:, :band], result[:, -band:] = 0.5, 0.5, 0.5, 0.5
    return result


# --------------------------------------------------------------------------- indicators


def test_robustness_of_a_picture_the_transforms_leave_unchanged_is_one(shallow):
    grey = np.full((96, 96, 3), 0.5, np.float32)  # the transforms fill with grey: nothing changes
    assert dd.robustness(shallow, grey) == pytest.approx(1.0, abs=1e-4)


def test_robustness_is_the_mean_objective_under_seeded_transforms_over_the_objective(shallow):
    image = dd.noise_image(96, 96, seed=3)
    value = dd.robustness(shallow, image, seed=5)
    assert value == dd.robustness(shallow, image, seed=5)  # seeded: repeatable
    assert value != dd.robustness(shallow, image, seed=6)
    assert 0.0 < value < 2.0


def test_border_indicator_tells_a_framed_picture_from_an_unframed_one():
    noise = np.random.default_rng(0).random((120, 120, 3)).astype(np.float32)
    assert dd.border_ratio(noise) == pytest.approx(1.0, abs=0.1)
    assert dd.border_ratio(framed(noise)) < 0.05


def test_border_indicator_with_a_start_looks_only_at_what_the_dream_changed():
    rng = np.random.default_rng(1)
    photo = rng.random((120, 120, 3)).astype(np.float32)
    change = 0.1 * rng.standard_normal((120, 120, 3)).astype(np.float32)
    inside = framed(np.ones_like(change)) == 1  # False in the outer 8 pixels
    unchanged_frame = photo + np.where(inside, change, 0.0)
    assert dd.border_ratio(unchanged_frame) > 0.8  # the photo's own detail hides the frame...
    assert dd.border_ratio(unchanged_frame, start=photo) < 0.05  # ...the change does not


def test_seam_indicator_sees_seams_on_the_tile_grid_only():
    rng = np.random.default_rng(2)
    smooth = np.repeat(np.repeat(rng.random((8, 8, 3)), 16, 0), 16, 1).astype(np.float32)  # blocks of 16
    assert dd.seam_ratio(smooth, 16) > 3
    noise = rng.random((128, 128, 3)).astype(np.float32)
    assert dd.seam_ratio(noise, 16) == pytest.approx(1.0, abs=0.15)


def test_quality_report_gathers_every_indicator(shallow):
    image = dd.noise_image(96, 96, seed=0)
    report = dd.quality_report(shallow, image, start=image, tile_size=32)
    assert report.objective == pytest.approx(dd.dream_loss(shallow, image))
    assert report.robustness == dd.robustness(shallow, image)
    assert report.seams is not None and report.high_frequency_share == dd.high_frequency_share(image)
    assert "robustness = " in str(report) and "seams = " in str(report)
    assert dd.quality_report(shallow, image).seams is None


def test_quality_report_refuses_a_start_of_another_size(shallow):
    with pytest.raises(ValueError, match="resize it first"):
        dd.quality_report(shallow, dd.noise_image(96, 96), start=dd.noise_image(80, 96))


# --------------------------------------------------------------------------- robust step


def test_robust_dream_leaves_no_grey_frame_where_the_plain_step_does():
    dm = dd.dream_model("mixed2")
    start = dd.noise_image(160, 160, seed=0)
    settings = dict(octaves=2, steps_per_octave=12, step_size=0.03, tile_size=None, progress=False)
    plain = dd.dream_octaves(dm, start, transforms=None, **settings)[0]
    robust = dd.dream_octaves(dm, start, **settings)[0]
    assert dd.border_ratio(plain) < 0.5
    assert dd.border_ratio(robust) > 0.8


def test_transforms_keep_one_trace_over_many_sizes_and_options(shallow):
    dm = dd.dream_model("mixed1")
    for side, options in [(80, {}), (97, {"normalize": "laplacian"}), (131, {"transforms": None}),
                          (75, {"symmetry": dd.Symmetry(folds=3)}), (150, {"tile_size": 80})]:
        dd.dream(dm, dd.noise_image(side, side + 7), steps=2, progress=False, **options)
    assert dm.step.experimental_get_tracing_count() == 1


def test_seeds_make_robust_dreams_repeatable(shallow):
    start = dd.noise_image(90, 90, seed=0)
    first = dd.dream(shallow, start, steps=3, seed=4, progress=False)[0]
    again = dd.dream(shallow, start, steps=3, seed=4, progress=False)[0]
    other = dd.dream(shallow, start, steps=3, seed=5, progress=False)[0]
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 0.01


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


@pytest.mark.parametrize("bad, message", [
    (dict(pad=-1), "Transforms.pad"), (dict(jitter=2.5), "Transforms.jitter"),
    (dict(scale=(1.1, 0.9)), "Transforms.scale"), (dict(scale="big"), "pair of numbers"),
    (dict(rotate=90), "Transforms.rotate")])
def test_bad_transforms_are_refused_with_what_to_give(bad, message):
    with pytest.raises(ValueError, match=message):
        dd.Transforms(**bad)


def test_bad_options_of_the_loops_are_refused_with_what_to_give(shallow):
    start = dd.noise_image(80, 80)
    with pytest.raises(ValueError, match="normalize must be one of"):
        dd.dream(shallow, start, steps=1, normalize="l2", progress=False)
    with pytest.raises(ValueError, match="transforms must be dd.Transforms"):
        dd.dream(shallow, start, steps=1, transforms=True, progress=False)
    with pytest.raises(ValueError, match="symmetry must be dd.Symmetry"):
        dd.dream(shallow, start, steps=1, symmetry=6, progress=False)
    with pytest.raises(ValueError, match="changes nothing"):
        dd.Symmetry(folds=1)


# --------------------------------------------------------------------------- kaleidoscope


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
    assert np.abs(dd.symmetrize(result, dd.Symmetry(folds=6, mirror=True)) - result)[inside].mean() <= GREY_LEVEL
