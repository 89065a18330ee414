"""What grading a class costs, one student at a time and several at once: prints measurements, asserts nothing.

    python benchmarks/bench_grade.py [--students 8] [--jobs 1 2]   # (or `make bench-grade`) about 8 min on 2 cores

A course is released in a temporary folder, and STUDENTS students each hand in the instructor's notebooks 01
and 02 (the honest partial student: rubric grade 7). The class is graded in the sandbox with ``JOBS=1``, then
from the same start with ``JOBS=2``; then graded again, with nothing changed. Prints:
  * the float32 matrix-multiply rate, to compare machines;
  * for each JOBS: the wall time, seconds per student, the cores busy (the whole machine's, from /proc/stat:
    run it on an idle machine), and the speed-up over JOBS=1;
  * the second run's time, when every submission is unchanged (it grades nobody).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_dream import matmul_gflops  # noqa: E402

from deepdream import course as course_module  # noqa: E402

HANDED_IN = ("01_noise_single_layer", "02_noise_multi_layer")


def _machine_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (user, nice, system), from /proc/stat: the sandboxed
    kernels run in namespaces of their own, where this process's rusage does not reach."""
    fields = Path("/proc/stat").read_text().split("\n")[0].split()[1:]
    return sum(int(value) for value in fields[:3]) / os.sysconf("SC_CLK_TCK")


def _class(released: Path, folder: Path, students: int) -> Path:
    course = folder / "course"
    shutil.copytree(released, course)
    for number in range(students):
        submitted = course / "submitted" / f"student_{number:02d}" / "deepdream"
        submitted.mkdir(parents=True)
        for name in HANDED_IN:
            shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", submitted)
    return course


def _graded(course: Path, jobs: int) -> tuple[float, float, list[dict]]:
    cpu, started = _machine_cpu_s(), time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rows = course_module.grade(course, jobs=jobs)
    return time.perf_counter() - started, _machine_cpu_s() - cpu, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    options = parser.parse_args()
    print(f"matmul: {matmul_gflops():.0f} GFLOP/s (float32); {options.students} students, each 01 and 02")
    with tempfile.TemporaryDirectory(prefix="deepdream-bench-grade-") as work:
        work = Path(work)
        released = work / "released"
        course_module.release(released)
        first = None
        for jobs in options.jobs:
            course = _class(released, work / f"jobs_{jobs}", options.students)
            seconds, cpu, rows = _graded(course, jobs)
            first = first or seconds
            grades = sorted({row["rubric_grade"] for row in rows})
            print(f"JOBS={jobs}: {seconds:6.1f} s, {seconds / options.students:5.1f} s a student, "
                  f"{cpu / seconds:.2f} cores busy, x{first / seconds:.2f} the speed of JOBS={options.jobs[0]}"
                  f" (rubric grades: {grades})", flush=True)
        seconds, _, _ = _graded(course, options.jobs[-1])
        print(f"again, nothing changed: {seconds:.1f} s (nobody graded again; the feedback and grades.csv rebuilt)")


if __name__ == "__main__":
    main()
