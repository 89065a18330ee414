"""Shared pytest set-up for the unit tests (tests/) and the notebooks (nbval).

A test run leaves the working tree as it was: everything the notebooks and tests save goes to a
temporary folder (``DEEPDREAM_OUTPUTS``, read by ``deepdream.paths``; the notebooks' kernels inherit
it), removed at the end. ``make dreams`` is what rewrites ``outputs/``.

``make test`` runs on two processes (pytest-xdist, ``-n 2 --dist loadgroup`` in pytest.ini). Each file is
one group (an ``xdist_group`` mark), run whole and in order on one process: a notebook's cells share one
kernel, and a module's fixtures are built once. The groups are handed out in the measured order below,
the longest first, so that the two processes finish close together. ``-m "not slow"`` leaves out the
notebooks and the slow tests: a quick loop for a developer (``make test`` still runs everything).
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
# Two test processes share two cores. TensorFlow in each, and in the notebooks' kernels that inherit this, runs
# its ops on one thread, and with oneDNN's kernels where TensorFlow would choose them for this CPU (AVX-512 VNNI,
# BF16 or AMX). Two processes of one thread each get through about a fifth more than two of two threads
# contending, and on one thread oneDNN's sums are the same under any load, and faster there
# (benchmarks/README.md). One inter-op thread too: InceptionV3's parallel branches then run one after another
# (the same sums in the same order), and two processes side by side step about 2 % faster than with one
# inter-op thread per core. The tests of a user's own set-up remove all three (tests/test_cli.py).
ONEDNN_CPU = re.compile(r"\b(avx512_vnni|avx512_bf16|amx_\w+)\b")
TEST_TENSORFLOW = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
if Path("/proc/cpuinfo").exists() and ONEDNN_CPU.search(Path("/proc/cpuinfo").read_text()):
    TEST_TENSORFLOW["TF_ENABLE_ONEDNN_OPTS"] = "1"
if WORKER:
    for key, value in TEST_TENSORFLOW.items():
        os.environ.setdefault(key, value)
os.environ.setdefault("DEEPDREAM_LANG", "en")  # the saved outputs are English, whatever this machine's locale
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

SESSION = {"start": time.time(), "notebooks": set(), "outputs": TEST_OUTPUTS}

# The groups that took longest on one process of `make test` (`make test-time` prints each group's seconds),
# handed out in this order, the longest first; the rest follow in their usual order.
MEASURED_ORDER = ["test_course.py", "05_mountain_octaves_tiled.ipynb", "06_layer_atlas.ipynb",
                  "04_mountain_multi_layer.ipynb", "02_noise_multi_layer.ipynb", "03_mountain_single_layer.ipynb",
                  "01_noise_single_layer.ipynb", "test_grading.py", "07_video.ipynb", "test_web_engine.py",
                  "test_web_studio.py", "test_cli.py", "test_memory.py", "test_video.py", "test_web_server.py",
                  "test_live.py", "test_web_app.py", "test_web_live.py", "test_package.py", "test_files.py"]
# This check of one notebook's pictures runs in that notebook's group, after it (see unit_of_work).
PICTURE_CHECK = "test_notebook_run_wrote_its_pictures_to_the_test_folder_not_outputs"


def unit_of_work(item: pytest.Item) -> str:
    """The group a test runs in: its file's name, or for a notebook's picture check, the notebook's."""
    if getattr(item, "originalname", None) == PICTURE_CHECK:
        return item.callspec.params["name"]
    return item.path.name


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(session, config, items):
    """Groups each file's tests, marks the notebooks slow, and puts the longest groups first."""
    for item in items:
        if item.path.suffix == ".ipynb":
            SESSION["notebooks"].add(item.path.name)
            item.add_marker(pytest.mark.slow)
        item.add_marker(pytest.mark.xdist_group(unit_of_work(item)))
    rank = {name: i for i, name in enumerate(MEASURED_ORDER)}
    items.sort(key=lambda item: rank.get(unit_of_work(item), len(rank)))  # stable: each file in order


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Notes in each test's report which process ran it and when it ended (``make test-time`` reads them)."""
    outcome = yield
    if call.when == "teardown":
        outcome.get_result().user_properties += [("worker", WORKER or "main"), ("ended", f"{time.time():.1f}")]


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
