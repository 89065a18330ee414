"""Better pictures: transformation robustness, no grey border, Laplacian normalisation, the
kaleidoscope's symmetry, and the quality indicators that measure them."""

import numpy as np
import pytest

import deepdream_utils as dd

GREY_LEVEL = 1 / 255


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




def test_seeds_make_robust_dreams_repeatable(shallow):
    start = dd.noise_image(90, 90, seed=0)
    first = dd.dream(shallow, start, steps=3, seed=4, progress=False)[0]
    again = dd.dream(shallow, start, steps=3, seed=4, progress=False)[0]
    other = dd.dream(shallow, start, steps=3, seed=5, progress=False)[0]
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 0.01








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






def test_high_frequency_share_tells_fine_from_coarse_texture():
    y, x = np.mgrid[0:64, 0:64]
    coarse = np.repeat((0.5 + 0.4 * np.sin(2 * np.pi * x / 32))[:, :, None], 3, axis=2)
    fine = np.repeat((0.5 + 0.4 * np.sin(2 * np.pi * x / 2.5))[:, :, None], 3, axis=2)
    assert dd.high_frequency_share(coarse) < 0.01
    assert dd.high_frequency_share(fine) > 0.99
    assert 0.0 <= dd.high_frequency_share(dd.noise_image(64, 64)) <= 1.0
