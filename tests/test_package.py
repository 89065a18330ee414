"""The package as a maintainer and a student meet it: modules readable whole, tests that mirror them,
no private names across modules, and a wheel that works outside the repository."""

import ast
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


@pytest.mark.slow
def test_the_wheel_installs_and_dreams_in_a_fresh_venv_outside_the_repository(tmp_path):
    source, dist, venv, work = tmp_path / "source", tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    work.mkdir()
    source.mkdir()  # what the build reads, copied: the build leaves nothing in the working tree
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "deepdream_utils.py"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("deepdream", "images"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
                           cwd=source, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(dist.glob("*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    # The wheel's dependencies are this interpreter's (no download here): its site-packages, added as a
    # plain path, so that the repository's own editable install is not seen.
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DEEPDREAM_OUTPUTS")}
    imported = subprocess.run([str(python), "-c", "import deepdream_utils as dd; print(dd.__file__); "
                               "print((dd.IMAGES_DIR / 'mountain.jpg').is_file())"],
                              cwd=work, capture_output=True, text=True, timeout=120, env=environment)
    assert imported.returncode == 0, imported.stderr
    where, mountain = imported.stdout.split()
    assert Path(where).is_relative_to(venv) and mountain == "True"
    dreamed = subprocess.run([str(venv / "bin" / "deepdream"), "--noise", "96x96", "--steps", "2", "-q", "-o", "x.png"],
                             cwd=work, capture_output=True, text=True, timeout=300, env=environment)
    assert dreamed.returncode == 0, dreamed.stderr
    assert (work / "x.png").is_file() and (work / "x.png.json").is_file()


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
