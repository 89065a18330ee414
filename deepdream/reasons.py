"""Why a student lost points, in words they act on: read from a graded notebook's error outputs.

nbgrader records that a check cell failed; these turn its error (``NotImplementedError``, a ``NameError``,
an ``AssertionError``'s message, a timeout, a canary's flag) into one sentence per missing point, and say
why a notebook could not be graded at all (a kernel that died, a limit, a file that is no notebook).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import nbformat

from deepdream import canaries
from deepdream.i18n import gettext as _
from deepdream.submissions import ASSIGNMENT


def failure_in_plain_words(text: str) -> str:
    """Why nbgrader could not grade a notebook, from its log and error, in words a student acts on."""
    if re.search(r"DeadKernelError|Kernel died|kernel died", text):
        return _("its kernel died, so it was not graded: the code ended Python (os._exit, a crash) or used "
                 "more memory than the limit")
    if re.search(r"NotJSONError|not valid JSON|Notebook does not appear to be JSON|Unreadable Notebook", text):
        return _("it is not a notebook nbgrader can read (not valid JSON): hand in the .ipynb file Jupyter saves")
    if re.search(r"UnresponsiveKernelError|kernel became unresponsive", text):
        return _("its kernel stopped answering, even the interrupt at the limit per cell, so it was not graded: "
                 "a loop that ignores Ctrl-C (SIGINT)?")
    lines = [line for line in text.splitlines() if line.strip() and "NbGraderException" not in line]
    last = re.sub(r"^\[[^\]]*\]\s*", "", lines[-1].strip()) if lines else "nbgrader failed"  # no log prefix
    return _("it could not be graded ({why})").format(why=last[:300])


def _last_function(traceback: list[str]) -> str | None:
    """The innermost function a traceback names (``in layer_loss(model, x)`` -> ``layer_loss``)."""
    names = re.findall(r"in (\w+)\(", re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(traceback)))
    return names[-1] if names else None


def in_plain_words(output: Mapping, cell_limit: float) -> str:
    """Why a check failed, from its error output, in words a student acts on."""
    name, value = output.get("ename", ""), str(output.get("evalue", "")).strip()
    if name == "NotImplementedError":
        function = _last_function(output.get("traceback", []))
        return _("{function} is not written yet (it still raises NotImplementedError)").format(
            function=function or _("an exercise"))
    if name == "NameError":
        missing = re.search(r"name '(\w+)' is not defined", value)
        return _("{name} is not defined: its exercise cell is not written, or it failed").format(
            name=missing.group(1) if missing else value)
    if name in ("CellTimeoutError", "KeyboardInterrupt"):
        return _("stopped after the {limit:g}-second limit per cell: the code runs too long (an endless loop?)").format(
            limit=cell_limit)
    if name in ("AssertionError", "BorrowedReference"):  # the check's own words; a borrowed answer names it
        return value or _("a check failed")
    if name == canaries.FLAGGED:
        return value
    return f"{name}: {value}" if value else name


def notebook_reasons(course: Path, student: str, name: str, grades, cell_limit: float) -> list[str]:
    """One sentence per missing point of one notebook, read from the graded copy's error outputs."""
    graded = Path(course) / "autograded" / student / ASSIGNMENT / f"{name}.ipynb"
    if not (Path(course) / "submitted" / student / ASSIGNMENT / f"{name}.ipynb").exists():
        return [_("{name}: not submitted ({name}.ipynb is missing from the submission)").format(name=name)]
    if not graded.exists():
        return [_("{name}: could not be graded (is it a valid notebook?)").format(name=name)]
    cells = nbformat.read(graded, as_version=4).cells
    errors = {cell.metadata.get("nbgrader", {}).get("grade_id"): [o for o in cell.get("outputs", [])
                                                                   if o.get("output_type") == "error"]
              for cell in cells if cell.cell_type == "code"}
    flags = [o for outputs in errors.values() for o in outputs if o.get("ename") == canaries.FLAGGED]
    if flags:  # one sentence for the notebook, not one per check
        return [f"{name}: {flags[0].get('evalue') or _('flagged for review')}"]
    reasons = []
    if any(o.get("ename") == "CellTimeoutError" for outputs in errors.values() for o in outputs):
        reasons.append(_("{name}: a cell ran past the {limit:g}-second limit per cell and was stopped").format(
            name=name, limit=cell_limit))
    for grade in grades:
        lost = (grade.max_score or 0) - (grade.score or 0)
        if lost > 1e-9:
            outputs = errors.get(grade.name) or []
            why = in_plain_words(outputs[-1], cell_limit) if outputs else _("the check did not pass")
            reasons.append(f"{name}, {grade.name} (-{lost:g}): {why}")
    return reasons
