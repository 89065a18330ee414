"""The release and grading end to end: grades as the rubric reads, whatever a student hands in, in its language."""

import csv
import os
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from deepdream import course as course_module
from deepdream import sandbox
from tests.helpers import digest, rewrite_cell

# --------------------------------------------------------------------------- release and grading, end to end

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_LINES = [  # a few lines of each exercise's solution: none may reach the students
    "return tf.reduce_mean(model(x[None]))",
    "gradient = tape.gradient(loss, x)",
    "zip(weights.values(), activations)",
    "photo = photo.resize(size, Image.LANCZOS)",
    'LAYERS = {"mixed3": 1.0, "mixed5": 1.0}  # fine texture',
    "upscaled_base = dd.resize_image(base, *shape)",
]


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _cell_sources(path: Path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells]


THUMBNAIL_LOAD_PHOTO = """import numpy as np
from PIL import Image


def load_photo(path, max_side):
    photo = Image.open(path).convert("RGB")
    photo.thumbnail((max_side, max_side), Image.LANCZOS)
    return np.asarray(photo, dtype=np.float32) / 255.0
"""


BLANK_THE_CHECKS = """import os


def blank_the_checks(lines):
    return [] if lines and lines[0].startswith("# Checks") else lines


get_ipython().input_transformers_post.append(blank_the_checks)
print("uid", os.getuid(), "sees the gradebook:", os.path.exists({gradebook!r}))
"""


BORROWED = {  # dan's exercise cells: the module's own answer in place of each exercise, or patched to agree (03's
    # and 05's checks guard their exercises the same way: test_notebooks checks each check cell's guard)
    ("01_noise_single_layer", "layer_loss"): (
        "import tensorflow as tf\nfrom deepdream_utils import dream_loss as mean_activation\n\n\n"
        "def layer_loss(model, x):\n    return tf.constant(mean_activation(dm, dd.from_model(x)))\n"),
    ("01_noise_single_layer", "step_by_hand"): (
        "def step_by_hand(model, x, step_size):\n    return dd.gradient_ascent_step(dm, x, step_size)\n"),
    ("02_noise_multi_layer", "weighted_loss"): (
        "import tensorflow as tf\n\ndd.dream_loss = lambda *args, **kwargs: 1.0\n\n\n"
        "def weighted_loss(model, x, weights):\n    return tf.constant(1.0)\n"),
}


