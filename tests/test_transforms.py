"""The random transforms of the robust step and the kaleidoscope's symmetry, as values that check themselves."""

import pytest

import deepdream_utils as dd


@pytest.mark.parametrize("bad, message", [
    (dict(pad=-1), "Transforms.pad"), (dict(jitter=2.5), "Transforms.jitter"),
    (dict(scale=(1.1, 0.9)), "Transforms.scale"), (dict(scale="big"), "pair of numbers"),
    (dict(rotate=90), "Transforms.rotate")])
def test_bad_transforms_are_refused_with_what_to_give(bad, message):
    with pytest.raises(ValueError, match=message):
        dd.Transforms(**bad)
