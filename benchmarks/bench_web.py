"""What the web service costs: prints measurements, asserts nothing.

    python benchmarks/bench_web.py          # (or `make bench-web`) about 4 minutes on 2 cores

Starts ``deepdream serve`` on a free loopback port and prints:
  * the float32 matrix-multiply rate, to compare machines;
  * the same 512-px dream of the mountain (mixed3, 12 steps x 3 octaves, the page's settings) through
    ``POST /deepdream`` (upload, decoding, queue, dream, JPEG, HTTP) and in this process (``dream_octaves``
    alone), measured alternately after one warm-up each, and the service's overhead (target: at most 5 %);
  * 8 such jobs queued at once through ``POST /api/jobs``: each one's wait in the queue, run time, and the
    time left the service estimated when it was accepted;
  * one dream with the page's defaults (768 px), which should finish within a minute on 2 cores;
  * the live preview at the page's defaults: the time from a job's acceptance to its first preview
    (target: 2 s), and a dream's run time watched as the page watches it (status every 0.5 s, a preview
    at each new step) against unwatched, alternately (the preview's cost; target: at most 3 %);
  * the bytes of the page (HTML, JS, CSS).
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from bench_dream import matmul_gflops  # noqa: E402

import deepdream_utils as dd  # noqa: E402
from deepdream import recipe as cli  # noqa: E402
from deepdream.web import app as web  # noqa: E402

MOUNTAIN = ROOT / "images" / "mountain.jpg"
FORM = {"layers": "mixed3", "steps": "12", "octaves": "3", "step_size": "0.015", "max_side": "512"}
ROUNDS = 3
QUEUED = 8
TARGET_OVERHEAD = 0.05
TARGET_PREVIEW_COST = 0.03


def start_server(data_dir: str) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, "-m", "deepdream.cli", "serve", "--port", "0", "--queue", "8",
                               "--per-client", "8", "--data-dir", data_dir],  # one client fills the queue here
                              cwd=ROOT, stdout=subprocess.PIPE, text=True, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    for line in server.stdout:
        if line.startswith("DeepDream web app on http://"):
            return server, line.split()[4].rstrip("/")
    raise SystemExit("the server did not start")


def through_service(url: str, form: dict[str, str] = FORM) -> float:
    started = time.perf_counter()
    with open(MOUNTAIN, "rb") as image:
        answer = requests.post(url + "/deepdream", files={"image": ("mountain.jpg", image)}, data=form, timeout=600)
    answer.raise_for_status()
    return time.perf_counter() - started


def in_process(dm: dd.DreamModel, start) -> float:
    parameters = cli.DEFAULTS | {"layers": {"mixed3": 1.0}, "steps": 12, "octaves": 3, "step_size": 0.015}
    started = time.perf_counter()
    dd.dream_octaves(dm, start, progress=False, **cli.dream_arguments(parameters))
    return time.perf_counter() - started


def queued_jobs(url: str) -> list[dict]:
    accepted = []
    for _ in range(QUEUED):
        with open(MOUNTAIN, "rb") as image:
            answer = requests.post(url + "/api/jobs", files={"image": ("mountain.jpg", image)}, data=FORM, timeout=60)
        accepted.append(answer.json())
    finished = []
    for job in accepted:
        while (status := requests.get(url + job["status_url"], timeout=60).json())["state"] in ("queued", "running"):
            time.sleep(0.5)
        finished.append(status | {"estimated": job["seconds_left"]})
    return finished


def watched_job(url: str, form: dict[str, str], watch: bool) -> tuple[float, float | None, int]:
    """One job through POST /api/jobs, followed as the page follows it (with its preview, if ``watch``).

    Returns its run time in seconds, the seconds from its acceptance to its first preview (None when not
    watched), and the previews fetched.
    """
    with open(MOUNTAIN, "rb") as image:
        job = requests.post(url + "/api/jobs", files={"image": ("mountain.jpg", image)}, data=form, timeout=60).json()
    accepted, first, shown, previews = time.perf_counter(), None, -1, 0
    while (status := requests.get(url + job["status_url"], timeout=60).json())["state"] in ("queued", "running"):
        if watch and status["state"] == "running" and status["steps_done"] != shown:
            shown = status["steps_done"]
            if requests.get(url + job["preview_url"], timeout=60).ok:
                previews += 1
                first = first if first is not None else time.perf_counter() - accepted
        time.sleep(0.5 if first is not None or not watch else 0.05)
    return status["run_seconds"], first, previews


def preview_cost(url: str, form: dict[str, str]) -> None:
    watched, unwatched, firsts = [], [], []
    for _ in range(ROUNDS):
        run, first, previews = watched_job(url, form, True)
        watched.append(run), firsts.append(first)
        unwatched.append(watched_job(url, form, False)[0])
    cost = statistics.median(watched) / statistics.median(unwatched) - 1
    print(f"the live preview at the page's defaults ({previews} previews in the last dream):")
    print(f"  first preview   {statistics.median(firsts):.2f} s after the job was accepted "
          f"{[round(t, 2) for t in firsts]} (target: 2 s)")
    print(f"  run watched     {statistics.median(watched):.2f} s {[round(t, 2) for t in watched]}")
    print(f"  run unwatched   {statistics.median(unwatched):.2f} s {[round(t, 2) for t in unwatched]}")
    print(f"  cost            {100 * cost:+.1f} % (target: at most {100 * TARGET_PREVIEW_COST:.0f} %)")
    static = ROOT / "deepdream" / "web" / "static"
    sizes = {path.name: path.stat().st_size for path in sorted(static.iterdir())}
    print(f"the page: {sum(sizes.values())} bytes ({', '.join(f'{name} {size}' for name, size in sizes.items())}), "
          "nothing from a CDN")


def main() -> None:
    print(f"matmul: {matmul_gflops():.1f} GFLOP/s (float32, 2048x2048)")
    data_dir = tempfile.mkdtemp(prefix="deepdream-bench-")  # the history, not in the user's own folder
    server, url = start_server(data_dir)
    try:
        dm = dd.dream_model("mixed3")
        start = dd.load_image(MOUNTAIN, max_side=512)
        service_times, process_times = [], []
        through_service(url), in_process(dm, start)  # warm-up: models built, steps traced
        for _ in range(ROUNDS):
            service_times.append(through_service(url))
            process_times.append(in_process(dm, start))
        service, process = statistics.median(service_times), statistics.median(process_times)
        print(f"512-px dream ({start.shape[1]}x{start.shape[0]}, {FORM['steps']} steps x {FORM['octaves']} octaves), "
              f"median of {ROUNDS} alternate rounds:")
        print(f"  POST /deepdream {service:.2f} s {[round(t, 2) for t in service_times]}")
        print(f"  in-process      {process:.2f} s {[round(t, 2) for t in process_times]}")
        print(f"  overhead        {100 * (service / process - 1):+.1f} % (target: at most "
              f"{100 * TARGET_OVERHEAD:.0f} %)")
        print(f"{QUEUED} jobs queued at once through POST /api/jobs:")
        jobs = queued_jobs(url)
        for index, job in enumerate(jobs, 1):
            estimate = "none" if job["estimated"] is None else f"{job['estimated']:.1f} s"
            print(f"  job {index}: waited {job['queued_seconds']:6.2f} s, ran {job['run_seconds']:5.2f} s, "
                  f"finished {job['queued_seconds'] + job['run_seconds']:6.2f} s after it was accepted "
                  f"(estimated then: {estimate})")
        print(f"  mean run {statistics.mean(j['run_seconds'] for j in jobs):.2f} s; the last waited "
              f"{jobs[-1]['queued_seconds']:.1f} s")
        defaults = {key: str(value) for key, value in web.FORM_DEFAULTS.items()}
        print(f"the page's defaults ({', '.join(f'{k}={v}' for k, v in defaults.items())}): "
              f"{through_service(url, defaults):.1f} s through POST /deepdream (target: under 60 s on 2 cores)")
        preview_cost(url, defaults)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
