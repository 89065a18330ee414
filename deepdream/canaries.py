"""Checks that cannot be skipped: every check cell must prove, in the grading run, that it ran to its end.

A student's cell can change the kernel's IPython machinery so that later check cells run as nothing: an
input or AST transformer that blanks them, a ``showtraceback`` or custom exception handler that swallows
their errors. nbgrader would then give full points to a check cell that printed no error. So, for the
grading run only (``python -m deepdream.course grade`` adds these two nbgrader preprocessors around
nbgrader's ``Execute``):

* ``AddCanaries`` ends every check cell with ``assert False, "<canary> <nonce>"``, the nonce new for each
  notebook, so the cell must end with that error;
* ``CheckCanaries`` restores each check cell's code, and removes that error where it came; where it did
  not (the cell, or its error, was made to vanish), every check of the notebook gets an error output
  ``FlaggedForReview`` that says so, which scores the notebook 0, and the reasons say it was flagged.

A genuine failure before the last line keeps its own error, as before. What this does not catch: a
transformer written against this very canary (it is open source), which keeps the last line only.
"""

from __future__ import annotations

import secrets
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from deepdream.i18n import gettext as _

CANARY = "deepdream grading canary"  # the message every check cell must end with, before its nonce
FLAGGED = "FlaggedForReview"  # the error name of a check that did not prove it ran
FLAG_MESSAGE = ("flagged for review: the checks of this notebook did not run to their end ({cells}), so an "
                "earlier cell changed the kernel (an input or AST transformer, showtraceback, or a custom "
                "exception handler); the notebook scores 0 until a teacher has looked at it")
SOURCE_KEY = "deepdream_check_source"  # where a check cell's own code waits during the run
NONCE_KEY = "deepdream_canary_nonce"  # the notebook's nonce, in the preprocessors' shared resources


def _is_check(cell: NotebookNode) -> bool:
    marks = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(marks.get("grade")) and bool(marks.get("points"))


class AddCanaries(NbGraderPreprocessor):
    """Before nbgrader's Execute: every check cell ends with an assertion that must fail with this nonce."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        nonce = secrets.token_hex(12)
        resources[NONCE_KEY] = nonce
        for cell in nb.cells:
            if _is_check(cell):
                cell.metadata[SOURCE_KEY] = cell.source
                cell.source = f"{cell.source.rstrip()}\n\nassert False, {f'{CANARY} {nonce}'!r}\n"
        return nb, resources


class CheckCanaries(NbGraderPreprocessor):
    """After nbgrader's Execute: each check's code back, its canary error removed, or every check flagged."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        marker = f"{CANARY} {resources.get(NONCE_KEY, '')}"
        checks, silent = [], []
        for cell in nb.cells:
            if not _is_check(cell) or SOURCE_KEY not in cell.metadata:
                continue
            cell.source = cell.metadata.pop(SOURCE_KEY)
            checks.append(cell)
            errors = [output for output in cell.outputs if output.output_type == "error"]
            canary = [output for output in errors if marker in str(output.get("evalue", ""))]
            cell.outputs = [output for output in cell.outputs if output not in canary]
            if not errors:  # no canary and no failure of its own: the check did not run to its end
                silent.append(cell.metadata["nbgrader"].get("grade_id", "a check"))
        if silent:
            message = _(FLAG_MESSAGE).format(cells=", ".join(silent))
            for cell in checks:
                cell.outputs.append(NotebookNode(output_type="error", ename=FLAGGED, evalue=message,
                                                 traceback=[f"{FLAGGED}: {message}"]))
        return nb, resources


def nbgrader_options() -> list[str]:
    """nbgrader's command-line options for autograde's preprocessors: its own, with the canaries around Execute."""
    chain = ["deepdream.canaries.AddCanaries", "nbgrader.preprocessors.Execute", "deepdream.canaries.CheckCanaries",
             "nbgrader.preprocessors.IgnorePattern", "nbconvert.preprocessors.ClearMetadataPreprocessor",
             "nbgrader.preprocessors.LimitOutput", "nbgrader.preprocessors.SaveAutoGrades",
             "nbgrader.preprocessors.AssignLatePenalties", "nbgrader.preprocessors.CheckCellMetadata"]
    return [f"--Autograde.autograde_preprocessors={name}" for name in chain]
