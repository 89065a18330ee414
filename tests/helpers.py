"""Small helpers several test files share: running the command line and the server, a real browser, making
pictures and clips, and looking for what a failed write could leave behind."""

import contextlib
import hashlib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def run_cli(*args, cwd=ROOT, **kwargs) -> subprocess.CompletedProcess:
    """``deepdream ARGS`` (``python -m deepdream.cli``): the command line, as a student runs it, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "deepdream.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, **kwargs)


def run_main(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    """``deepdream ARGS`` through ``cli.main`` in this process, from the folder ``cwd``, as ``run_cli`` would run it.

    For the tests whose subject is the dream, the files and the messages, not the process: it saves
    TensorFlow's start-up in a fresh process (seconds each), and the dream models built once serve every
    test. Returns what ``run_cli`` returns: the exit status (an argparse error's ``SystemExit`` included)
    and what was printed to stdout and stderr.
    """
    from deepdream import cli

    stdout, stderr, here = io.StringIO(), io.StringIO(), os.getcwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                status = cli.main([str(arg) for arg in args])
            except SystemExit as exit:  # argparse's --help and its errors
                status = exit.code if isinstance(exit.code, int) else 1
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["deepdream", *map(str, args)], status, stdout.getvalue(), stderr.getvalue())


def run_python(code: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """``python -c CODE`` in a fresh process (to see, say, which modules an import loads)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, **kwargs)


def wait_for_job(client, job_id: str, until=("done", "failed", "cancelled"), timeout: float = 120) -> dict:
    """Polls ``GET /api/jobs/<id>`` through a Flask test client until the job's state is in ``until``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/jobs/{job_id}").get_json()
        if status["state"] in until:
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {status['state']} after {timeout} s")



# -- the web app through Flask's test client ------------------------------------------------------------------------
SMALL_DREAM = {"layers": "mixed3", "steps": "2", "octaves": "1", "max_side": "96"}  # a dream of about a second
LONG_DREAM = {"layers": "mixed3", "steps": "200", "octaves": "1", "max_side": "96"}  # runs until cancelled


def png_bytes(width=96, height=64, colour=(40, 120, 200)) -> bytes:
    """A PNG file of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def photo_bytes(width=128, height=96) -> bytes:
    """A photo-like start (a smooth ramp with a few shapes): dreams change it visibly."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height)], axis=-1)
    pixels[20:50, 30:70] = (230, 200, 40)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def dream_form(data=None, name="photo.png", **fields) -> dict:
    """A small dream's multipart form, with ``data`` as its image file."""
    form = dict(SMALL_DREAM) | fields
    if data is not None:
        form["image"] = (io.BytesIO(data), name)
    return form


def post_dream(client, route, data=None, name="photo.png", **fields):
    """Posts a small dream (of ``data``, else a PNG) to ``route`` through a Flask test client."""
    return client.post(route, data=dream_form(png_bytes() if data is None else data, name, **fields),
                       content_type="multipart/form-data")


def assert_clear_error(response, status, pattern) -> None:
    """A refusal as the web app promises it: ``status``, JSON, a message matching ``pattern``, no traceback."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    message = response.get_json()["error"]
    assert re.search(pattern, message), message
    assert "Traceback" not in message and 'File "' not in message


@pytest.fixture(scope="module", name="app")
def small_app():
    """The ``app`` fixture of the web app's tests (a module imports it): a small app, its queue in memory."""
    from deepdream import web

    app = web.create_app(web.Settings(queue=2, max_upload_mb=1, keep_jobs=3, max_side=1024))
    yield app
    app.extensions["deepdream"].close()


@pytest.fixture(name="client")
def small_client(app):
    """The ``client`` fixture beside it: a Flask test client that leaves no dream running for the next test."""
    yield app.test_client()
    cancel_running(app)


def cancel_running(app) -> None:
    """Cancels the app's waiting and running dreams, and waits for them: no dream left for the next test."""
    service = app.extensions["deepdream"]
    with service._lock:
        jobs = list(service._jobs.values())
    for job in jobs:
        if job.state in ("queued", "running"):
            service.cancel(job)
            job.ended.wait(60)


