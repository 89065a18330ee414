"""A class graded by one process per student: the gradebook merged by one writer, limits, interrupts, and a
second run that grades only what changed."""

import json
import shutil
from pathlib import Path

import pytest

from deepdream import course as course_module
from deepdream import grading
from tests.helpers import rewrite_cell

NON_JSON = "my homework"
IGNORE_INTERRUPTS_FOREVER = """import signal
import subprocess
import time

signal.signal(signal.SIGINT, signal.SIG_IGN)
subprocess.Popen(["sleep", "617"])
while True:
    time.sleep(0.5)
"""


def _running(command_line: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().replace(b"\0", b" ").strip() == command_line.encode():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


def _hand_in(course: Path, student: str, name: str, text: str) -> Path:
    folder = course / "submitted" / student / "deepdream"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.ipynb").write_text(text)
    return folder / f"{name}.ipynb"


def _grade(course: Path, everyone: list[str], say=lambda line: None, **settings) -> dict:
    """Grades these students, two at a time, as ``make grade JOBS=2`` would; each line said goes to ``say``."""
    settings = {"jobs": 2, "cell_limit": 5, "sandboxed": True, "student_limit": 60} | settings
    url, course_id = course_module.gradebook_settings(course)
    return grading.grade_class(course, everyone, list(course_module.RUBRIC), url=url, course_id=course_id,
                               say=say, **settings)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A course folder with its release made (and so its gradebook), and no submission. Its hidden tests keep
    their ``dd.fixed_at_release(lambda: ...)``: none of these students gets that far (``course.fix_values`` is
    tested with the graded course)."""
    course = tmp_path_factory.mktemp("released") / "course"
    course_module.prepare(course)
    course_module._nbgrader(course, "generate_assignment", "deepdream", "--force", "--create")
    return course


@pytest.fixture
def course(released, tmp_path):
    shutil.copytree(released, tmp_path / "course")
    return tmp_path / "course"


def test_the_digest_changes_with_the_submission_the_hidden_tests_and_the_settings(tmp_path):
    notebook = _hand_in(tmp_path, "ann", "01_noise_single_layer", "{}")
    (tmp_path / "source" / "deepdream").mkdir(parents=True)
    (tmp_path / "source" / "deepdream" / "01_noise_single_layer.ipynb").write_text("{}")
    first = grading.submission_digest(tmp_path, "ann", {"cell_limit": 30})
    assert grading.submission_digest(tmp_path, "ann", {"cell_limit": 30}) == first
    assert grading.submission_digest(tmp_path, "ann", {"cell_limit": 31}) != first
    notebook.write_text('{"cells": []}')
    second = grading.submission_digest(tmp_path, "ann", {"cell_limit": 30})
    assert second != first
    (tmp_path / "source" / "deepdream" / "01_noise_single_layer.ipynb").write_text('{"cells": []}')
    assert grading.submission_digest(tmp_path, "ann", {"cell_limit": 30}) != second


def test_a_state_file_cut_short_means_everyone_is_graded_again(tmp_path):
    (tmp_path / grading.STATE_FILE).write_text('{"ann": {"dig')
    assert grading.read_state(tmp_path) == {}


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's own, making a submission
def test_merging_writes_the_scores_keeps_a_graders_own_and_zeroes_a_notebook_not_graded(course):
    from nbgrader.api import Gradebook

    url, course_id = course_module.gradebook_settings(course)
    scratch = f"sqlite:///{course / 'scratch.db'}"
    grading.copy_assignment(url, scratch, course_id)
    with Gradebook(scratch, course_id) as gradebook:
        assert [student.id for student in gradebook.students] == []  # the assignment, and nobody's work
        gradebook.update_or_create_student("ann")
        gradebook.update_or_create_submission("deepdream", "ann")
        for grade in gradebook.find_submission_notebook("01_noise_single_layer", "deepdream", "ann").grades:
            grade.auto_score = grade.max_score
        gradebook.db.commit()
    with Gradebook(url, course_id) as gradebook:  # an earlier grade, and a grader's own score for one check
        gradebook.update_or_create_student("ann")
        gradebook.update_or_create_submission("deepdream", "ann")
        gradebook.find_grade("check_result", "01_noise_single_layer", "deepdream", "ann").manual_score = 1.0
        for grade in gradebook.find_submission_notebook("02_noise_multi_layer", "deepdream", "ann").grades:
            grade.auto_score = grade.max_score
        gradebook.db.commit()
    grading.merge_student(scratch, url, course_id, "ann",
                          {"01_noise_single_layer": None, "02_noise_multi_layer": "its kernel died"})
    with Gradebook(url, course_id) as gradebook:
        first = gradebook.find_submission_notebook("01_noise_single_layer", "deepdream", "ann")
        assert {grade.name: (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                for grade in first.grades} == {"check_layer_loss": (2.0, None, False),
                                               "check_step_by_hand": (2.0, None, False),
                                               "check_result": (2.0, 1.0, True)}
        assert gradebook.find_submission_notebook("02_noise_multi_layer", "deepdream", "ann").score == 0


def test_an_interrupted_class_keeps_the_grades_written_and_the_next_run_grades_only_the_rest(course):
    for student in ("ann", "ben"):
        _hand_in(course, student, "01_noise_single_layer", NON_JSON)

    def interrupt(line):
        raise KeyboardInterrupt(line)

    with pytest.raises(KeyboardInterrupt, match="graded (ann|ben) in"):
        _grade(course, ["ann", "ben"], say=interrupt)
    kept = json.loads((course / grading.STATE_FILE).read_text())
    assert len(kept) == 1 and list(kept.values())[0]["failures"]["01_noise_single_layer"].startswith(
        "it is not a notebook nbgrader can read")
    said = []
    failures = _grade(course, ["ann", "ben"], said.append)
    assert said[0] == "1 student(s) unchanged since their last grade: not graded again"
    assert [line.split(" in ")[0] for line in said[1:]] == [f"graded {({'ann', 'ben'} - set(kept)).pop()}"]
    assert set(failures) == {"ann", "ben"}
    said.clear()
    _grade(course, ["ann", "ben"], said.append)
    assert said == ["2 student(s) unchanged since their last grade: not graded again"]


@pytest.mark.slow
def test_a_loop_that_ignores_interrupts_is_stopped_at_the_limit_per_student_beside_a_non_notebook(course):
    notebook = _hand_in(course, "zed", "01_noise_single_layer", "")
    shutil.copy(course / "release" / "deepdream" / "01_noise_single_layer.ipynb", notebook)
    rewrite_cell(notebook, "layer_loss", IGNORE_INTERRUPTS_FOREVER)
    _hand_in(course, "nico", "01_noise_single_layer", NON_JSON)
    failures = _grade(course, ["nico", "zed"], student_limit=20, cell_limit=60)  # the limit per student comes first
    assert failures["zed"] == {"01_noise_single_layer": "grading ran past the 20-second limit per student and was "
                                                        "stopped"}
    assert failures["nico"]["01_noise_single_layer"].startswith("it is not a notebook nbgrader can read")
    assert _running("sleep 617") == [], "a process the student started outlived the grading"
    rows = {row["student"]: row for row in course_module.grade_rows(course, notes=failures)}
    assert rows["zed"]["total"] == 0 and "20-second limit per student" in rows["zed"]["reasons"]
