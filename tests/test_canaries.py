"""The canaries: a check cell must end with its canary's error, or the notebook is flagged and earns nothing."""

import nbformat
import pytest
from nbformat import NotebookNode

from deepdream import canaries

CHECK = {"grade": True, "grade_id": "check_loss", "points": 2, "locked": True, "solution": False}


def _notebook():
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade": False, "grade_id": "exercise",
                                                                  "solution": True}}),
        nbformat.v4.new_code_cell("# Checks loss\nassert x == 1", metadata={"nbgrader": dict(CHECK)}),
        nbformat.v4.new_code_cell("print('given')"),
    ])


def _error(name, value):
    return NotebookNode(output_type="error", ename=name, evalue=value, traceback=[f"{name}: {value}"])


def _run(outputs_of_the_check):
    """Adds the canaries, 'executes' (gives the check the outputs asked for), checks the canaries."""
    notebook, resources = canaries.AddCanaries().preprocess(_notebook(), {})
    nonce = resources[canaries.NONCE_KEY]
    check = notebook.cells[1]
    check.outputs = [_error(*output) if isinstance(output, tuple) else output
                     for output in outputs_of_the_check(f"{canaries.CANARY} {nonce}")]
    return canaries.CheckCanaries().preprocess(notebook, resources)[0], check


def test_only_check_cells_get_a_canary_with_a_new_nonce_each_time():
    first, resources = canaries.AddCanaries().preprocess(_notebook(), {})
    second, again = canaries.AddCanaries().preprocess(_notebook(), {})
    assert first.cells[1].source.endswith(f"assert False, '{canaries.CANARY} {resources[canaries.NONCE_KEY]}'\n")
    assert resources[canaries.NONCE_KEY] != again[canaries.NONCE_KEY]
    assert first.cells[0].source == "x = 1" and first.cells[2].source == "print('given')"


def test_a_check_that_ran_to_its_canary_passes_with_its_code_and_outputs_as_they_were():
    notebook, check = _run(lambda marker: [NotebookNode(output_type="stream", name="stdout", text="ok\n"),
                                           ("AssertionError", marker)])
    assert check.source == "# Checks loss\nassert x == 1" and canaries.SOURCE_KEY not in check.metadata
    assert [output.output_type for output in check.outputs] == ["stream"]


def test_a_check_that_really_fails_keeps_its_own_error_and_nothing_is_flagged():
    notebook, check = _run(lambda marker: [("AssertionError", "the loss must be one number")])
    assert [(output.ename, output.evalue) for output in check.outputs] == [
        ("AssertionError", "the loss must be one number")]


def test_a_check_that_vanished_flags_every_check_of_the_notebook():
    notebook, check = _run(lambda marker: [])
    (flag,) = check.outputs
    assert flag.ename == canaries.FLAGGED
    assert flag.evalue.startswith("flagged for review: the checks of this notebook did not run to their end "
                                  "(check_loss)")


def test_a_canary_with_another_nonce_does_not_count():
    notebook, check = _run(lambda marker: [("AssertionError", f"{canaries.CANARY} 0123456789abcdef01234567")])
    assert [output.ename for output in check.outputs] == ["AssertionError"], "a forged canary is a failure"


def test_grading_puts_the_canaries_around_nbgraders_execute():
    chain = [option.split("=", 1)[1] for option in canaries.nbgrader_options()]
    execute = chain.index("nbgrader.preprocessors.Execute")
    assert chain[execute - 1:execute + 2] == ["deepdream.canaries.AddCanaries", "nbgrader.preprocessors.Execute",
                                              "deepdream.canaries.CheckCanaries"]
    assert chain.index("nbgrader.preprocessors.SaveAutoGrades") > execute + 1


TAMPERING = {  # a student's cell that makes later check cells look as if they passed
    "input transformer": "get_ipython().input_transformers_post.append(lambda lines: [])",
    "AST transformer": ("import ast\n\n\nclass Blank(ast.NodeTransformer):\n"
                        "    def visit_Module(self, node):\n        node.body = []\n        return node\n\n\n"
                        "get_ipython().ast_transformers.append(Blank())"),
    "patched showtraceback": "get_ipython().showtraceback = lambda *args, **kwargs: None",
    "custom exception handler": "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)",
}


def _graded_in_a_real_kernel(tmp_path, exercise: str, check: str):
    """The canaries around a real kernel's run (as nbgrader's Execute runs it: errors allowed); the check cell."""
    from nbconvert.preprocessors import ExecutePreprocessor

    notebook = _notebook()
    notebook.cells[0].source, notebook.cells[1].source = exercise, f"# Checks loss\n{check}"
    notebook, resources = canaries.AddCanaries().preprocess(notebook, {"metadata": {"path": str(tmp_path)}})
    ExecutePreprocessor(timeout=60, kernel_name="python3", allow_errors=True).preprocess(notebook, resources)
    return canaries.CheckCanaries().preprocess(notebook, resources)[0].cells[1]


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
def test_a_kernel_tampered_with_flags_a_failing_check_that_would_have_looked_passed(tmp_path, tampering):
    check = _graded_in_a_real_kernel(tmp_path, f"x = 1\n{TAMPERING[tampering]}", "assert x == 2, 'x must be 2'")
    assert [output.ename for output in check.outputs if output.output_type == "error"] == [canaries.FLAGGED]


def test_in_an_untouched_kernel_a_passing_check_passes_and_a_failing_one_keeps_its_error(tmp_path):
    passing = _graded_in_a_real_kernel(tmp_path, "x = 1", "assert x == 1")
    assert [output for output in passing.outputs if output.output_type == "error"] == []
    failing = _graded_in_a_real_kernel(tmp_path, "x = 1", "assert x == 2, 'x must be 2'")
    assert [(output.ename, output.evalue) for output in failing.outputs if output.output_type == "error"] == [
        ("AssertionError", "x must be 2")]
