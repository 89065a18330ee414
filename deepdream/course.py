"""The instructor's side of the course, on nbgrader: the student release, grading, feedback and grades.

The graded notebooks 01-05 in ``notebooks/`` are nbgrader *source* notebooks: their exercise cells
hold ``### BEGIN SOLUTION`` regions and their test cells carry points and ``### BEGIN HIDDEN TESTS``.
This module runs nbgrader's steps in a course folder (``course/`` by default):

    python -m deepdream.course release              # make release: course/release/deepdream/ (and the wheel)
    python -m deepdream.course grade [--zips DIR]   # make grade: autograde, feedback, course/grades.csv

The course is graded on a five-line rubric; each line is one notebook:

    6  01_noise_single_layer       7  02_noise_multi_layer      8  03_mountain_single_layer
    9  04_mountain_multi_layer    10  05_mountain_octaves_tiled

Each notebook is worth its line's increment (6, 1, 1, 1, 1: 10 in all), and a student's rubric grade is the
highest line whose notebook passes (0 when none does). Submissions arrive as nbgrader lays them out
(``course/submitted/<student>/deepdream/``) or as one zip file per student, holding ``.ipynb`` files:
``deepdream.submissions`` turns the zips into that layout, refusing any path outside it and any zip too large.
Each student's notebooks run in the grading sandbox (``deepdream.sandbox``), their checks guarded by canaries
(``deepdream.canaries``), and each lost point is said in plain words (``deepdream.reasons``).
Grading runs every notebook in grading mode (``DEEPDREAM_GRADING=1``: small and quick), with a time limit
per cell, and reads the scores back through nbgrader's gradebook API.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from deepdream import feedback, grading, sandbox
from deepdream.grades import (
    CELL_LIMIT_S,
    LANGUAGE_FILE,
    NOTES_FILE,
    RUBRIC,
    UNSANDBOXED_NOTE,
    course_language,
    grade_rows,
    gradebook_settings,
    write_grades,
)
from deepdream.i18n import LANGUAGES, speaking
from deepdream.i18n import gettext as _
from deepdream.paths import IN_CHECKOUT, REPO_ROOT
from deepdream.runtime import OneLineParser
from deepdream.submissions import ASSIGNMENT, unpack_submissions

COURSE_DIR = REPO_ROOT / "course"  # the course folder: gradebook.db, source/, release/, submitted/...
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"  # the instructor's notebooks: nbgrader's source, one copy
STUDENT_LIMIT_S = 1800  # one student's whole grading running longer is stopped: their notebooks earn nothing
STUB = "raise NotImplementedError"  # what every exercise cell of the release says
CONFIG = COURSE_DIR / "nbgrader_config.py"  # nbgrader's settings; a new course folder gets a copy
WHEEL_SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "deepdream_utils.py", "deepdream", "images")


# --------------------------------------------------------------------------- nbgrader's steps


def _nbgrader(course: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Runs one nbgrader command in the course folder (its config and gradebook live there)."""
    command = [sys.executable, "-m", "nbgrader", *arguments, f"--CourseDirectory.root={course}"]
    done = subprocess.run(command, cwd=course, env=grading.nbgrader_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {arguments[0]} failed (exit status {done.returncode}):\n{done.stderr[-3000:]}")
    return done


def prepare(course: Path = COURSE_DIR, notebooks: Path = NOTEBOOKS_DIR) -> Path:
    """Copies the instructor's graded notebooks into ``course/source/deepdream/``; returns that folder.

    The notebooks in ``notebooks/`` stay the one copy of each lesson: the source folder is rebuilt from
    them, without outputs, and a course folder without ``nbgrader_config.py`` gets the repository's.
    """
    course = Path(course).resolve()
    source = course / "source" / ASSIGNMENT
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    if not (course / "nbgrader_config.py").exists():
        shutil.copyfile(CONFIG, course / "nbgrader_config.py")
    for name in RUBRIC:
        notebook = nbformat.read(Path(notebooks) / f"{name}.ipynb", as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, source / f"{name}.ipynb")
    return source


def release_problems(release: Path) -> list[str]:
    """What a student release must not hold: solution markers or code, hidden tests, an exercise without its stub."""
    problems = []
    for name in RUBRIC:
        path = Path(release) / f"{name}.ipynb"
        if not path.exists():
            problems.append(f"{path.name} is missing from the release")
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            marks = cell.metadata.get("nbgrader", {})
            if re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)", cell.source):
                problems.append(f"{path.name}: a cell still holds a solution or hidden-test region")
            if marks.get("solution") and STUB not in cell.source:
                problems.append(f"{path.name}: exercise cell {marks.get('grade_id')} does not say {STUB}")
    return problems


