"""Shared pytest set-up for the unit tests (tests/) and the notebooks (nbval).

A test run leaves the working tree as it was: everything the notebooks and tests save goes to a
temporary folder (``DEEPDREAM_OUTPUTS``, read by ``deepdream.paths``; the notebooks' kernels inherit
it), removed at the end. ``make dreams`` is what rewrites ``outputs/``.

``make test`` runs on two processes (pytest-xdist, ``-n 2`` in pytest.ini). Each file is one unit of
work, run whole and in order on one process: a notebook's cells share one kernel, and a module's
fixtures are built once. The slowest files are handed out first.
"""

import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # set in pytest-xdist's worker processes
if WORKER and os.environ.get("DEEPDREAM_OUTPUTS"):  # a worker shares the folder its controller made
    TEST_OUTPUTS = Path(os.environ["DEEPDREAM_OUTPUTS"])
else:
    TEST_OUTPUTS = Path(tempfile.mkdtemp(prefix="deepdream-test-outputs-"))
    os.environ["DEEPDREAM_OUTPUTS"] = str(TEST_OUTPUTS)  # before anything imports deepdream.paths
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

SESSION = {"start": time.time(), "notebooks": set(), "outputs": TEST_OUTPUTS}


# The files that take longest (minutes each on 2 cores), handed out first so that neither process
# is left with a long file at the end; the rest follow in their usual order.
SLOWEST_FIRST = ["06_layer_atlas.ipynb", "05_mountain_octaves_tiled.ipynb", "test_course.py",
                 "04_mountain_multi_layer.ipynb", "02_noise_multi_layer.ipynb", "07_video.ipynb",
                 "03_mountain_single_layer.ipynb", "01_noise_single_layer.ipynb", "test_cli.py", "test_web_engine.py",
                 "test_web_studio.py", "test_video.py"]
# This check of one notebook's pictures runs after that notebook, on its process (see unit_of_work).
NOTEBOOK_CHECK = re.compile(r"::test_notebook_run_wrote_its_pictures_to_the_test_folder_not_outputs\[(.+)\]$")


def unit_of_work(nodeid: str) -> str:
    """The file a test belongs to for scheduling: its own, or for a notebook's picture check, the notebook."""
    check = NOTEBOOK_CHECK.search(nodeid)
    return check.group(1) if check else nodeid.split("::")[0].rsplit("/", 1)[-1]


def pytest_collection_modifyitems(session, config, items):
    """Remembers which notebooks this run executes; puts the slowest files first."""
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb":
            SESSION["notebooks"].add(path.name)
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(unit_of_work(item.nodeid), len(rank)))  # stable: each file in order


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist hands out whole files (``unit_of_work``) in collection order, so the slowest go first.

    (Its own ``--dist loadgroup`` cannot group by file on pytest 9, whose node ids it cannot change.)
    """
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of_work(nodeid)

    config.option.loadscopereorder = False  # keep the order above, not the files' test counts
    return ByFile(config, log)


def pytest_sessionfinish(session, exitstatus):
    if not WORKER:  # the controller, or a run without pytest-xdist
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
