"""The web app and HTTP API: ``deepdream serve`` (or ``make serve``), then open http://127.0.0.1:5000.

The course documents' Flask service, run as a small shared service should be: a production WSGI server
(waitress), one dream at a time from a bounded queue, progress and cancelling, size limits, and a clear
JSON error for every bad request. Nothing is downloaded and nothing is written to disk: uploads,
results and sidecars live in memory, the last ``keep_jobs`` jobs for at most ``keep_seconds``.

    curl -X POST http://localhost:5000/deepdream -F "image=@your_image.jpg" --output deepdream_result.jpg

Routes:
    GET    /                        the page (web/index.html, app.js, style.css: served here, no CDN)
    POST   /deepdream               the documented route: waits its turn in the queue, answers image/jpeg
    POST   /api/jobs                202 and the job's id and URLs
    GET    /api/jobs/<id>           state, queue position, steps done of total, seconds left, error
    GET    /api/jobs/<id>/result    the JPEG, once done
    GET    /api/jobs/<id>/sidecar   the JSON sidecar the command line writes
    DELETE /api/jobs/<id>           cancel (a running dream stops at its next step)
    GET    /api/layers              the layers a dream can use, the form's defaults and limits

Both dream routes take a multipart ``image`` and the optional fields ``layers`` (``mixed3,mixed5=1.5``),
``steps`` (per octave), ``octaves``, ``step_size``, ``seed`` and ``max_side``.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import hashlib
import io
import math
import os
import secrets
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from flask import Flask, Response, jsonify, request, send_file, send_from_directory  # noqa: E402
from werkzeug.exceptions import HTTPException  # noqa: E402

import deepdream_cli as cli  # noqa: E402
import deepdream_io as dio  # noqa: E402  (no TensorFlow: the page and checks load fast)

WEB_DIR = Path(__file__).resolve().parent / "web"
ATLAS = dio.REPO_ROOT / "outputs" / "06_atlas_noise.jpg"  # the layer guide the page shows
SUGGESTED_LAYERS = tuple(f"mixed{i}" for i in range(8))
# The page's defaults (a curl request without max_side gets the server's --max-side instead).
FORM_DEFAULTS: dict[str, Any] = {"layers": "mixed3", "steps": 12, "octaves": 3, "step_size": 0.015, "seed": 0,
                                 "max_side": 768}
# name: (type, smallest, largest); max_side's largest is the server's --max-side.
FORM_LIMITS: dict[str, tuple[type, float, float]] = {
    "steps": (int, 1, 200), "octaves": (int, 1, 8), "step_size": (float, 0.001, 0.1),
    "seed": (int, 0, 2**32 - 1), "max_side": (int, 32, 1024)}
STATES = ("queued", "running", "done", "failed", "cancelled")


@dataclasses.dataclass(frozen=True)
class Settings:
    """How the service is run (the ``deepdream serve`` options)."""

    workers: int = 1  # dreams run at once
    queue: int = 8  # dreams that may wait; one more is answered 503
    max_upload_mb: float = 20.0  # a larger body is answered 413
    max_side: int = 1024  # uploads are shrunk to this longest side (and a form may ask for less)
    keep_jobs: int = 32  # finished jobs kept (the oldest go first)
    keep_seconds: float = 3600.0  # finished jobs are forgotten after this
    wait_seconds: float = 600.0  # POST /deepdream gives up (and cancels its dream) after this


class Refusal(Exception):
    """A request the service refuses: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


class _Cancelled(Exception):
    """Raised inside a dream's step callback when its job was cancelled."""


@dataclasses.dataclass(eq=False)
class Job:
    """One dream: its request, its progress and its outcome."""

    id: str
    parameters: dict[str, Any]
    start: Any  # the start image (dropped once the dream ends)
    dm: Any  # the DreamModel
    input_sha256: str
    total: int  # steps in all octaves
    work: float  # pixel-steps in all octaves (for the time estimates)
    note: str | None  # what the service changed, for example the image shrunk
    start_size: tuple[int, int]  # (height, width) dreamed
    created: float = dataclasses.field(default_factory=time.monotonic)
    state: str = "queued"
    done: int = 0
    started: float | None = None
    first_step: float | None = None  # when step 1 ended (the pace is measured from there: no tracing in it)
    finished: float | None = None
    error: str | None = None
    jpeg: bytes | None = None
    sidecar: dict[str, Any] | None = None
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)
    ended: threading.Event = dataclasses.field(default_factory=threading.Event)


