"""How live the live dream is: prints measurements, asserts nothing.

    python benchmarks/bench_live.py        # (or `make bench-live`) about 3 minutes on 2 cores

On a camera panning over the mountain (``deepdream.flow.panning_clip``, 640x360), with mixed3 and the
default strength, at 256, 320 and 480 px wide and 1 and 2 steps a frame, it prints:
  * the float32 matrix-multiply rate, to compare machines;
  * **through HTTP**, as the /live page does it: ``deepdream serve`` on a free loopback port, and a client
    that sends the newest frame as a JPEG of that width as soon as the last dream came back, for
    SECONDS seconds: frames per second, and the latency from sending a frame to holding its dream
    (median and 95th percentile; the page adds its canvas grab, a few milliseconds);
  * **where the time goes**, in this process, on the same frames: JPEG decode, resize, optical flow (two,
    for the forward-backward check), the dream step(s), JPEG encode; and HTTP: the median latency less the
    server's own time for the frame (``X-Live-Dream-Seconds``) and the JPEG decode and encode (the round
    trip, the multipart form, Flask and waitress).
  * **beside a queued job** (``deepdream.web.scheduler``: live frames first, the job yields between its
    steps): 320x180 at 1 step with a long dream of the mountain running in the same server; the live fps
    and latency, and the job's steps done in those seconds against as many seconds without live frames.
The target: at least 5 frames a second at 320x180 with a latency of at most 0.5 s.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import requests  # noqa: E402
from bench_dream import matmul_gflops  # noqa: E402

import deepdream_utils as dd  # noqa: E402
from deepdream import flow, live  # noqa: E402
from tests.helpers import Server  # noqa: E402

SECONDS = 10.0  # each setting's run through HTTP, after a warm-up
WIDTHS = (256, 320, 480)
STEPS = (1, 2)


def camera() -> list[np.ndarray]:
    mountain = dd.load_image(dd.IMAGES_DIR / "mountain.jpg", max_side=1024)
    return flow.panning_clip(mountain, frames=300, size=(640, 360), speed=(2.0, 0.5))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def through_http(url: str, frames: list[np.ndarray], width: int, steps: int) -> dict[str, float]:
    """The page's loop: the newest frame, sent when the last dream is back; fps and latencies."""
    session = requests.Session()
    session.get(url + "/live", timeout=30)  # the browser's id cookie: one live session
    fields = {"width": str(width), "steps": str(steps), "layer": "mixed3"}
    height = live.LiveSettings(width=width).frame_size(640, 360)[1]
    encoded = [live.encode_jpeg(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)) for frame in frames]

    def send(number: int) -> tuple[float, float]:
        started = time.perf_counter()
        response = session.post(url + "/api/live/frame", data=fields,
                                files={"frame": ("frame.jpg", encoded[number % len(encoded)], "image/jpeg")},
                                timeout=60)
        response.raise_for_status()
        return time.perf_counter() - started, float(response.headers["X-Live-Dream-Seconds"])

    clock = time.perf_counter()
    for number in range(3):  # warm-up: the model for this size
        send(number)
    latencies, dreams, shown, begun = [], [], [], time.perf_counter()
    while time.perf_counter() - begun < SECONDS:
        number = int((time.perf_counter() - clock) * 30)  # the camera's newest frame, at 30 frames a second
        latency, dream = send(number)
        latencies.append(latency)
        dreams.append(dream)
        shown.append(time.perf_counter())
    session.delete(url + "/api/live", timeout=30)
    return {"fps": (len(shown) - 1) / (shown[-1] - shown[0]), "latency_median": statistics.median(latencies),
            "latency_p95": percentile(latencies, 95), "server": statistics.median(dreams)}


def parts(frames: list[np.ndarray], width: int, steps: int) -> dict[str, float]:
    """Median seconds of each part of a live frame, in this process."""
    dreamer = live.LiveDreamer(live.LiveSettings(width=width, steps=steps))
    height = dreamer.settings.frame_size(640, 360)[1]
    times: dict[str, list[float]] = {"decode": [], "resize": [], "flow": [], "dream": [], "encode": []}
    dreamer.dream(frames[0])
    for frame in frames[1:40:2]:
        data = live.encode_jpeg(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA))
        started = time.perf_counter()
        picture = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        times["decode"].append(time.perf_counter() - started)
        dreamed = dreamer.dream(picture)
        for name in ("resize", "flow", "dream"):
            times[name].append(dreamer.seconds[name])
        started = time.perf_counter()
        live.encode_jpeg(dreamed)
        times["encode"].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def beside_a_job(url: str, frames: list[np.ndarray]) -> tuple[dict[str, float], float, float]:
    """Live at 320 px, 1 step, while a long queued job runs: the live figures, and the job's steps a second
    while live frames came and before them."""
    session = requests.Session()
    with open(ROOT / "images" / "mountain.jpg", "rb") as photo:
        job = session.post(url + "/api/jobs", files={"image": ("mountain.jpg", photo)}, timeout=60,
                           data={"max_side": "512", "steps": "200", "octaves": "1", "layers": "mixed3"}).json()

    def steps_done() -> int:
        return session.get(url + job["status_url"], timeout=30).json()["steps_done"]

    while steps_done() < 2:  # running, its model built
        time.sleep(0.1)
    before = steps_done()
    time.sleep(SECONDS)
    alone = steps_done() - before
    before, started = steps_done(), time.perf_counter()
    http = through_http(url, frames, 320, 1)  # 3 warm-up frames, then SECONDS of frames
    beside = (steps_done() - before) / (time.perf_counter() - started)
    session.delete(url + job["status_url"], timeout=30)
    return http, alone / SECONDS, beside


def main() -> None:
    print(f"matmul: {matmul_gflops():.0f} GFLOP/s (float32), to compare machines")
    frames = camera()
    measured = {}
    for width in WIDTHS:
        for steps in STEPS:
            measured[width, steps] = parts(frames, width, steps)
    server = Server()
    try:
        print(f"\n{'size':>8s} {'steps':>5s} {'fps':>5s} {'latency median':>14s} {'p95':>6s}   where a frame's "
              "time goes (ms): decode, resize, flow, dream, encode, HTTP")
        for width in WIDTHS:
            height = live.LiveSettings(width=width).frame_size(640, 360)[1]
            for steps in STEPS:
                http = through_http(server.url, frames, width, steps)
                part = measured[width, steps]
                coding = part["decode"] + part["encode"]  # the server's own resize, flow and dream: X-Live-…
                rest = http["latency_median"] - http["server"] - coding
                print(f"{width:>4d}x{height:<3d} {steps:5d} {http['fps']:5.1f} "
                      f"{1000 * http['latency_median']:11.0f} ms {1000 * http['latency_p95']:4.0f} ms   "
                      + ", ".join(f"{1000 * part[name]:.0f}" for name in part) + f", {1000 * max(0.0, rest):.0f}",
                      flush=True)
        http, alone, beside = beside_a_job(server.url, frames)
        print(f"\nbeside a queued job (512-px mountain, mixed3): 320x180, 1 step: {http['fps']:.1f} fps, latency "
              f"median {1000 * http['latency_median']:.0f} ms, p95 {1000 * http['latency_p95']:.0f} ms; the job's "
              f"steps a second: {beside:.2f} while live frames came, {alone:.2f} before", flush=True)
    finally:
        server.stop()
    print("\nTarget: at least 5 frames a second at 320x180, latency at most 0.5 s.")


if __name__ == "__main__":
    main()
