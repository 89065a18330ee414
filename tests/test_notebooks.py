"""The saved notebooks: structure a grader relies on, sizes, and that a run rewrites outputs/."""

import json
import re
from pathlib import Path

import pytest

from conftest import SESSION

ROOT = Path(__file__).resolve().parents[1]
RESULTS = {  # notebook -> the picture it saves with its committed parameters
    "01_noise_single_layer.ipynb": "01_noise_mixed3.jpg",
    "02_noise_multi_layer.ipynb": "02_noise_mixed3_mixed5.jpg",
    "03_mountain_single_layer.ipynb": "03_mountain_mixed3.jpg",
    "04_mountain_multi_layer.ipynb": "04_mountain_mixed3_mixed5.jpg",
    "05_mountain_octaves_tiled.ipynb": "05_mountain_octaves_tiled.jpg",
    "06_layer_atlas.ipynb": "06_atlas_noise.jpg",
}
GRADED = [name for name in RESULTS if name[:2] in ("01", "02", "03", "04", "05")]
POINTS = {"01": 6, "02": 7, "03": 8, "04": 9, "05": 10}


def _cells(name):
    return json.loads((ROOT / "notebooks" / name).read_text())["cells"]


def _source(cell):
    return "".join(cell["source"])


@pytest.mark.parametrize("name", RESULTS)
def test_notebook_opens_with_title_grading_line_colab_badge_and_goals(name):
    first = _source(_cells(name)[0])
    assert first.startswith(f"# {name[:2]} ")
    assert (f"Grading line: {POINTS[name[:2]]} points" in first) if name in GRADED else "Not graded" in first
    assert "colab.research.google.com/github/" in first and f"notebooks/{name}" in first
    assert "What you will learn" in first and "What you will see" in first


@pytest.mark.parametrize("name", RESULTS)
def test_notebook_has_one_setup_cell_and_one_parameters_cell(name):
    code = [_source(c) for c in _cells(name) if c["cell_type"] == "code"]
    assert sum('IN_COLAB = "google.colab" in sys.modules' in c for c in code) == 1
    assert sum("import deepdream_utils as dd" in c for c in code) == 1
    parameters = code[1]
    assignments = [line for line in parameters.splitlines() if re.match(r"^[A-Z_]+ = ", line)]
    assert len(assignments) >= 5 and all(line.split(" = ")[0].isupper() for line in assignments)
    assert all("  # " in line for line in assignments), "every parameter has an inline comment"


@pytest.mark.parametrize("name", RESULTS)
def test_notebook_is_saved_executed_with_small_outputs(name):
    path = ROOT / "notebooks" / name
    notebook = json.loads(path.read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in code), "every code cell has been run"
    figures = sum("image/jpeg" in o.get("data", {}) or "image/png" in o.get("data", {})
                  for c in code for o in c["outputs"])
    assert figures >= 3
    assert not any(o.get("name") == "stderr" for c in code for o in c["outputs"])
    assert path.stat().st_size <= 2_000_000


@pytest.mark.parametrize("picture", [*RESULTS.values(), "06_atlas_mountain.jpg", "gallery.jpg"])
def test_saved_pictures_are_at_most_400_kb(picture):
    assert (ROOT / "outputs" / picture).stat().st_size <= 400_000


def test_notebook_run_rewrote_its_outputs():
    ran = SESSION["notebooks"] & set(RESULTS)
    if not ran:
        pytest.skip("no notebook was executed in this run (run `make test` or pytest on notebooks/)")
    for name in sorted(ran):
        picture = ROOT / "outputs" / RESULTS[name]
        assert picture.exists() and picture.stat().st_mtime >= SESSION["start"], f"{name} did not rewrite {picture.name}"


def test_zoom_animation_is_in_outputs_with_36_frames():
    from PIL import Image

    with Image.open(ROOT / "outputs" / "zoom_dream.gif") as gif:
        assert gif.n_frames == 36 and max(gif.size) == 400