class DreamService:
    """The queue, the worker threads, the cached dream models and the jobs kept."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Condition()
        self._jobs: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self._pending: collections.deque[Job] = collections.deque()
        self._models: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._model_lock = threading.Lock()
        self._seconds_per_work: float | None = None  # measured on finished dreams
        self._closed = False
        self._workers = [threading.Thread(target=self._work, name=f"dreamer-{i}", daemon=True)
                         for i in range(settings.workers)]
        for worker in self._workers:
            worker.start()

    # -- submitting -------------------------------------------------------------------------
    def model_for(self, layers: dict[str, float]) -> Any:
        """The dream model for these layers, built once (a clear ValueError for an unknown layer)."""
        import deepdream_utils as dd

        key = tuple(layers.items())
        with self._model_lock:
            if key not in self._models:
                self._models[key] = dd.dream_model(layers)
                while len(self._models) > 4:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            return self._models[key]

    def submit(self, parameters: dict[str, Any], start: Any, input_sha256: str, note: str | None) -> Job:
        """Checks a dream against its model and queues it; raises Refusal (503 when the queue is full)."""
        import deepdream_utils as dd

        try:
            dm = self.model_for(parameters["layers"])
            dd.check_image_size(dm, start.shape[:2])
        except ValueError as error:
            raise Refusal(str(error)) from None
        shapes = dd.octave_shapes(start.shape[:2], parameters["octaves"], parameters["octave_scale"], dm.min_side)
        job = Job(id=secrets.token_urlsafe(18), parameters=parameters, start=start, dm=dm, input_sha256=input_sha256,
                  total=parameters["steps"] * len(shapes), note=note, start_size=start.shape[:2],
                  work=float(parameters["steps"] * sum(h * w for h, w in shapes)))
        with self._lock:
            self._forget_old()
            if len(self._pending) >= self.settings.queue:
                wait = self._seconds_left(self._pending[0]) if self._pending else None
                raise Refusal(f"The queue is full ({self.settings.queue} dreams waiting): try again in a minute.",
                              503, {"Retry-After": str(max(5, math.ceil(wait or 30)))})
            self._jobs[job.id] = job
            self._pending.append(job)
            self._lock.notify()
        return job

    # -- looking up and cancelling ------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        with self._lock:
            self._forget_old()
            job = self._jobs.get(job_id)
        if job is None:
            raise Refusal(f"No job {job_id!r}: the id is wrong, or the job ended more than "
                          f"{self.settings.keep_seconds / 60:.0f} minutes or {self.settings.keep_jobs} jobs ago "
                          "(results are kept in memory only that long).", 404)
        return job

    def cancel(self, job: Job) -> str:
        """Cancels a queued job at once, a running one at its next step; forgets a finished one."""
        with self._lock:
            if job.state == "queued":
                self._pending.remove(job)
                self._end(job, "cancelled")
            elif job.state == "running":
                job.cancel.set()
                return "cancelling"
            elif job.state in ("done", "failed"):
                self._jobs.pop(job.id, None)
                return "deleted"
            return job.state

    def status(self, job: Job) -> dict[str, Any]:
        """What ``GET /api/jobs/<id>`` answers."""
        with self._lock:
            left = self._seconds_left(job)
            position = self._pending.index(job) + 1 if job.state == "queued" else 0
            return {"id": job.id, "state": job.state, "queue_position": position, "steps_done": job.done,
                    "steps_total": job.total, "seconds_left": None if left is None else round(left, 1),
                    "queued_seconds": round((job.started or job.finished or time.monotonic()) - job.created, 2),
                    "run_seconds": None if job.started is None else
                    round((job.finished or time.monotonic()) - job.started, 2),
                    "error": job.error, "note": job.note, "size": [int(job.start_size[1]), int(job.start_size[0])]}

    def close(self) -> None:
        """Stops the workers after their current step; forgets every job."""
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                job.cancel.set()
            self._lock.notify_all()
        for worker in self._workers:
            worker.join(timeout=30)
        self._jobs.clear()

    # -- inside (call with the lock held) -----------------------------------------------------
    def _seconds_left(self, job: Job) -> float | None:
        """An estimate: a running job's own pace, plus the pace measured on earlier dreams for those queued."""
        if job.state not in ("queued", "running"):
            return 0.0
        ahead = [j for j in self._jobs.values() if j.state == "running"] if job.state == "queued" else [job]
        ahead += list(self._pending)[:self._pending.index(job) + 1] if job.state == "queued" else []
        seconds = 0.0
        for other in ahead:
            if other.state == "running" and other.done >= 2:
                seconds += (time.monotonic() - other.first_step) / (other.done - 1) * (other.total - other.done)
            elif self._seconds_per_work is not None:
                seconds += self._seconds_per_work * other.work * (other.total - other.done) / other.total
            else:
                return None
        return seconds / (self.settings.workers if job.state == "queued" else 1)

    def _end(self, job: Job, state: str, error: str | None = None) -> None:
        job.state, job.error, job.finished, job.start = state, error, time.monotonic(), None
        job.ended.set()

    def _forget_old(self) -> None:
        finished = [job for job in self._jobs.values() if job.ended.is_set()]
        too_old = time.monotonic() - self.settings.keep_seconds
        for index, job in enumerate(finished):
            if index < len(finished) - self.settings.keep_jobs or job.finished < too_old:
                del self._jobs[job.id]

    # -- the workers ---------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                job = self._pending.popleft()
                job.state, job.started = "running", time.monotonic()
            self._run(job)

    def _run(self, job: Job) -> None:
        import deepdream_utils as dd

        def on_step(done: int, total: int) -> None:
            job.done, job.total = done, total
            if done == 1:
                job.first_step = time.monotonic()
            if job.cancel.is_set():
                raise _Cancelled

        try:
            result, history = dd.dream_octaves(job.dm, job.start, progress=False, on_step=on_step,
                                               **cli.dream_arguments(job.parameters))
            seconds = time.monotonic() - job.started
            sidecar = cli.sidecar_record(job.parameters, job.input_sha256, result, history, seconds,
                                         Path(job.parameters["image"]).stem + "_dream.jpg")
            job.jpeg, job.sidecar = dio.jpeg_bytes(result), {"written_by": dio.SUITE_MARK, **sidecar}
            with self._lock:
                if job.done >= 2:  # the pace after step 1, per pixel-step
                    paced = job.work * (job.done - 1) / job.done
                    self._seconds_per_work = (time.monotonic() - job.first_step) / paced
                self._end(job, "done")
        except _Cancelled:
            with self._lock:
                self._end(job, "cancelled", "Cancelled: the dream stopped at its next step.")
        except (ValueError, MemoryError, FloatingPointError) as error:
            with self._lock:
                self._end(job, "failed", str(error))
        except Exception as error:  # a defect: logged in full here, one plain line for the user
            traceback.print_exc(file=sys.stderr)
            with self._lock:
                self._end(job, "failed", f"The dream failed inside the server ({type(error).__name__}); "
                                         "the server's log has the details.")


