"""Checks that can't be borrowed: an exercise asked for by hand earns nothing when it calls the module's answer.

A graded exercise (01's ``step_by_hand``, say) could pass every check by returning the module's own
``gradient_ascent_step``. Two things stop that, used by the hidden tests of the graded notebooks:

* ``by_hand(exercise, references)``: while the student's function runs, a call to any of the module's
  references for that exercise, under whatever name the code reached it (``dd.dream_loss``, an alias, a
  ``from deepdream_utils import ...``), fails, and afterwards the check says which reference was used, even
  when the student's code caught the error;
* ``fixed_at_release``: the values a hidden test compares with are computed by the module while the
  instructor's notebooks run, and written into the hidden tests as numbers when the course is released
  (``deepdream.course``), so a student's kernel that patches the module to agree with a wrong answer
  compares with numbers it cannot change. ``samples`` and ``block_means`` reduce a picture to a few numbers
  for that.

What it does not promise: the watch runs in the student's kernel, so code written to defeat this check in
particular (patching it, or the module's table of references) can; the grader reads such code.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from deepdream.i18n import gettext as _


class BorrowedReference(AssertionError):
    """An exercise's code called the module's own answer to that exercise."""


def _borrowed_message(exercise: str, name: str) -> str:
    return _("{exercise} calls dd.{name}, the module's own answer to this exercise, so it earns nothing: write it "
             "by hand (the given code may use the module, this exercise may not)").format(exercise=exercise, name=name)


@contextlib.contextmanager
def by_hand(exercise: str, references: Mapping[str, Callable]) -> Iterator[None]:
    """Runs the block with the module's ``references`` (name -> function) made to fail when called.

    Raises:
        BorrowedReference: the block called one of them (even if it caught the first error), or switched
            the watch off (``sys.setprofile``).
    """
    codes = {inspect.unwrap(function).__code__: name for name, function in references.items()}
    used: list[str] = []

    def watch(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in codes:
            used.append(codes[frame.f_code])
            raise BorrowedReference(_borrowed_message(exercise, codes[frame.f_code]))

    previous = sys.getprofile()
    sys.setprofile(watch)
    threading.setprofile(watch)  # and in any thread the block starts
    try:
        try:
            yield
        except BorrowedReference:
            pass
        if used:
            raise BorrowedReference(_borrowed_message(exercise, used[0]))
        if sys.getprofile() is not watch:
            raise BorrowedReference(_("{exercise} switched off the check's watch (sys.setprofile), so it earns "
                                      "nothing: leave the profiler alone").format(exercise=exercise))
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)


def watch_for(*references: Callable) -> Callable[..., contextlib.AbstractContextManager]:
    """The course module's ``written_by_hand``: ``by_hand`` over these functions, kept as they are now, so that
    a later ``dd.dream_loss = ...`` changes nothing.

    Args:
        references: the module's answers to the exercises, named by their ``__name__``.
    """
    known = {function.__name__: function for function in references}

    def written_by_hand(exercise: str, *names: str) -> contextlib.AbstractContextManager:
        """For a hidden test: the block fails, naming the reference, if ``exercise`` calls any of the module's
        answers ``names`` (``"dream_loss"``, ``"gradient_ascent_step"``, ``"load_image"``...), under any name.

        Args:
            exercise: the exercise's function, as the student's reason names it.
            names: the module's answers to that exercise.
        """
        return by_hand(exercise, {name: known[name] for name in names})

    return written_by_hand


def plain(value: Any) -> Any:
    """``value`` as plain Python numbers, lists and dicts (numpy arrays, tensors and tuples converted): what a
    released hidden test can hold as a literal."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def fixed_at_release(compute: Callable[[], Any] | Any) -> Any:
    """The value a hidden test compares with: ``compute()`` while the instructor's notebook runs, and in a
    student's release the number it gave then (``deepdream.course`` writes it in place of this call).

    Args:
        compute: a ``lambda`` with no argument that uses only the module and literals (the release runs it
            in a fresh process); or the value itself, as the release leaves it.
    """
    return plain(compute() if callable(compute) else compute)


def samples(picture: Any, count: int = 64, seed: int = 0) -> list[float]:
    """``count`` values of a picture at fixed random places (the same for every picture of that shape)."""
    values = np.asarray(plain(picture), dtype=np.float64).ravel()
    return values[np.random.default_rng(seed).integers(0, values.size, count)].tolist()


def block_means(picture: Any, grid: int = 4) -> list[float]:
    """The mean of each channel over a ``grid`` x ``grid`` of blocks: a picture in 3 x grid² numbers that a side
    one pixel longer or another resampling filter barely changes."""
    array = np.asarray(plain(picture), dtype=np.float64)
    rows = np.array_split(np.arange(array.shape[0]), grid)
    columns = np.array_split(np.arange(array.shape[1]), grid)
    return [float(array[np.ix_(r, c)][..., channel].mean()) for r in rows for c in columns
            for channel in range(array.shape[2])]