def leftovers(folder: Path) -> list[str]:
    """Hidden files in ``folder``: what a write that was not atomic would leave."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gradient_rgb(width: int = 40, height: int = 30) -> np.ndarray:
    """A uint8 RGB picture with a different colour at every pixel."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // (width - 1), y * 255 // (height - 1), np.full_like(x, 128)],
                    axis=-1).astype(np.uint8)


def grey_ramp_16_bit(path: Path) -> Path:
    """A 16-bit grey PNG from black to white (300x200)."""
    Image.fromarray(np.linspace(0, 65535, 60000).reshape(200, 300).astype(np.uint16)).save(path)
    return path


def ffmpeg(*args) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", *map(str, args)], check=True, capture_output=True, timeout=120)


def make_clip(path: Path, frames: int = 12, size: str = "96x64", rate: int = 12, audio: bool = True) -> Path:
    """An H.264 clip of exactly ``frames`` frames of ffmpeg's test pattern, with a tone if ``audio``."""
    sources = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]
    if audio:
        sources += ["-f", "lavfi", "-i", "sine=frequency=440"]
    ffmpeg(*sources, "-frames:v", frames, "-t", frames / rate, "-c:v", "libx264", "-pix_fmt", "yuv420p",
           *(["-c:a", "aac"] if audio else []), path)
    return path


def streams(path: Path) -> tuple[dict, list[np.ndarray]]:
    """A video's metadata and its frames (uint8 RGB), as ffmpeg reads them."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    frames = [np.frombuffer(f, np.uint8).reshape(meta["size"][1], meta["size"][0], 3).copy() for f in reader]
    return meta, frames


def with_ctrl_c() -> None:
    """``preexec_fn`` for a child that will get SIGINT: Ctrl-C's default handling, as in a terminal.

    A shell starts background jobs with SIGINT ignored, and children inherit that; a test run started
    so (``make test &``) would otherwise see a child that cannot be interrupted.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class DeepdreamCommand:
    """``python -m deepdream.cli ARGS`` in a subprocess, started once it prints a line beginning with ``ready``;
    every line it prints is kept in ``lines``."""

    def __init__(self, args: list[str], ready: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deepdream.cli", *args], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ | {"PYTHONUNBUFFERED": "1"},
            preexec_fn=with_ctrl_c)
        self.lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if line.startswith(ready):
                self.ready_line = line
                self._drainer = threading.Thread(target=self._drain, daemon=True)
                self._drainer.start()
                return
        self.process.kill()
        raise AssertionError(f"deepdream {args[0]} did not print {ready!r}:\n" + "".join(self.lines))

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def kill(self) -> None:
        """SIGKILL: no goodbye, as when the machine loses power or runs out of memory."""
        self.process.kill()
        self.process.wait(timeout=60)
        self._drainer.join(timeout=10)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        finally:
            self.process.kill()
            self._drainer.join(timeout=10)  # every line it printed, its last one included


class Server(DeepdreamCommand):
    """``deepdream serve`` in a subprocess on a free loopback port, its history in a temporary folder."""

    def __init__(self, *options: str):
        self.data_dir = None
        if "--data-dir" not in options:  # never the user's own data folder
            self.data_dir = tempfile.mkdtemp(prefix="deepdream-test-data-")
            options = (*options, "--data-dir", self.data_dir)
        super().__init__(["serve", "--port", "0", *options], "DeepDream web app on http://")
        self.url = self.ready_line.split()[4].rstrip("/")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024

    def stop(self) -> int:
        try:
            return super().stop()
        finally:
            if self.data_dir is not None:
                shutil.rmtree(self.data_dir, ignore_errors=True)


