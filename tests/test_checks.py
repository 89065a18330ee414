"""The checks of plain values: a whole number means the same everywhere, and each error says what to give."""

import numpy as np
import pytest

from deepdream import checks


@pytest.mark.parametrize("value", [3, np.int64(3)])
def test_whole_numbers_pass_as_ints(value):
    assert checks.positive_int("steps", value) == 3 and type(checks.positive_int("steps", value)) is int


@pytest.mark.parametrize("value", [True, 2.0, "2", None, 0, -1])
def test_anything_else_is_refused_with_what_to_give(value):
    with pytest.raises(ValueError, match="steps must be a positive whole number, got"):
        checks.positive_int("steps", value)


def test_a_range_names_both_ends():
    with pytest.raises(ValueError, match="quality must be a whole number from 1 to 100, got 101"):
        checks.whole("quality", 101, 1, 100)


@pytest.mark.parametrize("value", [0, -0.5, float("inf"), float("nan"), True, "x"])
def test_positive_floats_refuse_zero_infinity_and_bools(value):
    with pytest.raises(ValueError, match="step_size must be a positive"):
        checks.positive_float("step_size", value)


def test_booleans_are_true_or_false_only():
    assert checks.boolean("detail", False) is False
    with pytest.raises(ValueError, match="detail must be true or false, got 1"):
        checks.boolean("detail", 1)
