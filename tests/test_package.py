"""The package as a maintainer and a student meet it: modules readable whole, tests that mirror them,
no private names across modules, and a wheel that a notebook's setup cell installs outside the repository."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "deepdream"
LONGEST_MODULE, LONGEST_COURSE_MODULE = 400, 450  # lines


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def test_every_module_of_the_package_can_be_read_whole():
    lengths = {path.relative_to(ROOT): len(path.read_text().splitlines()) for path in _modules()}
    assert all(length <= LONGEST_MODULE for length in lengths.values()), lengths
    assert len((ROOT / "deepdream_utils.py").read_text().splitlines()) <= LONGEST_COURSE_MODULE


def test_every_module_has_a_test_file_named_after_it():
    tests = {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    for path in _modules():
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] == "backbones":  # the records and each backbone's file (its data): test_backbones
            parts = parts[:1]
        elif parts[-1] in ("__init__", "__main__"):  # re-exports only; python -m deepdream: tests/test_cli.py
            continue
        name = "_".join(parts)
        assert f"test_{name}" in tests, f"{path.relative_to(ROOT)} has no tests/test_{name}.py"
    assert "test_deepdream_utils" in tests


def test_no_module_or_test_imports_a_private_name_of_another_module():
    for path in [*_modules(), ROOT / "deepdream_utils.py", *(ROOT / "tests").glob("test_*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in (
                    "deepdream", "deepdream_utils"):
                private = [alias.name for alias in node.names if alias.name.startswith("_")]
                assert not private, f"{path.relative_to(ROOT)} imports {private} from {node.module}"


# Run by the fresh venv's Python in a student's folder: the notebooks' setup cell, as Jupyter runs it (IPython).
RUN_SETUP_CELL = """import json, sys
from IPython.core.interactiveshell import InteractiveShell
result = InteractiveShell.instance().run_cell(json.load(sys.stdin))
result.raise_error()
print(InteractiveShell.instance().user_ns["dd"].__file__)
"""


def _build_artefacts() -> list[str]:
    """What a wheel's build would leave in the repository: dist/, an egg-info, build/lib or build/bdist.*
    (the other tests' own files, such as hypothesis's, may come and go meanwhile)."""
    return sorted([path.name for path in ROOT.iterdir() if path.name == "dist" or path.name.endswith(".egg-info")]
                  + [path.name for path in (ROOT / "build").glob("*") if path.name.startswith(("lib", "bdist"))])


def _dependencies_without_the_suite(folder: Path) -> Path:
    """This interpreter's site-packages as links, less the suite's own editable install: the packages a mirror
    would give (no download here), for a fresh venv that must install the suite itself."""
    folder.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("deepdream_suite", "__editable__", "deepdream")):
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.mark.slow
def test_the_setup_cell_installs_the_wheel_beside_the_notebook_in_a_fresh_venv_and_it_dreams(tmp_path):
    from deepdream import course

    student, venv = tmp_path / "student", tmp_path / "venv"  # a folder as the release hands it out
    before = _build_artefacts()
    wheel = course.build_wheel(student)
    assert wheel.parent == student and wheel.name.startswith("deepdream_suite-")
    assert _build_artefacts() == before, "the build wrote into the repository"
    shutil.copy(ROOT / "notebooks" / "01_noise_single_layer.ipynb", student)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(f"{_dependencies_without_the_suite(tmp_path / 'mirror')}\n")
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DEEPDREAM_OUTPUTS")}
    environment |= {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # nothing may come from the network
    setup = "".join(json.loads((student / "01_noise_single_layer.ipynb").read_text())["cells"][2]["source"])
    said = {}
    for run in ("installs", "finds it installed"):
        done = subprocess.run([str(python), "-c", RUN_SETUP_CELL], input=json.dumps(setup), cwd=student,
                              capture_output=True, text=True, timeout=300, env=environment)
        assert done.returncode == 0, (run, done.stdout[-2000:], done.stderr[-2000:])
        assert Path(done.stdout.split()[-1]).is_relative_to(site), (run, done.stdout)
        said[run] = done.stdout + done.stderr
    assert "restart the kernel" in said["installs"] and "restart" not in said["finds it installed"]
    dreamed = subprocess.run([str(venv / "bin" / "deepdream"), "--noise", "96x96", "--steps", "2", "-q", "-o", "x.png"],
                             cwd=student, capture_output=True, text=True, timeout=300, env=environment)
    assert dreamed.returncode == 0, dreamed.stderr
    assert (student / "x.png").is_file() and (student / "x.png.json").is_file()
    mountain = "import deepdream_utils as dd; print(dd.IMAGES_DIR / 'mountain.jpg')"  # the wheel's own
    imported = subprocess.run([str(python), "-c", mountain], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, env=environment)
    assert Path(imported.stdout.strip()).is_file() and Path(imported.stdout.strip()).is_relative_to(site)


@pytest.mark.parametrize("package", ["deepdream", "deepdream.web"])
def test_each_package_docstring_names_every_module_it_holds(package):
    folder = ROOT.joinpath(*package.split("."))
    docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
    names = [path.stem for path in folder.glob("*.py") if path.stem != "__init__"]
    names += [path.name for path in folder.iterdir() if (path / "__init__.py").exists()]
    unnamed = [name for name in sorted(names) if f"``{name}``" not in docstring]
    assert unnamed == [], f"{package}'s docstring does not name {unnamed}"


def test_pictures_are_encoded_as_jpeg_in_one_place_only():
    encoders = re.compile(r"imencode\(|\.save\([^)]*[\"']JPEG[\"']|format=[\"']JPEG[\"']")
    found = [str(path.relative_to(ROOT)) for path in _modules() if encoders.search(path.read_text())]
    assert found == ["deepdream/files.py"]
