"""What the job queue's engine costs and gives: prints measurements, asserts nothing.

    python benchmarks/bench_queue.py        # (or `make bench-queue`) about 8 minutes on 2 cores

Prints:
  * the float32 matrix-multiply rate, to compare machines;
  * the queue's overhead: the same 512-px dream of the mountain through ``POST /deepdream`` on
    ``deepdream serve`` (SQLite store: the start image, progress and result go through it) and in this
    process (``dream_octaves`` alone), alternately after a warm-up each (target: at most 5 %);
  * jobs per minute at the page's defaults (the mountain at 768 px, 12 steps x 3 octaves), JOBS jobs sent
    at once by JOBS browsers: one worker, two worker threads in the server, and Redis with two
    ``deepdream worker`` processes (the several-machines set-up, here on one machine), with the CPU the
    processes used (cores busy, from /proc);
  * the web process's memory over 200 small jobs (a 96x96 noise dream each, of 32 layers in turn, more than
    the model cache keeps), after every 50.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from bench_dream import matmul_gflops  # noqa: E402
from bench_web import in_process, through_service  # noqa: E402

import deepdream_utils as dd  # noqa: E402
from deepdream.model import KEEP_BUILT  # noqa: E402
from tests.helpers import DreamWorker, RedisServer, Server  # noqa: E402

MOUNTAIN = ROOT / "images" / "mountain.jpg"
ROUNDS = 3
JOBS = 4
SMALL = {"noise": "96x96", "steps": "2", "octaves": "1", "layers": "mixed3"}
# 32 layers, more than the model cache keeps: its memory is measured full and turning over
CYCLED_LAYERS = [*(f"mixed{n}" for n in range(8)), *(f"conv2d_{n}" for n in range(10, 58, 2))]
PAGE = {"max_side": "768"}  # the page's defaults: 768 px, 12 steps x 3 octaves (curl without max_side gets 1024)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of these processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wait_done(session: requests.Session, url: str, job_id: str) -> dict:
    while True:
        status = session.get(f"{url}/api/jobs/{job_id}", timeout=60).json()
        if status["state"] in ("done", "failed", "cancelled"):
            return status
        time.sleep(0.25)


def one_browser(url: str, form: dict[str, str], image: bool = True) -> dict:
    session = requests.Session()
    session.get(url + "/", timeout=60)
    files = {"image": ("mountain.jpg", MOUNTAIN.read_bytes())} if image else None
    job = session.post(url + "/api/jobs", files=files, data=form, timeout=60).json()
    return wait_done(session, url, job["id"])


def jobs_per_minute(url: str, pids: list[int]) -> tuple[float, float]:
    """JOBS page-default dreams sent at once by JOBS browsers: (jobs per minute, cores busy)."""
    one_browser(url, PAGE)  # warm-up: the model built, the step traced
    cpu, started = cpu_seconds(pids), time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        statuses = list(pool.map(lambda _: one_browser(url, PAGE), range(JOBS)))
    wall = time.perf_counter() - started
    assert all(status["state"] == "done" for status in statuses), statuses
    return JOBS / wall * 60, (cpu_seconds(pids) - cpu) / wall


def main() -> None:
    print(f"matmul 2048x2048 float32: {matmul_gflops():.1f} GFLOP/s")

    server = Server("--per-client", "8")
    try:  # the queue's overhead, alternately
        dm = dd.dream_model(["mixed3"])
        start = dd.load_image(MOUNTAIN, max_side=512)
        through_service(server.url, {"layers": "mixed3", "steps": "12", "octaves": "3", "step_size": "0.015",
                                     "max_side": "512"})
        in_process(dm, start)
        served, alone = [], []
        for _ in range(ROUNDS):
            served.append(through_service(server.url, {"layers": "mixed3", "steps": "12", "octaves": "3",
                                                       "step_size": "0.015", "max_side": "512"}))
            alone.append(in_process(dm, start))
        overhead = statistics.median(served) / statistics.median(alone) - 1
        print(f"512-px dream through POST /deepdream (SQLite queue), median of {ROUNDS}: "
              f"{statistics.median(served):.2f} s ({', '.join(f'{s:.2f}' for s in served)})")
        print(f"the same in this process, median: {statistics.median(alone):.2f} s "
              f"({', '.join(f'{s:.2f}' for s in alone)})")
        print(f"the service's overhead with the queue (target: at most 5 %): {overhead * 100:+.1f} %")
    finally:
        server.stop()
    del dm

    for label, threads in (("one worker (serve)", "1"), ("two worker threads (serve --workers 2)", "2")):
        server = Server("--workers", threads)
        try:
            rate, cores = jobs_per_minute(server.url, [server.process.pid])
            print(f"{label}: {rate:.2f} jobs per minute at the page's defaults, {cores:.2f} cores busy")
        finally:
            server.stop()
    if shutil.which("redis-server"):
        redis = RedisServer()
        server = Server("--broker", redis.url, "--workers", "0")
        workers = [DreamWorker(redis.url) for _ in range(2)]
        try:
            rate, cores = jobs_per_minute(server.url, [server.process.pid, redis.process.pid] +
                                          [worker.process.pid for worker in workers])
            print(f"Redis, two `deepdream worker` processes: {rate:.2f} jobs per minute, {cores:.2f} cores busy")
        finally:
            for worker in workers:
                worker.stop()
            server.stop()
            redis.stop()
    else:
        print("Redis: skipped (no redis-server: apt-get install redis-server)")

    server = Server("--per-client", "8", "--queue", "16")
    try:  # memory over 200 small jobs, 8 browsers at a time
        rss = []
        for batch in range(25):
            fields = [SMALL | {"layers": CYCLED_LAYERS[(8 * batch + n) % len(CYCLED_LAYERS)]} for n in range(8)]
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(lambda form: one_browser(server.url, form, image=False), fields))
            assert all(status["state"] == "done" for status in statuses), statuses
            if batch in (0, 6, 12, 18, 24):
                rss.append(server.rss_mb())
        print(f"the web process's memory after 8, 56, 104, 152, 200 small jobs, each of {len(CYCLED_LAYERS)} layers "
              f"in turn (the model cache keeps {KEEP_BUILT}): " + ", ".join(f"{mb:.0f}" for mb in rss) + " MB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
