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


def test_carried_adds_the_last_frames_dream_detail_where_nothing_moved():
    frame = np.tile(np.arange(64, dtype=np.uint8)[None, :, None] * 3, (48, 1, 3))  # a still ramp
    dream = np.clip(frame.astype(int) + 20, 0, 255).astype(np.uint8)
    start = flow.carried(frame, frame, dream, carry=0.5)
    assert start.dtype == np.float32 and 0.0 <= start.min() and start.max() <= 1.0
    np.testing.assert_allclose(start, np.clip(frame / 255.0 + 0.5 * (dream.astype(int) - frame) / 255.0, 0, 1),
                               atol=1e-4)
    np.testing.assert_allclose(flow.carried(frame, frame, dream, carry=0.0), frame / 255.0, atol=1e-6)