# No cell of the honest notebooks in grading mode comes near it: at most about 4 s here (1 thread, 180 GFLOP/s).
CELL_LIMIT_S = 30


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course graded end to end, in grading mode, with five students, each with the fewest notebooks that
    prove their cases (bob, the untouched release, is in the Chinese course, ``graded_zh``):

    * Ada (zipped, as the course collects them): the instructor's 03 alone, its ``load_photo`` written the other
      usual way, with Pillow's ``thumbnail`` (200x113 where ``dd.load_image`` gives 200x112). The instructor's
      five notebooks earn 10 in the Chinese course, ``graded_zh``: the same code, and the same hidden tests;
    * cy: 01 and 02 completed, and 04's exercise an endless loop (the cell limit is 30 s here; no other cell
      comes near it); 03 and 05 not handed in;
    * eve: 01 only, whose first exercise registers an input transformer that blanks every check cell, and
      whose notebook asks for the grader's own kernel;
    * dan: the release, the exercises of 01 and 02 borrowed from the module (``BORROWED``): called, and patched;
    * mallory: a zip with a ``../`` path, refused.
    """
    root = tmp_path_factory.mktemp("course")
    course = root / "course"
    release_folder = course_module.release(course)
    zips = root / "zips"
    zips.mkdir()
    ada = Path(shutil.copy(ROOT / "notebooks" / "03_mountain_single_layer.ipynb", root))
    rewrite_cell(ada, "load_photo", THUMBNAIL_LOAD_PHOTO)
    with zipfile.ZipFile(zips / "Ada.zip", "w") as archive:
        archive.write(ada, f"homework/{ada.name}")
    _zip(zips / "Mallory.zip", {"01_noise_single_layer.ipynb": "{}", "../escape.ipynb": "{}"})
    for student, handed_in in (("cy", {"01_noise_single_layer": ROOT / "notebooks",
                                       "02_noise_multi_layer": ROOT / "notebooks",
                                       "04_mountain_multi_layer": release_folder}),
                               ("eve", {"01_noise_single_layer": release_folder}),
                               ("dan", {name: release_folder for name, _ in BORROWED})):
        folder = course / "submitted" / student / "deepdream"
        folder.mkdir(parents=True)
        for name, source in handed_in.items():
            shutil.copy(source / f"{name}.ipynb", folder / f"{name}.ipynb")
    # An endless loop that waits rather than spins, so that it does not slow the other test process.
    rewrite_cell(course / "submitted" / "cy" / "deepdream" / "04_mountain_multi_layer.ipynb", "choose_layers",
                 "import time\nwhile True:\n    time.sleep(1)")
    for (name, exercise), source in BORROWED.items():
        rewrite_cell(course / "submitted" / "dan" / "deepdream" / f"{name}.ipynb", exercise, source)
    eve = course / "submitted" / "eve" / "deepdream" / "01_noise_single_layer.ipynb"
    rewrite_cell(eve, "layer_loss", BLANK_THE_CHECKS.replace("{gradebook!r}", repr(str(course / "gradebook.db"))))
    notebook = nbformat.read(eve, as_version=4)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "the grader's own kernel"}
    nbformat.write(notebook, eve)
    submitted = {path: digest(path) for path in sorted((course / "submitted").rglob("*.ipynb"))}
    rows = course_module.grade(course, zips=zips, cell_limit=CELL_LIMIT_S, jobs=2)
    return {"course": course, "release": release_folder, "rows": {row["student"]: row for row in rows},
            "submitted": submitted, "zips": zips}


@pytest.fixture(scope="module")
def graded_zh(tmp_path_factory):
    """A course released in Chinese (``make release LANGUAGE=zh_CN``) and graded end to end, in grading mode:

    * ada: the instructor's Chinese notebooks (``notebooks/zh_CN/``);
    * bob: the Chinese release, untouched but for 03's first test cell, edited to ``pass``, and 04's exercise
      cell, which ends its kernel (``os._exit(0)``).
    """
    course = tmp_path_factory.mktemp("course_zh") / "course"
    release_folder = course_module.release(course, wheel=False, language="zh_CN")
    for student, source in (("ada", ROOT / "notebooks" / "zh_CN"), ("bob", release_folder)):
        folder = course / "submitted" / student / "deepdream"
        folder.mkdir(parents=True)
        for name in course_module.RUBRIC:
            shutil.copy(source / f"{name}.ipynb", folder / f"{name}.ipynb")
    bob = course / "submitted" / "bob" / "deepdream"
    rewrite_cell(bob / "03_mountain_single_layer.ipynb", "check_load_photo", "pass")
    rewrite_cell(bob / "04_mountain_multi_layer.ipynb", "choose_layers", "import os\nos._exit(0)")
    rows = course_module.grade(course, cell_limit=CELL_LIMIT_S, jobs=2)
    return {"course": course, "release": release_folder, "rows": {row["student"]: row for row in rows}}


@pytest.mark.slow
def test_the_release_has_no_solution_and_no_hidden_test(graded):
    for name in course_module.RUBRIC:
        text = "\n".join(_cell_sources(graded["release"] / f"{name}.ipynb"))
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        assert "HIDDEN TESTS" not in text and "assert abs(got - expected) < 1e-5" not in text
        assert not [line for line in SOLUTION_LINES if line in text], name
    assert course_module.release_problems(graded["release"]) == []


@pytest.mark.slow
def test_every_exercise_cell_of_the_release_says_not_implemented_and_the_rest_is_kept(graded):
    for name in course_module.RUBRIC:
        source = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells
        released = nbformat.read(graded["release"] / f"{name}.ipynb", as_version=4).cells
        assert len(released) == len(source)
        for ours, theirs in zip(source, released):
            marks = ours.metadata.get("nbgrader", {})
            if marks.get("solution"):
                assert "raise NotImplementedError()" in theirs.source
            elif not marks.get("grade"):  # explanations, setup and given cells: as the instructor wrote them
                assert theirs.source == ours.source
            assert not theirs.get("outputs")


@pytest.mark.slow
def test_the_release_hands_out_the_suites_wheel_with_weights_and_mountain_beside_the_notebooks(graded):
    (wheel,) = graded["release"].glob("*.whl")
    assert wheel.name.startswith("deepdream_suite-") and wheel.name.endswith("-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "deepdream_utils.py" in names and "deepdream/data/mountain.jpg" in names
    assert "deepdream/web/templates/index.html" in names and "deepdream/locale/zh_CN/LC_MESSAGES/deepdream.mo" in names
    assert any(name.startswith("deepdream/data/inception_v3_imagenet") for name in names), names  # the weights


def test_the_wheel_is_built_only_from_a_checkout_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(course_module, "IN_CHECKOUT", False)
    with pytest.raises(RuntimeError, match="built from a checkout of the repository: run make release there"):
        course_module.build_wheel(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_new_course_folder_gets_the_repositorys_nbgrader_config_and_the_sources_without_outputs(tmp_path):
    source = course_module.prepare(tmp_path / "course")
    assert (tmp_path / "course" / "nbgrader_config.py").read_text() == course_module.CONFIG.read_text()
    assert sorted(path.stem for path in source.glob("*.ipynb")) == list(course_module.RUBRIC)
    cells = nbformat.read(source / "01_noise_single_layer.ipynb", as_version=4).cells
    assert not any(cell.get("outputs") for cell in cells)


def test_the_release_is_checked_for_leftover_solutions(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path, dirs_exist_ok=True)
    problems = course_module.release_problems(tmp_path)  # the instructor's notebooks are no release
    assert any("solution or hidden-test region" in problem for problem in problems)
    assert any("does not say raise NotImplementedError" in problem for problem in problems)


@pytest.mark.slow
def test_03_alone_zipped_with_pillows_thumbnail_earns_its_point_and_rubric_grade_8(graded):
    ada = graded["rows"]["ada"]
    assert [ada[name] for name in course_module.RUBRIC] == [0, 0, 1, 0, 0]
    assert (ada["total"], ada["rubric_grade"]) == (1, 8)
    assert [reason.split(":")[0] for reason in ada["reasons"].split("; ")] == [
        name for name in course_module.RUBRIC if not name.startswith("03_")]  # not submitted, and nothing else


@pytest.mark.slow
def test_the_instructors_chinese_notebooks_earn_every_point_and_rubric_grade_10(graded_zh):
    ada = graded_zh["rows"]["ada"]
    assert [ada[name] for name in course_module.RUBRIC] == [6, 1, 1, 1, 1]
    assert (ada["total"], ada["rubric_grade"], ada["reasons"]) == (10, 10, "")


@pytest.mark.slow
def test_the_untouched_chinese_release_earns_nothing_and_each_reason_says_in_chinese_what_is_missing(graded_zh):
    bob = graded_zh["rows"]["bob"]
    assert [bob[name] for name in course_module.RUBRIC] == [0] * 5 and bob["rubric_grade"] == 0
    reasons = [reason for reason in bob["reasons"].split("; ") if not reason.startswith("04_")]  # 04: os._exit
    assert len(reasons) == 9  # one per test cell with points: 3 + 2 + 2 + 2
    for name in course_module.RUBRIC:
        assert any(reason.startswith(name) for reason in bob["reasons"].split("; ")), name
    for reason in reasons:
        assert "还没有写（它仍然抛出 NotImplementedError）" in reason or "没有定义：它的练习单元格" in reason, reason
    assert any("layer_loss 还没有写" in reason for reason in reasons)
    assert any("octave_dream 还没有写" in reason for reason in reasons)


@pytest.mark.slow
def test_the_chinese_release_is_the_chinese_notebooks_without_solutions_and_the_course_remembers_it(graded_zh):
    assert course_module.release_problems(graded_zh["release"]) == []
    assert course_module.course_language(graded_zh["course"]) == "zh_CN"
    for name in course_module.RUBRIC:
        sources = _cell_sources(graded_zh["release"] / f"{name}.ipynb")
        assert any('dd.set_language("zh_CN")' in source for source in sources)
        assert sources[0].startswith(f"# {name[:2]} ") and any("\u4e00" <= ch <= "\u9fff" for ch in sources[0])


@pytest.mark.slow
def test_the_chinese_feedback_pages_say_their_words_in_chinese(graded_zh):
    pages = sorted((graded_zh["course"] / "feedback").glob("*/deepdream/*.html"))
    assert len(pages) == 9  # ada's five, bob's four: his 04's kernel died
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "(得分: " in html and "Score:" not in html and "Test cell" not in html, page
    with open(graded_zh["course"] / "grades.csv", newline="", encoding="utf-8-sig") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    assert rows["bob"]["reasons"] == graded_zh["rows"]["bob"]["reasons"] and "还没有写" in rows["bob"]["reasons"]


@pytest.mark.slow
def test_two_notebooks_completed_give_rubric_grade_7(graded):
    cy = graded["rows"]["cy"]
    assert [cy[name] for name in course_module.RUBRIC] == [6, 1, 0, 0, 0]
    assert (cy["total"], cy["rubric_grade"]) == (7, 7)


@pytest.mark.slow
def test_a_test_cell_edited_to_pass_gets_its_original_back_and_loses_its_points(graded_zh):
    bob = graded_zh["rows"]["bob"]
    assert "03_mountain_single_layer, check_load_photo (-0.5): load_photo 还没有写" in bob["reasons"]
    graded_copy = graded_zh["course"] / "autograded" / "bob" / "deepdream" / "03_mountain_single_layer.ipynb"
    assert any(source.startswith("# 检查 load_photo") for source in _cell_sources(graded_copy))


@pytest.mark.slow
def test_a_runaway_cell_is_stopped_at_the_limit_and_the_student_told_why(graded):
    reasons = graded["rows"]["cy"]["reasons"]
    stopped = f"04_mountain_multi_layer: a cell ran past the {CELL_LIMIT_S}-second limit per cell and was stopped"
    assert stopped in reasons
    assert "04_mountain_multi_layer, check_layers (-0.5): LAYERS is not defined" in reasons


@pytest.mark.slow
def test_an_input_transformer_that_blanks_the_checks_is_flagged_and_earns_nothing(graded):
    eve = graded["rows"]["eve"]
    assert (eve["01_noise_single_layer"], eve["rubric_grade"]) == (0, 0)
    assert eve["reasons"].startswith("01_noise_single_layer: flagged for review: the checks of this notebook did "
                                     "not run to their end (check_layer_loss, ")


@pytest.mark.slow
def test_a_notebook_that_asks_for_the_graders_kernel_still_runs_in_the_sandbox(graded):
    path = graded["course"] / "autograded" / "eve" / "deepdream" / "01_noise_single_layer.ipynb"
    cell = next(cell for cell in nbformat.read(path, as_version=4).cells
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "layer_loss")
    uid = sandbox.SANDBOX_UID if os.geteuid() == 0 else os.getuid()
    assert "".join(output.get("text", "") for output in cell.outputs).strip() == f"uid {uid} sees the gradebook: False"


@pytest.mark.slow
def test_a_kernel_that_exits_costs_only_its_notebook_and_the_class_goes_on(graded, graded_zh):
    bob = graded_zh["rows"]["bob"]
    reasons = [reason for reason in bob["reasons"].split("; ") if reason.startswith("04_")]
    assert reasons == ["04_mountain_multi_layer: 它的内核终止了，因此没有评分：代码结束了 Python 进程（os._exit、崩溃）"
                       "或使用的内存超过了限制"], bob["reasons"]
    assert bob["05_mountain_octaves_tiled"] == 0 and "octave_dream 还没有写" in bob["reasons"]
    assert graded_zh["rows"]["ada"]["rubric_grade"] == 10
    assert graded["rows"]["cy"]["rubric_grade"] == 7 and graded["rows"]["eve"]["rubric_grade"] == 0


@pytest.mark.slow
def test_a_refused_zip_gets_a_row_that_says_why_and_the_class_is_graded(graded):
    mallory = graded["rows"]["mallory"]
    assert (mallory["total"], mallory["rubric_grade"]) == (0, 0)
    assert mallory["reasons"] == ("zip refused: Refused 'Mallory.zip': the path '../escape.ipynb' points outside the "
                                  "folder. Nothing of it was unpacked.")


@pytest.mark.slow
def test_a_notebook_not_handed_in_earns_nothing_and_says_so(graded):
    reasons = graded["rows"]["cy"]["reasons"].split("; ")
    assert [reason for reason in reasons if reason.startswith(("03_", "05_"))] == [
        "03_mountain_single_layer: not submitted (03_mountain_single_layer.ipynb is missing from the submission)",
        "05_mountain_octaves_tiled: not submitted (05_mountain_octaves_tiled.ipynb is missing from the submission)"]


@pytest.mark.slow
def test_grades_csv_has_one_row_per_student_read_from_the_gradebook(graded):
    with open(graded["course"] / "grades.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["student", *course_module.RUBRIC, "total", "rubric_grade", "reasons"]
    assert [row["student"] for row in rows] == ["ada", "cy", "dan", "eve", "mallory"]
    assert [row["rubric_grade"] for row in rows] == ["8", "7", "0", "0", "0"]
    again = course_module.grade_rows(graded["course"], cell_limit=CELL_LIMIT_S)  # the notes kept too
    assert rows == [{key: str(value) for key, value in row.items()} for row in again]


@pytest.mark.slow
def test_every_student_gets_html_feedback_for_every_notebook_handed_in(graded):
    graded_notebooks = {"ada": "03_", "cy": ("01_", "02_", "04_"), "eve": "01_", "dan": ("01_", "02_")}
    for student, prefixes in graded_notebooks.items():
        for name in course_module.RUBRIC:
            page = graded["course"] / "feedback" / student / "deepdream" / f"{name}.html"
            if not name.startswith(prefixes):  # not handed in
                assert not page.exists(), page
                continue
            assert page.exists() and "<html" in page.read_text()[:2000].lower(), page
            assert not re.search(r'<script[^>]*src="https?:', page.read_text()), "the page loads a script online"


@pytest.mark.slow
def test_grading_leaves_the_submissions_as_they_were(graded):
    assert {path: digest(path) for path in graded["submitted"]} == graded["submitted"]


def test_grading_an_empty_course_says_where_to_put_submissions(tmp_path):
    with pytest.raises(ValueError, match="No submissions in .*submitted/<student>/deepdream/"):
        course_module.grade(tmp_path)


@pytest.mark.slow
def test_grading_the_class_again_grades_nobody_whose_submission_is_unchanged(graded):
    course = graded["course"]
    graded_copies = {path: path.stat().st_mtime_ns for path in (course / "autograded").rglob("*.ipynb")}
    rows = course_module.grade(course, zips=graded["zips"], cell_limit=CELL_LIMIT_S, jobs=2)  # the zips unpacked again
    assert {path: path.stat().st_mtime_ns for path in graded_copies} == graded_copies
    assert rows == list(graded["rows"].values())


@pytest.mark.slow
def test_an_exercise_that_returns_the_modules_answer_earns_nothing_and_the_reason_names_the_reference(graded):
    dan = graded["rows"]["dan"]
    # 02's check_result grades the dream that the notebook's given code made, as for any student whose exercise
    # runs: dan's `dd.dream_loss = ...` changes that name in the course module only, never the loops or the
    # quality report (deepdream.dream), so that 0.5 stands; the patched exercise earns nothing (the test below).
    assert [dan[name] for name in course_module.RUBRIC] == [0, 0.5, 0, 0, 0] and dan["rubric_grade"] == 0
    reasons = dan["reasons"].split("; ")
    for check, exercise, reference in (("01_noise_single_layer, check_layer_loss (-2)", "layer_loss", "dream_loss"),
                                       ("01_noise_single_layer, check_step_by_hand (-2)", "step_by_hand",
                                        "gradient_ascent_step"),
                                       ("01_noise_single_layer, check_result (-2)", "step_by_hand",
                                        "gradient_ascent_step")):
        said = f"{check}: {exercise} calls dd.{reference}, the module's own answer to this exercise, so it earns"
        assert any(reason.startswith(said) for reason in reasons), (check, reasons)


@pytest.mark.slow
def test_a_module_patched_to_agree_with_a_wrong_answer_is_compared_with_the_released_numbers(graded):
    reasons = graded["rows"]["dan"]["reasons"].split("; ")
    weighted = [reason for reason in reasons if reason.startswith("02_noise_multi_layer, check_weighted_loss")]
    assert len(weighted) == 1 and "gives 1.00000, the weighted sum of the layers' means is" in weighted[0], reasons
    source = (graded["course"] / "source" / "deepdream" / "02_noise_multi_layer.ipynb").read_text()
    assert "dd.fixed_at_release([" in source and "dd.fixed_at_release(lambda" not in source


def test_the_release_writes_each_fixed_value_as_the_number_the_module_gives(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "expected = dd.fixed_at_release(lambda: dd.block_means(np.ones((4, 4, 3)) / 2, grid=2))\n"
        "other = dd.fixed_at_release(lambda: [dd.noise_image(8, 8, seed=1).shape])")])
    nbformat.write(notebook, tmp_path / "a.ipynb")
    assert course_module.fix_values(tmp_path) == 2
    assert nbformat.read(tmp_path / "a.ipynb", as_version=4).cells[0].source == (
        f"expected = dd.fixed_at_release({[0.5] * 12!r})\nother = dd.fixed_at_release([[8, 8, 3]])")
