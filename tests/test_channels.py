"""Each channel of a layer dreamed from noise in batches (deepdream.channels), and the sprite sheet of them."""

import numpy as np
import pytest

from deepdream import channels


def test_each_thumbnail_dreams_its_own_channel_and_repeats_exactly(shallow):
    import deepdream_utils as dd

    chosen, seen = [5, 9, 20], []
    thumbnails = channels.dream_channels("mixed0", chosen, steps=4, batch=2,
                                         on_batch=lambda done, total, so_far: seen.append((done, total, len(so_far))))
    assert thumbnails.shape == (3, channels.SIDE, channels.SIDE, 3) and thumbnails.dtype == np.uint8
    assert seen == [(2, 3, 2), (3, 3, 3)]
    assert np.array_equal(thumbnails, channels.dream_channels("mixed0", chosen, steps=4, batch=2))
    pictures = thumbnails.astype(np.float32) / 255
    for i, channel in enumerate(chosen):  # each thumbnail excites its own channel most
        dm = dd.dream_model("mixed0", channel=channel)
        own, others = dd.dream_loss(dm, pictures[i]), [dd.dream_loss(dm, p) for j, p in enumerate(pictures) if j != i]
        assert own > 1.5 * max(others), (channel, own, others)


def test_the_sprite_sheet_puts_channel_c_at_row_c_over_columns():
    thumbnails = np.stack([np.full((4, 4, 3), c, np.uint8) for c in range(5)])
    sheet = channels.sprite_sheet(thumbnails, columns=2)
    assert sheet.shape == (12, 8, 3)
    for c in range(5):
        row, column = divmod(c, 2)
        assert (sheet[row * 4:(row + 1) * 4, column * 4:(column + 1) * 4] == c).all()
    assert (sheet[8:, 4:] == 128).all(), "the last row is padded with grey"


@pytest.mark.parametrize("layer, chosen, pattern", [
    ("mixed99", None, r"Unknown layer 'mixed99' of inceptionv3: choose one of its mixed layers"),
    ("mixed0", [256], r"channels must be from 0 to 255 for mixed0, got \[256\]"),
    ("mixed0", [], r"channels must be from 0 to 255"),
])
def test_a_wrong_layer_or_channel_gets_a_clear_error(layer, chosen, pattern):
    with pytest.raises(ValueError, match=pattern):
        channels.dream_channels(layer, chosen)
