"""Where the suite's files are: its bundled data, the course's images and the results folder.

In a checkout of the repository, the course's images are ``images/`` and results go to ``outputs/``
beside it. Installed from a wheel (``pip install``, Colab), the mountain comes from the package's own
data and results go to ``outputs/`` in the current folder. ``DEEPDREAM_OUTPUTS`` overrides the results
folder (the tests use a temporary one).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"  # the bundled weights, and in a wheel the course's mountain
REPO_ROOT = PACKAGE_DIR.parent  # meaningful in a checkout only (see IN_CHECKOUT)
IN_CHECKOUT = (REPO_ROOT / "images" / "mountain.jpg").is_file() and (REPO_ROOT / "deepdream_utils.py").is_file()
IMAGES_DIR = REPO_ROOT / "images" if IN_CHECKOUT else DATA_DIR
OUTPUTS_DIR = Path(os.environ.get("DEEPDREAM_OUTPUTS") or (REPO_ROOT if IN_CHECKOUT else Path.cwd()) / "outputs")
PROTECTED_DIRS = (IMAGES_DIR, DATA_DIR)  # existing files in these are never overwritten
