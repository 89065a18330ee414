"""The course module: a map of what the notebooks use, each name the package's own, reaching no application."""

import ast
import inspect
from pathlib import Path

import grimp

import deepdream_utils as dd

ROOT = Path(__file__).resolve().parents[1]
COURSE_MODULE = ROOT / "deepdream_utils.py"
APPLICATIONS = ("deepdream.__main__", "deepdream.cli", "deepdream.course", "deepdream.grading", "deepdream.reasons",
                "deepdream.web", "deepdream.video", "deepdream.sandbox", "deepdream.canaries", "deepdream.submissions",
                "deepdream.live", "deepdream.flow", "deepdream.videofiles", "deepdream.channels")


def _package_objects() -> dict[str, object]:
    """The functions and classes the course module lists, by name."""
    return {name: getattr(dd, name) for name in dd.__all__
            if inspect.isfunction(getattr(dd, name)) or inspect.isclass(getattr(dd, name))}


def test_every_name_the_course_lists_is_there():
    missing = [name for name in dd.__all__ if not hasattr(dd, name)]
    assert not missing and len(set(dd.__all__)) == len(dd.__all__)


def test_the_course_module_defines_no_code_of_its_own_only_the_packages_names():
    tree = ast.parse(COURSE_MODULE.read_text())
    defined = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assert defined == []
    assert {name: obj.__module__ for name, obj in _package_objects().items()
            if not obj.__module__.startswith("deepdream.")} == {}


def test_the_docstring_says_in_which_file_each_listed_function_lives():
    where = {name: "deepdream/" + obj.__module__.split(".")[1] + ".py" for name, obj in _package_objects().items()}
    unsaid = {name: path for name, path in where.items() if path not in dd.__doc__}
    assert unsaid == {}
    assert "deepdream/dream.py" in dd.__doc__ and "deepdream/step.py" in dd.__doc__


def test_the_loops_and_the_step_are_the_engines_so_the_applications_dream_the_same():
    from deepdream import dream, step

    assert (dd.dream, dd.dream_octaves, dd.zoom_dream) == (dream.dream, dream.dream_octaves, dream.zoom_dream)
    assert dd.gradient_ascent_step is step.gradient_ascent_step


def test_the_course_module_reaches_no_application_even_through_lazy_imports():
    graph = grimp.build_graph("deepdream", include_external_packages=False)
    imported = set()
    for node in ast.walk(ast.parse(COURSE_MODULE.read_text())):  # at any depth: a function's imports too
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "deepdream":
            imported |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in graph.modules
                         else node.module for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names if alias.name.split(".")[0] == "deepdream"}
    reached = set(imported)
    for module in imported:
        reached |= graph.find_upstream_modules(module)
    assert "deepdream.dream" in reached and "deepdream.step" in reached
    assert sorted(module for module in reached if module.startswith(APPLICATIONS)) == []
