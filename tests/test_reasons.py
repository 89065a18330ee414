"""A lost point in plain words: each kind of error, and why a notebook could not be graded."""

import pytest

from deepdream import reasons


@pytest.mark.parametrize("output,words", [
    ({"ename": "NotImplementedError", "evalue": "",
      "traceback": ["Cell In[5], line 3, in \x1b[0;36mlayer_loss\x1b[0m(model, x)", "NotImplementedError"]},
     "layer_loss is not written yet"),
    ({"ename": "NameError", "evalue": "name 'LAYERS' is not defined"}, "LAYERS is not defined: its exercise cell"),
    ({"ename": "CellTimeoutError", "evalue": ""}, "stopped after the 120-second limit per cell"),
    ({"ename": "AssertionError", "evalue": "load_photo must scale the pixels to [0, 1]"},
     "load_photo must scale the pixels to [0, 1]"),
    ({"ename": "ValueError", "evalue": "bad shape"}, "ValueError: bad shape"),
])
def test_a_failed_check_is_told_in_plain_words(output, words):
    assert reasons.in_plain_words(output, 120).startswith(words)


@pytest.mark.parametrize("error,words", [
    ("[AutogradeApp | ERROR] ... nbclient.exceptions.DeadKernelError: Kernel died\nNbGraderException: see the log",
     "its kernel died, so it was not graded"),
    ("nbformat.reader.NotJSONError: Notebook does not appear to be JSON: 'oops'", "it is not a notebook nbgrader"),
    ("[AutogradeApp | ERROR] a log line\nsomething broke", "it could not be graded (something broke)"),
    ("[AutogradeApp | ERROR] something broke\nNbGraderException: Please see the the above traceback",
     "it could not be graded (something broke)"),
    ("[AutogradeApp | ERROR] ... the kernel became unresponsive ...", "its kernel stopped answering"),
])
def test_a_notebook_that_could_not_be_graded_is_told_why(error, words):
    assert reasons.failure_in_plain_words(error).startswith(words)
