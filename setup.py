"""Adds the course's mountain (images/mountain.jpg, with its credits) to the package's data in a wheel.

Everything else is in pyproject.toml. The image stays in images/, where the course expects it; a
wheel (``python -m build``, ``pip install git+...`` in Colab) carries a copy in deepdream/data/.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

COURSE_FILES = ("images/mountain.jpg", "images/CREDITS.md")


class BuildWithCourseImages(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads images/ itself
            return
        target = Path(self.build_lib) / "deepdream" / "data"
        target.mkdir(parents=True, exist_ok=True)
        for name in COURSE_FILES:
            shutil.copyfile(name, target / Path(name).name)


setup(cmdclass={"build_py": BuildWithCourseImages})
