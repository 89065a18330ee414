"""A class graded: one worker process per student, N students at once, one writer of the gradebook, resumable.

``deepdream.course`` grades a class through ``grade_class``:

* each student is graded by a worker process of their own (``python -m deepdream.grading worker``): nbgrader's
  autograde, one notebook at a time, in the grading sandbox (``deepdream.sandbox``), against a *scratch*
  gradebook that holds the assignment and nothing of the classmates. The worker writes, after each notebook,
  which notebooks it graded and why any could not be (``results.json``, plain data);
* up to ``jobs`` workers run at once; past the limit per student a worker is killed with every process it
  started, and what it had graded still counts;
* the parent alone writes the course's gradebook: it merges each finished student's scores from their
  scratch gradebook, then records in ``grading_state.json`` a digest of what they handed in and of the
  grading's settings. A later run grades only the students whose digest changed, and Ctrl-C or a crash keeps
  every grade merged before it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from deepdream import canaries, files, reasons, sandbox
from deepdream.i18n import LANGUAGE_VARIABLE, language
from deepdream.i18n import gettext as _
from deepdream.runtime import GRADING_VARIABLE, OneLineParser
from deepdream.submissions import ASSIGNMENT

STATE_FILE = "grading_state.json"  # in the course folder: each graded student's digest and what was not graded
RESULTS_FILE = "results.json"  # in a worker's folder: {notebook: None when graded, else why not}
RESULTS_LIMIT = 1 << 20  # bytes of results.json the parent reads at most
POLL_S = 0.2  # how often the parent looks at its workers


def _folder_digest(folder: Path) -> str:
    """A digest of every file under ``folder``: names and contents (empty when there is no folder)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def submission_digest(course: Path, student: str, settings: dict) -> str:
    """What a student's grade depends on: their submitted files, the assignment's source (its hidden tests)
    and the grading's settings; a student whose digest is unchanged since their last grade is not graded again."""
    course = Path(course)
    parts = [_folder_digest(course / "submitted" / student / ASSIGNMENT),
             _folder_digest(course / "source" / ASSIGNMENT), json.dumps(settings, sort_keys=True)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def read_state(course: Path) -> dict[str, dict]:
    """``{student: {"digest": ..., "failures": {notebook: why it was not graded}}}`` from the last runs."""
    path = Path(course) / STATE_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, or cut short: every student is graded again
        return {}


def _write_json(path: Path, data: dict) -> None:
    """Writes ``data`` as JSON at ``path``: a crash or Ctrl-C leaves the old file or the new one, never half."""
    text = json.dumps(data, indent=1, ensure_ascii=False).encode()
    files.write_atomically(path, lambda file: file.write(text), overwrite=True, suffixes=(".json",))


def nbgrader_environment() -> dict[str, str]:
    """This process's environment with its Python's scripts first on PATH (nbgrader runs ``alembic`` from PATH to
    make a new gradebook, and it must be this Python's, a venv's), speaking the language in use (the course's)."""
    return {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            LANGUAGE_VARIABLE: language()}


# --------------------------------------------------------------------------- the gradebooks


@contextlib.contextmanager
def _scripts_on_path() -> Iterator[None]:
    """``nbgrader_environment``'s PATH in this process, while a gradebook is made here."""
    before = os.environ.get("PATH", "")
    os.environ["PATH"] = nbgrader_environment()["PATH"]
    try:
        yield
    finally:
        os.environ["PATH"] = before


def copy_assignment(source_url: str, target_url: str, course_id: str) -> None:
    """Makes ``target_url`` a gradebook with the assignment of ``source_url`` (its notebooks, cells and hidden
    tests) and no student: what each worker's scratch gradebook starts as."""
    from nbgrader.api import Gradebook

    with _scripts_on_path(), Gradebook(source_url, course_id) as source, Gradebook(target_url, course_id) as target:
        assignment = source.find_assignment(ASSIGNMENT)
        target.update_or_create_assignment(ASSIGNMENT, duedate=assignment.duedate)
        for notebook in assignment.notebooks:
            target.update_or_create_notebook(notebook.name, ASSIGNMENT, kernelspec=notebook.kernelspec)
            where = (notebook.name, ASSIGNMENT)
            for cell in notebook.grade_cells:
                target.update_or_create_grade_cell(cell.name, *where, max_score=cell.max_score,
                                                   cell_type=cell.cell_type)
            for cell in notebook.task_cells:
                target.update_or_create_task_cell(cell.name, *where, max_score=cell.max_score,
                                                  cell_type=cell.cell_type)
            for cell in notebook.solution_cells:
                target.update_or_create_solution_cell(cell.name, *where)
            for cell in notebook.source_cells:
                target.update_or_create_source_cell(cell.name, *where, cell_type=cell.cell_type, locked=cell.locked,
                                                    source=cell.source, checksum=cell.checksum)


def merge_student(scratch_url: str, course_url: str, course_id: str, student: str,
                  outcome: dict[str, str | None]) -> None:
    """Writes one student's autograded scores from their scratch gradebook into the course's, as nbgrader's
    autograde would have (a grader's manual score is kept, and marks the grade for review).

    Args:
        outcome: notebook -> None when it was graded, else why not: its grades become 0.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    with (warnings.catch_warnings(), Gradebook(scratch_url, course_id) as scratch,
          Gradebook(course_url, course_id) as gradebook):
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission warns of its own objects
        gradebook.update_or_create_student(student)
        try:
            timestamp = scratch.find_submission(ASSIGNMENT, student).timestamp
        except MissingEntry:  # the worker graded nothing
            timestamp = None
        gradebook.update_or_create_submission(ASSIGNMENT, student, timestamp=timestamp)
        for name, failure in outcome.items():
            ours = gradebook.find_submission_notebook(name, ASSIGNMENT, student)
            theirs = None if failure else scratch.find_submission_notebook(name, ASSIGNMENT, student)
            scores = {grade.name: grade.auto_score for grade in theirs.grades} if theirs else {}
            comments = {comment.name: comment.auto_comment for comment in theirs.comments} if theirs else {}
            for grade in ours.grades:
                grade.auto_score = scores.get(grade.name, 0.0)
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for comment in ours.comments:
                comment.auto_comment = comments.get(comment.name)
            ours.late_submission_penalty = theirs.late_submission_penalty if theirs else None
        gradebook.db.commit()


# --------------------------------------------------------------------------- one student, in a worker process


@contextlib.contextmanager
def _captured(log: logging.Logger) -> Iterator[io.StringIO]:
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    log.addHandler(handler)
    try:
        yield text
    finally:
        log.removeHandler(handler)


def grade_student(course: Path, student: str, names: list[str], work: Path, cell_limit: float,
                  sandboxed: bool) -> None:
    """Grades one student's notebooks ``names``, one at a time, into the scratch gradebook ``work/gradebook.db``; after
    each notebook, ``work/results.json`` says which were graded and why any could not be. Runs in the worker
    process (``python -m deepdream.grading worker``), which the parent kills past the limit per student.
    """
    from nbgrader.apps.autogradeapp import AutogradeApp
    from nbgrader.converters import Autograde

    course, work = Path(course).resolve(), Path(work).resolve()
    submitted = course / "submitted" / student / ASSIGNMENT
    options = [f"--Execute.timeout={int(cell_limit)}", *canaries.nbgrader_options()]
    os.environ |= {GRADING_VARIABLE: "1", "MPLBACKEND": "Agg"}
    if sandboxed:
        folder = work / "sandbox"
        os.environ |= sandbox.prepare(folder, submitted)  # the pictures a grading run saves go to its scratch
        os.environ["JUPYTER_PATH"] = str(sandbox.kernelspec(work / "jupyter"))
        options += sandbox.nbgrader_options(folder)
    else:
        os.environ["DEEPDREAM_OUTPUTS"] = str(work / "outputs")
        options += ["--Execute.kernel_name=python3"]
    app = AutogradeApp()
    app.initialize([ASSIGNMENT, f"--student={student}", "--force", f"--CourseDirectory.root={course}",
                    f"--CourseDirectory.db_url=sqlite:///{work / 'gradebook.db'}", *options])
    app.coursedir.assignment_id = ASSIGNMENT
    results: dict[str, str | None] = {}
    for name in names:
        app.coursedir.notebook_id = name
        with _captured(app.log) as log:
            try:
                Autograde(coursedir=app.coursedir, parent=app).start()
                results[name] = None
            except Exception as error:  # nbgrader's own, a dead kernel, a notebook that is no JSON...
                results[name] = reasons.failure_in_plain_words(f"{log.getvalue()}\n{type(error).__name__}: {error}")
        _write_json(work / RESULTS_FILE, results)


# --------------------------------------------------------------------------- the class, in the parent


@dataclass
class _Worker:
    student: str
    names: list[str]
    work: Path
    process: subprocess.Popen
    started: float


def _start(course: Path, student: str, names: list[str], cell_limit: float, sandboxed: bool,
           blank: Path) -> _Worker:
    work = Path(tempfile.mkdtemp(prefix=f"deepdream-grading-{student[:40]}-"))
    os.chmod(work, 0o755)  # the sandbox user passes through to its own folder
    shutil.copyfile(blank, work / "gradebook.db")
    command = [sys.executable, "-m", "deepdream.grading", "worker", str(course), student, str(work), *names,
               f"--cell-limit={cell_limit}", *([] if sandboxed else ["--unsandboxed"])]
    with open(work / "worker.log", "wb") as log:
        process = subprocess.Popen(command, cwd=course, env=nbgrader_environment(), stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return _Worker(student, names, work, process, time.monotonic())


def _stop(worker: _Worker) -> None:
    """Kills the worker's process group (its kernels too: whatever outlived it), and waits for the worker."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait()


def _outcome(worker: _Worker, timed_out: bool, student_limit: float) -> dict[str, str | None]:
    """What the worker said of each notebook; the ones it never finished, why."""
    try:
        with open(worker.work / RESULTS_FILE, "rb") as file:
            said = json.loads(file.read(RESULTS_LIMIT))
    except (OSError, ValueError):
        said = {}
    outcome = {name: said[name] for name in worker.names
               if name in said and (said[name] is None or isinstance(said[name], str))}
    if len(outcome) == len(worker.names):
        return outcome
    if timed_out:
        why = _("grading ran past the {limit:g}-second limit per student and was stopped").format(limit=student_limit)
    else:
        with open(worker.work / "worker.log", "rb") as file:  # its tail: a crash's last words
            file.seek(max(0, file.seek(0, os.SEEK_END) - 3000))
            log = file.read().decode(errors="replace")
        why = reasons.failure_in_plain_words(f"{log}\ngrading ended with exit status {worker.process.returncode}")
    return {name: outcome.get(name, why) for name in worker.names}


def grade_class(course: Path, everyone: list[str], notebooks: list[str], jobs: int, cell_limit: float,
                sandboxed: bool, student_limit: float, url: str, course_id: str,
                say: Callable[[str], None] = print) -> dict[str, dict[str, str]]:
    """Grades every student whose submission changed since their last grade, ``jobs`` at a time; returns
    ``{student: {notebook: why it was not graded}}`` for the whole class (from this run and the earlier ones).

    Args:
        everyone: the students with a submission.
        notebooks: the assignment's notebooks, in order; a student's others are not graded.
        url, course_id: the course's gradebook, which only this process writes.
        say: where each finished student's line goes.
    """
    course = Path(course).resolve()
    settings = {"cell_limit": cell_limit, "student_limit": student_limit, "sandboxed": sandboxed}
    state = {student: entry for student, entry in read_state(course).items() if student in everyone}
    digests = {student: submission_digest(course, student, settings) for student in everyone}
    waiting = [student for student in everyone if state.get(student, {}).get("digest") != digests[student]]
    if len(waiting) < len(everyone):
        say(f"{len(everyone) - len(waiting)} student(s) unchanged since their last grade: not graded again")
    running: list[_Worker] = []
    blank = Path(tempfile.mkdtemp(prefix="deepdream-grading-")) / "gradebook.db"
    if waiting:
        copy_assignment(url, f"sqlite:///{blank}", course_id)
    try:
        while waiting or running:
            while waiting and len(running) < max(1, jobs):
                student = waiting.pop(0)
                submitted = course / "submitted" / student / ASSIGNMENT
                names = [name for name in notebooks if (submitted / f"{name}.ipynb").exists()]
                running.append(_start(course, student, names, cell_limit, sandboxed, blank))
            time.sleep(POLL_S)
            for worker in list(running):
                timed_out = time.monotonic() - worker.started > student_limit
                if worker.process.poll() is None and not timed_out:
                    continue
                _stop(worker)
                running.remove(worker)
                outcome = _outcome(worker, timed_out, student_limit)
                merge_student(f"sqlite:///{worker.work / 'gradebook.db'}", url, course_id, worker.student, outcome)
                failures = {name: why for name, why in outcome.items() if why}
                state[worker.student] = {"digest": digests[worker.student], "failures": failures}
                _write_json(course / STATE_FILE, state)
                shutil.rmtree(worker.work, ignore_errors=True)
                say(f"graded {worker.student} in {time.monotonic() - worker.started:.0f} s"
                    + "".join(f"; {name} not graded: {why}" for name, why in failures.items()))
    finally:  # Ctrl-C, or a crash here: the workers go, the grades merged so far stay
        for worker in running:
            _stop(worker)
            shutil.rmtree(worker.work, ignore_errors=True)
        shutil.rmtree(blank.parent, ignore_errors=True)
    return {student: state[student]["failures"] for student in everyone if state[student]["failures"]}


def main(argv: list[str] | None = None) -> int:
    """``python -m deepdream.grading worker COURSE STUDENT WORK``: grades one student (``grade_class`` runs it)."""
    parser = OneLineParser(prog="deepdream.grading", description=_(__doc__.split("\n")[0]))  # one catalog entry
    parser.add_argument("command", choices=["worker"])
    parser.add_argument("course", type=Path)
    parser.add_argument("student")
    parser.add_argument("work", type=Path)
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--cell-limit", type=float, required=True)
    parser.add_argument("--unsandboxed", action="store_true")
    options = parser.parse_args(argv)
    grade_student(options.course, options.student, options.notebooks, options.work, options.cell_limit,
                  sandboxed=not options.unsandboxed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