# Run in a fresh process by ``fix_values``: the course's code evaluates each hidden test's expressions, as its
# notebooks would (the package itself never imports the course module).
EVALUATE = """import json, sys
import numpy as np
import deepdream_utils as dd
from deepdream.handwork import plain
print(json.dumps([plain(eval(body, {"dd": dd, "np": np})) for body in json.load(sys.stdin)]))
"""


def _fixed_value_calls(source: str) -> list[tuple[str, str]]:
    """Each ``dd.fixed_at_release(lambda: EXPRESSION)`` in a cell's code: (the call's text, the expression)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [(ast.get_source_segment(source, node), ast.get_source_segment(source, node.args[0].body))
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "fixed_at_release" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "dd" and len(node.args) == 1 and isinstance(node.args[0], ast.Lambda)]


def fix_values(source: Path) -> int:
    """Writes into the hidden tests of the notebooks in ``source`` the values they compare with, in place of
    each ``dd.fixed_at_release(lambda: ...)``: computed here, once, by the module, so that a student's kernel that
    patches the module compares with numbers it cannot change (``deepdream.handwork``); returns how many.

    Raises:
        RuntimeError: an expression failed (the error's last lines say which).
    """
    notebooks = {path: nbformat.read(path, as_version=4) for path in sorted(Path(source).glob("*.ipynb"))}
    calls = [(cell, call, body) for notebook in notebooks.values() for cell in notebook.cells
             if cell.cell_type == "code" for call, body in _fixed_value_calls(cell.source)]
    if not calls:
        return 0
    done = subprocess.run([sys.executable, "-c", EVALUATE], input=json.dumps([body for _, _, body in calls]),
                          capture_output=True, text=True, cwd=REPO_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"The hidden tests' values could not be computed:\n{done.stderr[-3000:]}")
    for (cell, call, _expression), value in zip(calls, json.loads(done.stdout.strip().splitlines()[-1])):
        cell.source = cell.source.replace(call, f"dd.fixed_at_release({value!r})", 1)
    for path, notebook in notebooks.items():
        nbformat.write(notebook, path)
    return len(calls)


def build_wheel(target: Path) -> Path:
    """Builds the suite's wheel, the weights and the mountain inside, into the folder ``target``; returns its path.

    It is built from a copy of the repository's files, so that the working tree gains no ``build/`` folder.
    A student with the wheel and any package mirror needs neither GitHub nor Colab: each notebook's setup cell
    installs the wheel it finds beside the notebook (``pip install deepdream_suite-*.whl``).

    Raises:
        RuntimeError: the suite runs from an installed wheel, not a checkout, or the build failed.
    """
    if not IN_CHECKOUT:
        raise RuntimeError(_("The wheel is built from a checkout of the repository: run make release there."))
    target = Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="deepdream-wheel-") as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        for name in WHEEL_SOURCES:
            if (REPO_ROOT / name).is_dir():
                shutil.copytree(REPO_ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(REPO_ROOT / name, source / name)
        done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                               str(Path(scratch) / "dist")], cwd=source, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(_("Building the wheel failed (exit status {status}):").format(status=done.returncode)
                               + "\n" + done.stderr[-3000:])
        (built,) = (Path(scratch) / "dist").glob("*.whl")
        for old in target.glob("deepdream_suite-*.whl"):  # one wheel beside the notebooks: this one
            old.unlink()
        return Path(shutil.copy2(built, target / built.name))


def release(course: Path = COURSE_DIR, notebooks: Path | None = None, wheel: bool = True,
            language: str = "en") -> Path:
    """``nbgrader generate_assignment``: the student notebooks in ``course/release/deepdream/``; returns it.

    The hidden tests' values are fixed first (``fix_values``), and stored with them in the gradebook. The
    suite's wheel goes beside the notebooks (``build_wheel``), for students without Colab or GitHub.

    Args:
        notebooks: the instructor's notebooks (default: ``notebooks/``, or its rendering in ``language``).
        wheel: put the wheel in the release (False: the notebooks only).
        language: the course's language, kept in the course folder: its notebooks, the reasons in
            ``grades.csv`` and the feedback pages are in it (``en`` or ``zh_CN``).

    Raises:
        RuntimeError: nbgrader failed, the release still holds solution text (it says where), or the wheel
            could not be built.
    """
    if language not in LANGUAGES:
        raise ValueError(_("The course's language must be one of {languages}, got {language!r}.").format(
            languages=", ".join(LANGUAGES), language=language))
    notebooks = Path(notebooks) if notebooks else NOTEBOOKS_DIR / ("" if language == "en" else language)
    if not all((notebooks / f"{name}.ipynb").is_file() for name in RUBRIC):
        raise FileNotFoundError(_("No graded notebooks in {folder}: run make translations first.").format(
            folder=notebooks))
    course = Path(course).resolve()
    fix_values(prepare(course, notebooks))
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", "--create")
    folder = course / "release" / ASSIGNMENT
    problems = release_problems(folder)
    if problems:
        raise RuntimeError("The release is not fit for students:\n" + "\n".join(problems))
    (course / LANGUAGE_FILE).write_text(language + "\n", encoding="utf-8")  # once the release is fit
    if wheel:
        build_wheel(folder)
    return folder


def students(course: Path) -> list[str]:
    """The students with a submission in ``course/submitted/<student>/deepdream/``."""
    submitted = Path(course) / "submitted"
    return sorted(path.parent.name for path in submitted.glob(f"*/{ASSIGNMENT}") if path.is_dir())


def grade(course: Path = COURSE_DIR, zips: Path | None = None, cell_limit: float = CELL_LIMIT_S,
          notebooks: Path = NOTEBOOKS_DIR, sandboxed: bool = True, jobs: int = 1,
          student_limit: float = STUDENT_LIMIT_S) -> list[dict]:
    """Grades every submission: unpack the zips, autograde, feedback, ``course/grades.csv``; returns the rows.

    Every student gets a row: one whose grading fails (a kernel that dies, a limit) gets 0 for what was
    not graded and the reason, and the class goes on. Students are graded ``jobs`` at a time, each by a
    process of their own (``deepdream.grading``); a student whose submission is unchanged since their last
    grade is not graded again, and an interrupted run keeps every grade it wrote.

    Args:
        course: the course folder (``course/`` by default).
        zips: a folder of one ``.zip`` per student, unpacked into ``submitted/`` first; None when the
            submissions are already in nbgrader's layout.
        cell_limit: seconds one cell may run before it is stopped.
        notebooks: the instructor's notebooks, released first if the course has no release yet.
        sandboxed: run each student's code in the grading sandbox (``deepdream.sandbox``); False grades
            with the grader's own rights, and every row says so.
        jobs: how many students are graded at once.
        student_limit: seconds one student's grading may take in all; past it, what was not graded earns 0.

    Raises:
        RuntimeError: the sandbox cannot run here (the message says how to install it).
    """
    course = Path(course).resolve()
    problem = sandbox.bwrap_problem() if sandboxed else None
    if problem:
        raise RuntimeError(problem)
    language = course_language(course)  # chosen at release; a release made below keeps it
    with speaking(language), tempfile.TemporaryDirectory(prefix="deepdream-feedback-") as templates:
        refused: dict[str, str] = {}
        if zips is not None:
            unpacked, refused = unpack_submissions(Path(zips), course / "submitted")
            for student, names in unpacked.items():
                print(_("unpacked {student}: {names}").format(student=student,
                                                               names=", ".join(names) or _("no notebooks")))
            for student, why in refused.items():
                print(_("refused {student}'s zip: {why}").format(student=student, why=why))
        everyone = students(course)
        if not everyone and not refused:
            raise ValueError(_("No submissions in {folder}: put each student's notebooks in submitted/<student>/"
                               "{assignment}/, or pass a folder of zips (make grade ZIPS=folder).").format(
                folder=course / "submitted", assignment=ASSIGNMENT))
        if not (course / "release" / ASSIGNMENT).is_dir():  # in the course's language, if it had one
            release(course, None if notebooks == NOTEBOOKS_DIR else notebooks, language=language)
        notes: dict[str, dict[str, str]] = {} if sandboxed else {"*": {"": _(UNSANDBOXED_NOTE)}}
        notes |= {student: {"": _("zip refused: {why}").format(why=why)} for student, why in refused.items()}
        url, course_id = gradebook_settings(course)
        notes |= grading.grade_class(course, everyone, list(RUBRIC), jobs, cell_limit, sandboxed, student_limit,
                                     url, course_id, say=lambda line: print(line, flush=True))
        (course / NOTES_FILE).write_text(json.dumps(notes, indent=1, ensure_ascii=False), encoding="utf-8")
        _nbgrader(course, "generate_feedback", ASSIGNMENT, "--force",
                  *feedback.template_options(Path(templates), language))
        for page in (course / "feedback").glob(f"*/{ASSIGNMENT}/*.html"):
            feedback.without_network(page)
        rows = grade_rows(course, cell_limit, notes, sorted(set(everyone) | set(refused)))
        path = write_grades(rows, course / "grades.csv", language)
        failed = sorted(student for student in notes if student != "*")
        wrote = _("wrote {path} ({count} students) and feedback in {folder}").format(
            path=path, count=len(rows), folder=course / "feedback")
        if failed:
            wrote += _("; {count} could not be graded in full: {students}").format(
                count=len(failed), students=", ".join(failed))
        print(wrote)
        return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m deepdream.course release|grade``: the instructor's commands (``make release``, ``make grade``)."""
    parser = OneLineParser(prog="deepdream.course", description=_(__doc__.split("\n")[0]))  # one catalog entry
    parser.add_argument("command", choices=["release", "grade"])
    parser.add_argument("--course", type=Path, default=COURSE_DIR, help=_("the course folder (default: course/)"))
    parser.add_argument("--zips", type=Path, help=_("grade: a folder of one .zip of notebooks per student"))
    parser.add_argument("--cell-limit", type=float, default=CELL_LIMIT_S, help=_("grade: seconds per cell"))
    parser.add_argument("--jobs", type=int, default=1, help=_("grade: how many students to grade at once"))
    parser.add_argument("--language", choices=LANGUAGES, default="en", help=_(
        "release: the course's language: its notebooks, reasons and feedback pages (default: en)"))
    parser.add_argument("--unsandboxed", action="store_true", help=_(
        "grade: run the students' code without the bubblewrap sandbox, with your rights (every row of grades.csv "
        "says so)"))
    options = parser.parse_args(argv)
    try:
        if options.command == "release":
            folder = release(options.course, language=options.language)
            print(_("released the student notebooks ({language}) and the suite's wheel in {folder}").format(
                language=options.language, folder=folder))
        else:
            grade(options.course, options.zips, options.cell_limit, sandboxed=not options.unsandboxed,
                  jobs=options.jobs)
    except KeyboardInterrupt:
        print("python -m deepdream.course: " + _("interrupted; every grade written so far is kept: grade again to "
                                                 "go on"), file=sys.stderr)
        return 130
    except (ValueError, RuntimeError, FileNotFoundError) as error:
        print(f"python -m deepdream.course: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