# --------------------------------------------------------------------------- reading a request

def _number(form: Any, name: str, max_side: int) -> int | float:
    kind, low, high = FORM_LIMITS[name]
    high = min(high, max_side) if name == "max_side" else high
    text = form.get(name, "").strip()
    if not text:
        return FORM_DEFAULTS[name] if name != "max_side" else max_side
    try:
        value = kind(text)
    except ValueError:
        raise Refusal(f"{name} must be a {'whole number' if kind is int else 'number'} from {low:g} to "
                      f"{high:g}, got {text!r}.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Refusal(f"{name} must be from {low:g} to {high:g}, got {text!r}.")
    return value


def read_dream_request(req: Any, settings: Settings) -> tuple[dict[str, Any], Any, str, str | None]:
    """Checks a dream request's form and image; returns (parameters, start image, SHA-256, note).

    Raises:
        Refusal: a clear message for every mistake (no file, not an image, a bad field...).
    """
    known = {"layers", *FORM_LIMITS}
    unknown = sorted(set(req.form) - known)
    if unknown:
        raise Refusal(f"Unknown field(s) {', '.join(unknown)}: the fields are image, {', '.join(sorted(known))}.")
    upload = req.files.get("image")
    if upload is None:
        raise Refusal("No image: send the picture as the multipart field 'image', "
                      "for example curl -F \"image=@photo.jpg\".")
    try:
        layers = cli.parse_layers(req.form.get("layers") or FORM_DEFAULTS["layers"])
    except argparse.ArgumentTypeError as error:
        raise Refusal(f"layers: {error}.") from None
    numbers = {name: _number(req.form, name, settings.max_side) for name in FORM_LIMITS}
    data = upload.read()
    name = Path(upload.filename or "upload.jpg").name[-100:] or "upload.jpg"
    try:
        start = dio.decode_image(data, f"The upload '{name}'", max_side=numbers["max_side"])
    except MemoryError as error:
        raise Refusal(str(error), 413) from None
    except ValueError as error:
        raise Refusal(str(error)) from None
    note = _shrink_note(data, start, numbers["max_side"])
    parameters = {"image": name, "noise": None, **cli.DEFAULTS, "layers": layers, **numbers}
    return parameters, start, hashlib.sha256(data).hexdigest(), note


def _shrink_note(data: bytes, start: Any, max_side: int) -> str | None:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
    if max(width, height) <= max_side:
        return None
    return (f"The image was {width}x{height} pixels; it was dreamed at {start.shape[1]}x{start.shape[0]} "
            f"(longest side {max_side}).")


# --------------------------------------------------------------------------- the app

def create_app(settings: Settings | None = None) -> Flask:
    """The Flask app; its service (queue and workers) is ``app.extensions["deepdream"]``."""
    settings = settings or Settings()
    app = Flask(__name__, static_folder=str(WEB_DIR), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_mb * 1024 * 1024)
    service = DreamService(settings)
    app.extensions["deepdream"] = service
    layer_names: list[str] = []

    def error(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
        response = jsonify(error=message)
        response.status_code = status
        response.headers.update(headers or {})
        return response

    @app.errorhandler(Refusal)
    def refused(refusal: Refusal) -> Response:
        return error(str(refusal), refusal.status, refusal.headers)

    @app.errorhandler(HTTPException)
    def http_error(exception: HTTPException) -> Response:
        if exception.code == 413:
            return error(f"The upload is larger than the {settings.max_upload_mb:g} MB limit: send a smaller "
                         "file (a JPEG of the photo, say).", 413)
        if exception.code == 404:
            return error(f"No such page: {request.path}. The page is /, the API under /api/ "
                         "(see GET /api/layers).", 404)
        return error(f"{exception.name}: {exception.description}", exception.code or 400)

    @app.errorhandler(Exception)
    def defect(exception: Exception) -> Response:  # never a traceback to the client
        traceback.print_exc(file=sys.stderr)
        return error("The server failed on this request; its log has the details.", 500)

    @app.get("/")
    def page() -> Response:
        return send_from_directory(WEB_DIR, "index.html")

    @app.get("/guide/atlas.jpg")
    def atlas() -> Response:
        if not ATLAS.is_file():
            raise Refusal("The layer atlas is not there: run notebook 06 (make dreams).", 404)
        return send_file(ATLAS, mimetype="image/jpeg")

    @app.get("/api/layers")
    def layers() -> Response:
        if not layer_names:
            import deepdream_utils as dd

            layer_names.extend(dd.layer_names())
        limits = dict(FORM_LIMITS) | {"max_side": (int, 32, settings.max_side)}
        return jsonify(layers=layer_names, suggested=list(SUGGESTED_LAYERS), defaults=FORM_DEFAULTS,
                       limits={name: [low, high] for name, (_, low, high) in limits.items()},
                       max_upload_mb=settings.max_upload_mb)

    def job_urls(job: Job) -> dict[str, str]:
        base = f"/api/jobs/{job.id}"
        return {"status_url": base, "result_url": base + "/result", "sidecar_url": base + "/sidecar"}

    @app.post("/api/jobs")
    def submit() -> Response:
        job = service.submit(*read_dream_request(request, settings))
        response = jsonify(**service.status(job), **job_urls(job))
        response.status_code, response.headers["Location"] = 202, f"/api/jobs/{job.id}"
        return response

    @app.post("/deepdream")
    def deepdream() -> Response:
        job = service.submit(*read_dream_request(request, settings))
        if not job.ended.wait(settings.wait_seconds):
            service.cancel(job)
            raise Refusal(f"The dream did not finish within {settings.wait_seconds:g} s (the queue was busy, "
                          "or the dream is large): it was cancelled. Try fewer steps or a smaller max_side, "
                          "or use POST /api/jobs, which does not wait.", 503, {"Retry-After": "60"})
        return _result(job, "image/jpeg")

    def _result(job: Job, mimetype: str) -> Response:
        if job.state != "done":
            why = job.error or f"it is {job.state} ({job.done} of {job.total} steps done)"
            raise Refusal(f"Job {job.id} has no result: {why}", 409)
        stem = Path(job.parameters["image"]).stem + "_dream"
        if mimetype == "image/jpeg":
            response = Response(job.jpeg, mimetype=mimetype)
            response.headers["Content-Disposition"] = f'inline; filename="{_ascii(stem)}.jpg"'
        else:
            response = jsonify(job.sidecar)
            response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(stem)}.jpg.json"'
        response.headers.update({"X-DeepDream-Job": job.id, **({"X-DeepDream-Note": _ascii(job.note)}
                                                                if job.note else {})})
        return response

    @app.get("/api/jobs/<job_id>")
    def status(job_id: str) -> Response:
        job = service.get(job_id)
        return jsonify(**service.status(job), **job_urls(job))

    @app.get("/api/jobs/<job_id>/result")
    def result(job_id: str) -> Response:
        return _result(service.get(job_id), "image/jpeg")

    @app.get("/api/jobs/<job_id>/sidecar")
    def sidecar(job_id: str) -> Response:
        return _result(service.get(job_id), "application/json")

    @app.delete("/api/jobs/<job_id>")
    def cancel(job_id: str) -> Response:
        job = service.get(job_id)
        state = service.cancel(job)
        return jsonify(id=job.id, state=state), 202 if state == "cancelling" else 200

    return app


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode().replace('"', "'")


# --------------------------------------------------------------------------- the server

def build_parser() -> argparse.ArgumentParser:
    parser = cli._OneLineParser(prog="deepdream serve",
                                description="Serve the DeepDream web app and HTTP API with waitress.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this "
                        "machine only; 0.0.0.0 shares it with your network)")
    parser.add_argument("--port", type=int, default=5000, help="port (default: 5000; 0 picks a free one)")
    parser.add_argument("--workers", type=int, default=1, help="dreams run at once (default: 1)")
    parser.add_argument("--queue", type=int, default=8, help="dreams that may wait (default: 8)")
    parser.add_argument("--max-upload-mb", type=float, default=20.0, help="upload limit (default: 20)")
    parser.add_argument("--max-side", type=int, default=1024, help="longest side dreamed (default: 1024)")
    parser.add_argument("--keep-jobs", type=int, default=32, help="finished jobs kept in memory (default: 32)")
    parser.add_argument("--wait", type=float, default=600.0,
                        help="seconds POST /deepdream waits for its dream (default: 600)")
    return parser


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # stops as Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    """Runs the server until Ctrl-C; returns the exit status."""
    import waitress

    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("workers", "queue", "max_side", "keep_jobs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_upload_mb <= 0 or args.wait <= 0 or not 0 <= args.port <= 65535:
        parser.error("--max-upload-mb and --wait must be positive, --port from 0 to 65535")
    settings = Settings(workers=args.workers, queue=args.queue, max_upload_mb=args.max_upload_mb,
                        max_side=args.max_side, keep_jobs=args.keep_jobs, wait_seconds=args.wait)
    app = create_app(settings)
    try:
        server = waitress.create_server(
            app, host=args.host, port=args.port, threads=settings.queue + settings.workers + 4, ident="deepdream",
            max_request_body_size=int(settings.max_upload_mb * 2 * 1024 * 1024))
    except OSError as error:
        print(f"deepdream serve: error: cannot listen on {args.host}:{args.port} ({error.strerror or error}); "
              "is another server there? Try --port 5001.", file=sys.stderr)
        app.extensions["deepdream"].close()
        return 1
    listening = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    for host, port in listening:
        print(f"DeepDream web app on http://{f'[{host}]' if ':' in host else host}:{port}/  (Ctrl-C stops it)",
              flush=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.run()  # returns on Ctrl-C or SIGTERM (waitress catches the KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.extensions["deepdream"].close()
    print("deepdream serve: stopped; the jobs kept in memory are gone.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
