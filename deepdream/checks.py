"""Checks of plain values, each giving a ValueError that says what to give instead.

Every parameter of the suite, from Python, the command line, a sidecar or the web form, is checked by
these few functions, so that a whole number means the same everywhere (never ``True``, never ``2.0``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from deepdream.i18n import gettext as _


def is_whole(value: Any) -> bool:
    """Whether ``value`` is a whole number (a Python or NumPy integer, not a bool)."""
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite real number (not a bool, not a string)."""
    return (not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
            and math.isfinite(value))


def whole(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int if it is a whole number in [low, high]; else a clear ValueError."""
    if not is_whole(value) or (low is not None and value < low) or (high is not None and value > high):
        if low == 1 and high is None:
            raise ValueError(_("{name} must be a positive whole number, got {value!r}.").format(name=name, value=value))
        if high is None:
            raise ValueError(_("{name} must be a whole number of at least {low}, got {value!r}.").format(
                name=name, low=low, value=value))
        raise ValueError(_("{name} must be a whole number from {low} to {high}, got {value!r}.").format(
            name=name, low=low, high=high, value=value))
    return int(value)


def positive_int(name: str, value: Any) -> int:
    """``value`` if it is a whole number of at least 1."""
    return whole(name, value, 1)


def seed(value: Any) -> int:
    """A random seed: a whole number of at least 0."""
    return whole("seed", value, 0)


def positive_float(name: str, value: Any) -> float:
    """``value`` as a float if it is a positive, finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(_("{name} must be a positive number, got {value!r}.").format(name=name, value=value)) from None
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        raise ValueError(_("{name} must be a positive, finite number, got {value!r}.").format(name=name, value=value))
    return number


def boolean(name: str, value: Any) -> bool:
    """``value`` if it is True or False (not 0, 1 or a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(_("{name} must be true or false, got {value!r}.").format(name=name, value=value))
    return bool(value)


def choice(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(_("{name} must be one of {choices}, got {value!r}.").format(
            name=name, choices=", ".join(map(str, choices)), value=value))
    return value
