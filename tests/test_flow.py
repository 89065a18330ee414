"""Flow-coherent frames: the optical flow follows known motion, and the flow mode flickers least."""

import numpy as np
import pytest

import deepdream_utils as dd
from deepdream import flow


@pytest.fixture(scope="module")
def dm():
    return dd.dream_model("mixed3")


@pytest.fixture(scope="module")
def panning():
    return flow.panning_clip(dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=400), frames=8, size=(128, 96),
                           speed=(2.0, 0.5))


@pytest.mark.parametrize("method", flow.FLOW_METHODS)
def test_flow_follows_a_known_shift_and_flags_the_uncovered_edge(panning, method):
    old = panning[0]
    new = np.roll(old, (2, 3), axis=(0, 1))  # the picture moved 3 px right and 2 px down
    backward = flow.optical_flow(new, old, method)
    inner = backward[10:-10, 10:-10]
    assert np.allclose(np.median(inner.reshape(-1, 2), axis=0), [-3, -2], atol=0.3)
    moved = flow.warp(old.astype(np.float32), backward)
    assert np.abs(moved[10:-10, 10:-10] - new[10:-10, 10:-10]).mean() < 3
    mask = flow.reliable(backward, flow.optical_flow(old, new, method))
    assert mask[10:-10, 10:-10].mean() > 0.9 and mask[:, :3].mean() < mask[10:-10, 10:-10].mean()


def test_flow_mode_flickers_less_than_independent_and_blend_and_does_not_drift(dm, panning):
    settings = {mode: flow.VideoDream(mode=mode, octaves=1, octave_steps=6, steps=2) for mode in flow.MODES}
    outputs = {mode: list(flow.dream_frames(dm, panning, settings[mode])) for mode in flow.MODES}
    flicker = {mode: flow.flicker(frames, panning) for mode, frames in outputs.items()}
    assert flicker["flow"] < flicker["blend"] and flicker["flow"] < 0.8 * flicker["independent"], flicker
    assert abs(flow.brightness_drift(outputs["flow"], panning)) < 3
    assert all(frame.dtype == np.uint8 and frame.shape == panning[0].shape for frame in outputs["flow"])


def test_bad_settings_get_clear_errors():
    for bad, pattern in (({"mode": "smooth"}, "mode must be one of flow"), ({"carry": 1.5}, "carry must be from 0"),
                         ({"steps": 0}, "steps must be a positive whole number"),
                         ({"flow": "lk"}, "flow must be one of")):
        with pytest.raises(ValueError, match=pattern):
            flow.VideoDream(**bad)
