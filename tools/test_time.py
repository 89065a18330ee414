"""How long the last `make test` took, against the test budget for this machine (`make test-time`).

`make test` writes pytest's JUnit XML to build/test-results.xml; this reads it and prints:

* the run's pytest time, and the budget on this machine: 35 minutes on the slowest machine measured so
  far (75 GFLOP/s on a 2048x2048 float32 matrix product), scaled by this machine's own rate, measured here;
* each test process's share: its busy seconds and when it finished (the two should finish within a
  minute of each other);
* the seconds of each group of work (a notebook or a test file), and the 10 slowest tests.

It asserts nothing and times nothing itself but the matrix product: run it on an idle machine.

    python tools/test_time.py [build/test-results.xml] [--slowest 10]
"""

from __future__ import annotations

import argparse
import collections
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "build" / "test-results.xml"
REFERENCE_GFLOPS = 75.0  # the slowest machine measured so far
BUDGET_MINUTES = 35.0  # make test there, minutes of pytest


def matmul_gflops(n: int = 2048, runs: int = 5) -> float:
    """The best rate of ``runs`` float32 ``n``x``n`` matrix products, in GFLOP/s."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = np.random.default_rng(1).random((n, n), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def read_results(path: Path) -> tuple[float, list[dict]]:
    """The run's wall seconds and one dict per test: name, group, seconds, worker, end (epoch seconds)."""
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    tests = []
    for case in suite.iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        group = case.get("classname", "").replace(".", "/")
        tests.append({"name": f"{case.get('classname')}::{case.get('name')}", "group": group,
                      "seconds": float(case.get("time", 0)), "worker": properties.get("worker", "?"),
                      "end": float(properties.get("ended", 0))})
    return float(suite.get("time", 0)), tests


def report(path: Path, slowest: int) -> None:
    wall, tests = read_results(path)
    gflops = matmul_gflops()
    budget = BUDGET_MINUTES * REFERENCE_GFLOPS / gflops
    verdict = "within" if wall / 60 <= budget else "OVER"
    print(f"{len(tests)} tests in {wall / 60:.1f} min of pytest ({path})")
    print(f"budget on this machine: {budget:.1f} min ({gflops:.0f} GFLOP/s; {BUDGET_MINUTES:.0f} min at "
          f"{REFERENCE_GFLOPS:.0f} GFLOP/s): {verdict}")
    start = min((t["end"] - t["seconds"] for t in tests if t["end"]), default=0)
    print("\nprocess  busy s  finished at s")
    for worker in sorted({t["worker"] for t in tests}):
        mine = [t for t in tests if t["worker"] == worker]
        finished = max(t["end"] for t in mine) - start if start else float("nan")
        print(f"{worker:>7}  {sum(t['seconds'] for t in mine):6.0f}  {finished:13.0f}")
    groups = collections.Counter()
    for test in tests:
        groups[test["group"]] += test["seconds"]
    print("\nseconds  group (a notebook or a test file)")
    for group, seconds in groups.most_common(15):
        print(f"{seconds:7.1f}  {group}")
    print(f"\nthe {slowest} slowest tests:")
    for test in sorted(tests, key=lambda t: -t["seconds"])[:slowest]:
        print(f"{test['seconds']:7.1f}  {test['name']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS, help="pytest's JUnit XML")
    parser.add_argument("--slowest", type=int, default=10, help="how many of the slowest tests to list")
    options = parser.parse_args()
    if not options.results.exists():
        raise SystemExit(f"No test results at {options.results}: run `make test` first.")
    report(options.results, options.slowest)


if __name__ == "__main__":
    main()
