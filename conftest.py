"""Shared pytest set-up for the unit tests (tests/) and the notebooks (nbval)."""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before anything imports TensorFlow
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

SESSION = {"start": time.time(), "notebooks": set()}


def pytest_collection_modifyitems(session, config, items):
    """Remembers which notebooks this run executes (tests/test_notebooks.py checks their outputs)."""
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb":
            SESSION["notebooks"].add(path.name)
