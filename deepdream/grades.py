"""The course's rubric and its grades: the scores nbgrader's gradebook holds, the reasons, ``grades.csv``.

The course is graded on a five-line rubric; each line is one notebook, worth its line's increment (6, 1, 1, 1,
1: 10 in all), and a student's rubric grade is the highest line whose notebook passes. ``grade_rows`` reads a
graded course back, one row per student, with each lost point said in plain words (``deepdream.reasons``) in
the course's language (chosen at release, ``course_language``); ``write_grades`` writes them as ``grades.csv``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path

from deepdream import reasons
from deepdream.i18n import gettext as _
from deepdream.i18n import speaking
from deepdream.submissions import ASSIGNMENT

RUBRIC: dict[str, int] = {  # notebook -> the rubric line it answers
    "01_noise_single_layer": 6, "02_noise_multi_layer": 7, "03_mountain_single_layer": 8,
    "04_mountain_multi_layer": 9, "05_mountain_octaves_tiled": 10,
}
POINTS: dict[str, int] = {  # each notebook is worth its line's increment
    name: line - previous for (name, line), previous in zip(RUBRIC.items(), (0, *RUBRIC.values()))}
CELL_LIMIT_S = 120  # a cell of a graded notebook running longer is stopped, and the student told why
LANGUAGE_FILE = "language.txt"  # in the course folder: the language chosen at release (English when absent)


def rubric_grade(passed: Mapping[str, bool]) -> int:
    """The highest rubric line whose notebook passes, as the rubric reads; 0 when none does.

    Args:
        passed: notebook name -> whether it earned all its points.
    """
    return max((line for name, line in RUBRIC.items() if passed.get(name)), default=0)


def course_language(course: Path) -> str:
    """The course's language, chosen at release (``make release LANGUAGE=zh_CN``); English when none was."""
    path = Path(course) / LANGUAGE_FILE
    return path.read_text(encoding="utf-8").strip() if path.is_file() else "en"


def gradebook_settings(course: Path) -> tuple[str, str]:
    """The gradebook's SQLAlchemy URL and course id, from the course's ``nbgrader_config.py``.

    The URL is ``CourseDirectory.db_url`` when the config names one, else ``course/gradebook.db``.
    """
    from traitlets.config.loader import PyFileConfigLoader

    course = Path(course).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    url = config.CourseDirectory.get("db_url") or f"sqlite:///{course / 'gradebook.db'}"
    return url, config.CourseDirectory.get("course_id", "default_course")


NOTES_FILE = "grading_notes.json"  # in the course folder: what the last grading run said of whom
UNSANDBOXED_NOTE = "graded UNSANDBOXED (--unsandboxed): the student's code ran with the grader's rights"  # msgid


def _saved_notes(course: Path) -> dict[str, dict[str, str]]:
    path = Path(course) / NOTES_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def grade_rows(course: Path, cell_limit: float = CELL_LIMIT_S,
               notes: Mapping[str, Mapping[str, str]] | None = None, everyone: list[str] | None = None) -> list[dict]:
    """One row per student, from nbgrader's gradebook: points per notebook, total, rubric grade, reasons.

    Args:
        notes: ``{student: {notebook: why it could not be graded}}``, said in place of that notebook's
            reasons; a student's ``""`` (their zip refused) opens their reasons, and ``{"*": {"": ...}}``
            every row's. The last ``grade``'s notes are read too (``course/grading_notes.json``).
        everyone: students who get a row even when the gradebook has none of their notebooks.
    """
    from nbgrader.api import Gradebook, MissingEntry

    notes = {**_saved_notes(course), **(notes or {})}
    rows = []
    with Gradebook(*gradebook_settings(course)) as gradebook, speaking(course_language(course)):
        noted = set(notes) - {"*"}  # a refused zip's student has a note and no notebook
        for student in sorted({s.id for s in gradebook.students} | set(everyone or []) | noted):
            row, passed, lost = {"student": student}, {}, []
            for name in RUBRIC:
                try:
                    notebook = gradebook.find_submission_notebook(name, ASSIGNMENT, student)
                    score, top, grades = notebook.score or 0.0, notebook.max_score, notebook.grades
                except MissingEntry:
                    score, top, grades = 0.0, POINTS[name], []
                row[name] = round(score, 2)
                passed[name] = top > 0 and score >= top - 1e-9
                failure = notes.get(student, {}).get(name)
                if notes.get(student, {}).get(""):  # their zip was refused: that says it all
                    continue
                if failure:
                    lost.append(f"{name}: {failure}")
                elif not passed[name]:
                    lost += (reasons.notebook_reasons(course, student, name, grades, cell_limit)
                             or [_("{name}: no points").format(name=name)])
            row["total"] = round(sum(row[name] for name in RUBRIC), 2)
            row["rubric_grade"] = rubric_grade(passed)
            first = [notes.get("*", {}).get(""), notes.get(student, {}).get("")]
            row["reasons"] = "; ".join([note for note in first if note] + lost)
            rows.append(row)
    return rows


def write_grades(rows: list[dict], path: Path, language: str = "en") -> Path:
    """Writes the rows as ``grades.csv``: student, the points per notebook, total, rubric_grade, reasons.

    Args:
        language: the course's; in UTF-8 either way, with a byte-order mark for a language other than English,
            so that Excel, which reads a CSV in the system's code page otherwise, shows Chinese reasons as such.
    """
    with open(path, "w", newline="", encoding="utf-8" if language == "en" else "utf-8-sig") as file:
        writer = csv.DictWriter(file, ["student", *RUBRIC, "total", "rubric_grade", "reasons"])
        writer.writeheader()
        writer.writerows(rows)
    return Path(path)
