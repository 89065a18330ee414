"""The rubric and the grades: points per notebook, the rubric grade, the course's language, grades.csv."""

import csv

import pytest

from deepdream import grades


def test_each_notebook_is_worth_its_lines_increment():
    assert list(grades.POINTS.values()) == [6, 1, 1, 1, 1] and sum(grades.POINTS.values()) == 10


@pytest.mark.parametrize("passed,grade", [
    ({}, 0), ({"01_noise_single_layer": True}, 6),
    ({"01_noise_single_layer": True, "02_noise_multi_layer": True}, 7),
    ({name: True for name in grades.RUBRIC}, 10), ({"01_noise_single_layer": False}, 0),
])
def test_the_rubric_grade_is_the_highest_line_that_passes(passed, grade):
    assert grades.rubric_grade(passed) == grade


def test_a_course_is_english_unless_its_release_chose_another_language(tmp_path):
    assert grades.course_language(tmp_path) == "en"
    (tmp_path / grades.LANGUAGE_FILE).write_text("zh_CN\n")
    assert grades.course_language(tmp_path) == "zh_CN"


def test_grades_csv_has_each_students_points_total_rubric_grade_and_reasons_in_utf_8(tmp_path):
    row = {"student": "wang_fang", **dict.fromkeys(grades.RUBRIC, 0), "total": 0, "rubric_grade": 0,
           "reasons": "01_noise_single_layer: 未提交（提交中没有 01_noise_single_layer.ipynb）"}
    for language, start in (("en", b"student,"), ("zh_CN", b"\xef\xbb\xbfstudent,")):  # Excel needs the mark
        path = grades.write_grades([row], tmp_path / f"grades_{language}.csv", language)
        assert path.read_bytes().startswith(start)
        with open(path, newline="", encoding="utf-8-sig") as file:
            assert list(csv.DictReader(file)) == [{key: str(value) for key, value in row.items()}]
