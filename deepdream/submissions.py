"""Students' zips unpacked into nbgrader's layout, safely: ``submitted/<student>/deepdream/*.ipynb``.

One zip per student, named after the student (``Wang Fang.zip`` -> ``wang_fang``). Only notebooks are kept,
nothing is ever written outside ``submitted/``, and a zip that cannot be unpacked safely is refused whole,
with the reason, while the other students are unpacked (``python -m deepdream.course grade --zips``).
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from pathlib import Path

from deepdream.i18n import gettext as _

ASSIGNMENT = "deepdream"  # nbgrader's assignment name: course/source/deepdream/, course/release/deepdream/
LARGEST_ZIP_BYTES = 100 * 1024 * 1024  # unpacked size of one student's zip
LARGEST_RATIO = 200  # unpacked / packed: more is a zip bomb, not notebooks


def student_id(zip_path: Path) -> str:
    """A student's id from their zip's name (``Wang Fang.zip`` -> ``wang_fang``): letters, digits, _ and -."""
    name = re.sub(r"[^a-z0-9_-]+", "_", zip_path.stem.lower()).strip("_")
    if not name:
        raise ValueError(_("'{name}' gives no student id: name the zip after the student.").format(name=zip_path.name))
    return name


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member may not be unpacked, or None."""
    parts = Path(info.filename).parts
    if info.filename.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", info.filename) or ".." in parts:
        return _("the path '{path}' points outside the folder").format(path=info.filename)
    if stat.S_ISLNK(info.external_attr >> 16):
        return _("'{path}' is a symbolic link").format(path=info.filename)
    return None


def _unpack_one(path: Path, submitted: Path, student: str, largest: int) -> list[str]:
    """Unpacks one student's zip (see ``unpack_submissions``); returns the notebooks, or raises ValueError."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError(_("'{name}' is not a zip file (or it is corrupt): ask {student} to zip the notebooks "
                           "again.").format(name=path.name, student=student)) from None
    with archive:
        members = archive.infolist()
        for info in members:
            problem = _member_problem(info)
            if problem:
                raise ValueError(_("Refused '{name}': {problem}. Nothing of it was unpacked.").format(
                    name=path.name, problem=problem))
        size = sum(info.file_size for info in members)
        packed = max(1, sum(info.compress_size for info in members))
        if size > largest or size / packed > LARGEST_RATIO:
            raise ValueError(_("Refused '{name}': it unpacks to {size:.0f} MB (the limit is {limit:.0f} MB of "
                               "notebooks). Nothing of it was unpacked.").format(name=path.name, size=size / 1e6,
                                                                                limit=largest / 1e6))
        target = Path(submitted) / student / ASSIGNMENT
        notebooks = [info for info in members if info.filename.endswith(".ipynb") and not info.is_dir()
                     and not Path(info.filename).name.startswith(".")]
        target.mkdir(parents=True, exist_ok=True)
        for info in notebooks:
            destination = target / Path(info.filename).name
            if not destination.resolve().is_relative_to(Path(submitted).resolve()):
                raise ValueError(_("Refused '{name}': '{path}' would land outside the folder.").format(
                    name=path.name, path=info.filename))
            destination.write_bytes(archive.read(info))
        return sorted(Path(info.filename).name for info in notebooks)


def unpack_submissions(zips: Path, submitted: Path,
                       largest: int = LARGEST_ZIP_BYTES) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Unpacks one zip per student into ``submitted/<student>/deepdream/*.ipynb``.

    Only ``.ipynb`` files are kept, by their file name (folders inside the zip are flattened), and they
    replace whatever an earlier unpack left for that student. Nothing is ever written outside
    ``submitted``: a zip with an absolute path, a ``..`` or a symbolic link is refused whole, as is one
    whose files unpack to more than ``largest`` bytes, one that is no zip, and two zips that name the
    same student. A refused zip stops nothing: the other students are unpacked.

    Args:
        zips: the folder of ``.zip`` files.
        submitted: nbgrader's ``submitted`` folder.
        largest: the largest unpacked size of one zip, bytes.

    Returns:
        student id -> the notebooks unpacked; and student id (or zip name) -> why their zip was refused.

    Raises:
        ValueError: no folder of zips, or no zip in it.
    """
    if not Path(zips).is_dir():
        raise ValueError(_("No folder of zips at '{zips}': give the folder that holds one .zip per student.").format(
            zips=zips))
    if not any(Path(zips).glob("*.zip")):
        raise ValueError(_("No .zip files in '{zips}': collect one .zip of notebooks per student there.").format(
            zips=zips))
    by_student: dict[str, list[Path]] = {}
    refused: dict[str, str] = {}
    for path in sorted(Path(zips).glob("*.zip")):
        try:
            by_student.setdefault(student_id(path), []).append(path)
        except ValueError as error:
            refused[path.name] = str(error)
    unpacked: dict[str, list[str]] = {}
    for student, paths in by_student.items():
        target = Path(submitted) / student / ASSIGNMENT
        if target.exists():  # a new zip replaces the last one whole: no notebook of it is left stale
            shutil.rmtree(target)
        if len(paths) > 1:
            refused[student] = _("Refused {names}: both name the student '{student}'. Rename or remove one, then "
                                 "grade again. Neither was unpacked.").format(
                names=_(" and ").join(repr(path.name) for path in paths), student=student)
            continue
        try:
            unpacked[student] = _unpack_one(paths[0], Path(submitted), student, largest)
        except ValueError as error:
            if target.exists():
                shutil.rmtree(target)
            refused[student] = str(error)
    return unpacked, refused