def chromium(profile: Path | None = None, width: int = 1200, height: int = 1300, fake_camera: Path | None = None,
             language: str | None = None):
    """Debian's headless Chromium through chromium-driver (Selenium); skips the test, saying why, without them.

    Args:
        profile: a user-data folder (another folder is another browser, with its own cookies).
        width, height: the window's size in CSS pixels.
        fake_camera: a .y4m clip the browser's camera plays (in a loop), granted without asking.
        language: the browser's language (``zh-CN``): its interface's, and the Accept-Language it sends.
    """
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("no Chromium: apt-get install chromium chromium-driver (.ci/run does) to run the browser test")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--window-size={width},{height}", *([f"--user-data-dir={profile}"] if profile else []),
                 *(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={fake_camera}"] if fake_camera else [])):
        options.add_argument(flag)
    if language:
        options.add_argument(f"--lang={language}")
        options.add_experimental_option("prefs", {"intl.accept_languages": f"{language},{language.split('-')[0]}"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """Debian's ``redis-server`` on a free loopback port, not saved to disk; skips the test, saying why, without it."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("no redis-server: apt-get install redis-server (.ci/run does) to run the several-machines test")
        port = free_port()
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        finally:
            self.process.kill()


class DreamWorker(DeepdreamCommand):
    """``deepdream worker --broker URL`` in a subprocess; ``name`` is what the job status calls it."""

    def __init__(self, broker: str):
        super().__init__(["worker", "--broker", broker], "DeepDream worker ")
        self.name = self.ready_line.split()[2]


def rewrite_cell(path: Path, grade_id: str, source: str) -> None:
    """Replaces the code of one cell nbgrader marked ``grade_id`` in the notebook at ``path``, as a student might."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(cells) == 1
    cells[0].source = source
    nbformat.write(notebook, path)


def pan_clip(mountain: np.ndarray, path: Path, frames: int, fps: float, size=(320, 180)) -> Path:
    """A camera panning over the mountain (known motion), written as H.264."""
    from deepdream import flow, videofiles

    clip = flow.panning_clip(mountain, frames=frames, size=size, speed=(3.0, 0.5))
    return videofiles.write_video(clip, path, fps, size)


def duration_and_frames(path: Path) -> tuple[float, int]:
    """A video file's seconds (its last frame's time, to the millisecond) and its frames, as ffmpeg decodes them.

    Each frame's time comes from ffmpeg's ``showinfo`` filter: ``count_frames_and_secs`` reads the progress
    line instead, which is cut to hundredths of a second and can lag a frame, as much as the tests' tolerance.
    """
    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path),
                           "-vf", "showinfo", "-f", "null", "-"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    times = [float(time) for time in re.findall(r"pts_time:\s*(-?[\d.]+)", done.stderr)]
    assert times, f"ffmpeg decoded no frame of {path}"
    return max(times), len(times)


STORE_BACKENDS = ["memory", "sqlite", "redis"]


def open_store(request, tmp_path):
    """The queue's store on the backend ``request.param`` names (Redis: Debian's redis-server on loopback,
    started for the test and stopped after it)."""
    from deepdream.web.store import Store

    if request.param == "redis":
        redis = RedisServer()
        request.addfinalizer(redis.stop)
        return Store.open(broker=redis.url)
    return Store.open(data_dir=tmp_path) if request.param == "sqlite" else Store.open()


PAGE_TEXTS = ("web/templates/**.html", "web/static/**.js")  # the web pages' texts: their templates and scripts


def marked_texts(*where: str) -> set[str]:
    """The texts the package marks for its catalog in the files ``where`` (globs under ``deepdream/``), found by
    Babel's extractors as ``pybabel extract`` would: ``_()`` and ``N_()`` in modules, ``_()`` and ``{% trans %}``
    in templates, ``_()`` in scripts (the first argument: ``_("{n} of {total}", { n, total })``)."""
    from babel.messages.extract import extract_from_dir
    from jinja2.ext import babel_extract

    extractors = {".py": "python", ".html": babel_extract, ".js": "javascript"}
    methods = [(glob, extractors[Path(glob).suffix]) for glob in where]
    found = extract_from_dir(str(ROOT / "deepdream"), methods, keywords={"_": None, "N_": None, "gettext": None})
    return {message[0] if isinstance(message, tuple) else message for _, _, message, _, _ in found} - {None}
