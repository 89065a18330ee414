"""Figures: start and result side by side with their parameters, the loss curve, image grids."""

import pytest

import deepdream_utils as dd


def test_comparison_figure_shows_both_images_and_the_parameters():
    params = {"layers": {"mixed3": 1.0}, "steps": 100, "step_size": 0.01, "seed": 0}
    fig = dd.plot_comparison(dd.noise_image(40, 30), dd.noise_image(40, 30, seed=1), params)
    title = fig._suptitle.get_text().replace("\n", " ")
    for text in ("layers={'mixed3': 1.0}", "steps=100", "step_size=0.01", "seed=0"):
        assert text in title
    assert [ax.get_title() for ax in fig.axes] == ["start", "result"]
    assert all(len(ax.images) == 1 for ax in fig.axes)


def test_loss_figure_plots_every_step():
    fig = dd.plot_loss([0.1, 0.5, 0.9])
    (line,) = fig.axes[0].lines
    assert list(line.get_xdata()) == [1, 2, 3] and list(line.get_ydata()) == [0.1, 0.5, 0.9]


def test_figure_grid_needs_one_title_per_image():
    with pytest.raises(ValueError, match="one title per image: 2 images, 1 titles"):
        dd.plot_images([dd.noise_image(8, 8), dd.noise_image(8, 8)], ["only one"])
