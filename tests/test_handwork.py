"""Checks that can't be borrowed: the module's answer made to fail inside an exercise, under any name, and the
numbers a released hidden test compares with."""

import sys
import threading

import numpy as np
import pytest

from deepdream import handwork


def reference_answer(x):
    return x * 2


REFERENCES = {"dream_loss": reference_answer}


def test_an_exercise_that_returns_the_modules_answer_fails_and_the_reason_names_it():
    alias = reference_answer  # as `from deepdream_utils import dream_loss as alias` would give
    with pytest.raises(handwork.BorrowedReference, match="layer_loss calls dd.dream_loss, the module's own answer"):
        with handwork.by_hand("layer_loss", REFERENCES):
            alias(3)


def test_catching_the_error_does_not_hide_the_borrowing():
    def sly(x):
        try:
            return reference_answer(x)
        except Exception:
            return x * 2

    with pytest.raises(handwork.BorrowedReference, match="dd.dream_loss"):
        with handwork.by_hand("layer_loss", REFERENCES):
            sly(3)


def test_a_call_from_another_thread_is_caught_too():
    results = []

    def in_a_thread():
        try:
            results.append(reference_answer(3))
        except handwork.BorrowedReference:
            results.append("refused")

    with pytest.raises(handwork.BorrowedReference):
        with handwork.by_hand("layer_loss", REFERENCES):
            thread = threading.Thread(target=in_a_thread)
            thread.start()
            thread.join()
    assert results == ["refused"]


def test_switching_the_watch_off_is_flagged():
    with pytest.raises(handwork.BorrowedReference, match="switched off the check's watch"):
        with handwork.by_hand("layer_loss", REFERENCES):
            sys.setprofile(None)
            reference_answer(3)


def test_code_written_by_hand_passes_and_the_reference_works_again_after():
    previous = sys.getprofile()
    with handwork.by_hand("layer_loss", REFERENCES):
        assert sum(value * 2 for value in [1, 2]) == 6
    assert reference_answer(3) == 6 and sys.getprofile() is previous


def test_a_failing_exercise_keeps_its_own_error():
    with pytest.raises(NotImplementedError), handwork.by_hand("layer_loss", REFERENCES):
        raise NotImplementedError


def test_a_fixed_value_is_computed_while_the_instructor_runs_and_kept_as_written_in_a_release():
    assert handwork.fixed_at_release(lambda: np.float32(0.5)) == 0.5
    assert handwork.fixed_at_release(lambda: (np.arange(3), {"a": np.int64(2)})) == [[0, 1, 2], {"a": 2}]
    assert handwork.fixed_at_release([0.25, [1, 2]]) == [0.25, [1, 2]]


def test_block_means_barely_change_for_a_side_one_pixel_longer_and_samples_repeat():
    gradient = np.linspace(0, 1, 200)[None, :, None] * np.ones((112, 1, 3))
    taller = np.linspace(0, 1, 200)[None, :, None] * np.ones((113, 1, 3))
    gap = max(abs(a - b) for a, b in zip(handwork.block_means(gradient, 8), handwork.block_means(taller, 8)))
    assert len(handwork.block_means(gradient, 8)) == 8 * 8 * 3 and gap < 1e-9
    flipped = handwork.block_means(gradient[:, ::-1], 8)
    assert max(abs(a - b) for a, b in zip(flipped, handwork.block_means(gradient, 8))) > 0.5
    picture = np.random.default_rng(1).random((20, 30, 3))
    assert handwork.samples(picture) == handwork.samples(picture.copy()) and len(handwork.samples(picture)) == 64


def test_the_course_modules_watch_keeps_the_answers_it_was_given_even_if_the_module_is_patched_later():
    def dream_loss(x):
        return x * 2

    module = {"dream_loss": dream_loss}
    written_by_hand = handwork.watch_for(module["dream_loss"])
    module["dream_loss"] = lambda x: 1.0  # as `dd.dream_loss = lambda *args, **kwargs: 1.0` would
    with pytest.raises(handwork.BorrowedReference, match="weighted_loss calls dd.dream_loss"):
        with written_by_hand("weighted_loss", "dream_loss"):
            dream_loss(3)  # the original, kept under another name before the patch
