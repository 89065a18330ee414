"""The test run's own set-up (conftest.py): each file a group on one process, picture checks after notebooks."""

from pathlib import Path

import pytest

from conftest import MEASURED_ORDER, WORKER, unit_of_work


def test_a_test_runs_in_its_files_group(request):
    if not WORKER:
        pytest.skip("not under pytest-xdist (-n 0): no groups")
    # pytest-xdist's --dist loadgroup adds the group to the node id; a pytest it cannot do that with (9.2)
    # would silently spread a file's tests, and a module's fixtures, over both processes.
    assert request.node.nodeid.endswith("@test_conftest.py")


def test_each_notebooks_picture_check_runs_in_its_group_after_its_last_cell(request):
    items = request.session.items
    notebooks = sorted({item.path.name for item in items if item.path.suffix == ".ipynb"})
    if not notebooks:
        pytest.skip("no notebook collected in this run")
    for name in notebooks:
        cells = [index for index, item in enumerate(items) if item.path.name == name]
        checks = [index for index, item in enumerate(items) if item.path.suffix == ".py" and unit_of_work(item) == name]
        assert checks and min(checks) > max(cells), name
        if WORKER:
            assert all(items[index].nodeid.endswith(f"@{name}") for index in cells + checks), name


def test_the_measured_order_names_only_files_that_exist():
    root = Path(__file__).resolve().parents[1]
    existing = {path.name for path in [*root.glob("notebooks/*.ipynb"), *root.glob("tests/test_*.py")]}
    assert set(MEASURED_ORDER) <= existing, set(MEASURED_ORDER) - existing
