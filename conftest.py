"""Shared pytest set-up for the unit tests (tests/) and the notebooks (nbval).

A test run leaves the working tree as it was: everything the notebooks and tests save goes to a
temporary folder (``DEEPDREAM_OUTPUTS``, read by ``deepdream.paths``; the notebooks' kernels inherit
it), removed at the end. ``make dreams`` is what rewrites ``outputs/``.
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

TEST_OUTPUTS = Path(tempfile.mkdtemp(prefix="deepdream-test-outputs-"))
os.environ["DEEPDREAM_OUTPUTS"] = str(TEST_OUTPUTS)  # before anything imports deepdream.paths
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

SESSION = {"start": time.time(), "notebooks": set(), "outputs": TEST_OUTPUTS}


def pytest_collection_modifyitems(session, config, items):
    """Remembers which notebooks this run executes (tests/test_notebooks.py checks their outputs)."""
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb":
            SESSION["notebooks"].add(path.name)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(TEST_OUTPUTS, ignore_errors=True)


# Dream models several test files share, built once a session (building one takes a second or two).
@pytest.fixture(scope="session")
def mixed3():
    """The course's layer."""
    import deepdream_utils as dd

    return dd.dream_model("mixed3")


@pytest.fixture(scope="session")
def conv15():
    """A shallow layer the course names (fast)."""
    import deepdream_utils as dd

    return dd.dream_model(["conv2d_15"])


@pytest.fixture(scope="session")
def shallow():
    """The first mixed layer (fast)."""
    import deepdream_utils as dd

    return dd.dream_model("mixed0")
