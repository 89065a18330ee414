"""The web app's dreams: a bounded queue, worker threads, progress, a live preview, cancelling, and the jobs kept.

A job makes a picture, a zoom animation or a dreamed clip (``deepdream.web.movies``); all three share
the queue, the limits, the progress (steps, or frames of a clip), the preview and cancelling.

Jobs live in memory: the last ``keep_jobs`` for at most ``keep_seconds``. With a data folder
(``Settings.data_dir``), each finished dream is also kept in the history (``deepdream.web.history``),
which survives a restart.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import json
import math
import secrets
import sqlite3
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from deepdream import recipe
from deepdream.files import SUITE_MARK, jpeg_bytes
from deepdream.images import from_model
from deepdream.web import movies
from deepdream.web.fairness import FairQueue
from deepdream.web.history import History
from deepdream.web.settings import Refusal, Settings
from deepdream.web.strips import ChannelStrips

STATES = ("queued", "running", "done", "failed", "cancelled")


@dataclasses.dataclass
class DreamRequest:
    """A checked request for one dream (``deepdream.web.forms`` reads it from a form).

    Attributes:
        parameters: the recipe (``deepdream.recipe``), checked.
        start: the start image, (H, W, 3) in [0, 1].
        input_sha256: the start file's hash (None for noise), for the sidecar.
        note: what the service changed (the image shrunk), for the client.
        mask: where to dream, (H, W, 1) in [0, 1] (``images.check_mask``); None dreams everywhere.
        mask_png: the mask's file as sent, kept in the history beside the dream.
        chain: the earlier steps when dreaming more (each ``{"parameters", "input_sha256"}``).
        full_size: (height, width) of the start file before it was shrunk (None for noise).
        kind: what the job makes: ``picture``, ``zoom`` or ``video`` (``movies.KINDS``).
        clip, clip_info, frames: a video job's clip (a temporary file, removed when the job ends),
            its ``probe_video`` and its expected number of frames.
    """

    parameters: dict[str, Any]
    start: Any
    input_sha256: str | None
    note: str | None = None
    mask: Any = None
    mask_png: bytes | None = None
    chain: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    full_size: tuple[int, int] | None = None
    kind: str = "picture"
    clip: Path | None = None
    clip_info: Any = None
    frames: int = 0


class _Cancelled(Exception):
    """Raised inside a dream's step callback when its job was cancelled."""


@dataclasses.dataclass(eq=False)
class Job:
    """One dream: its request, its progress and its outcome."""

    id: str
    request: DreamRequest  # its start and mask are dropped once the dream ends
    dm: Any  # the DreamModel
    client: str  # the anonymous id of the browser or API client that asked for it (its history)
    turn: str  # whose turn it takes in the fair queue: the client, or for a client without a cookie its address
    total: int  # steps in all octaves
    work: float  # pixel-steps in all octaves (for the time estimates)
    start_size: tuple[int, int]  # (height, width) dreamed
    created: float = dataclasses.field(default_factory=time.monotonic)
    state: str = "queued"
    done: int = 0
    started: float | None = None
    first_step: float | None = None  # when step 1 ended (the pace is measured from there: no tracing in it)
    finished: float | None = None
    error: str | None = None
    jpeg: bytes | None = None  # the picture (a zoom's or a clip's last frame)
    movie: tuple[str, bytes] | None = None  # a zoom's or a clip's file: (suffix, bytes)
    sidecar: dict[str, Any] | None = None
    latest: Any = None  # the picture so far (the dream's working tensor in [-1, 1], or the start in [0, 1])
    preview: tuple[int, bytes] | None = None  # (steps done, JPEG) of the last preview made
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)
    ended: threading.Event = dataclasses.field(default_factory=threading.Event)

    @property
    def parameters(self) -> dict[str, Any]:
        return self.request.parameters

    @property
    def note(self) -> str | None:
        return self.request.note

    @property
    def unit(self) -> str:
        """What ``done`` and ``total`` count: frames of a clip, steps of anything else."""
        return "frame" if self.request.kind == "video" else "step"


class DreamService:
    """The queue, the worker threads, the cached dream models and the jobs kept."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Condition()
        self._jobs: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self._pending = FairQueue()  # the clients take turns (deepdream.web.fairness)
        self._models: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._model_lock = threading.Lock()
        self._seconds_per_work: float | None = None  # measured on finished dreams
        self.history = History(settings.data_dir, settings.keep_mb) if settings.data_dir is not None else None
        self.strips = ChannelStrips(settings.data_dir and Path(settings.data_dir) / "channels", settings.channel_steps)
        self._closed = False
        self._workers = [threading.Thread(target=self._work, name=f"dreamer-{i}", daemon=True)
                         for i in range(settings.workers)]
        for worker in self._workers:
            worker.start()

    # -- submitting -------------------------------------------------------------------------
    def model_for(self, parameters: dict[str, Any]) -> Any:
        """The dream model for these parameters (layers, channel...), built once (a clear ValueError if unknown)."""
        import deepdream_utils as dd

        arguments = recipe.model_arguments(parameters)
        key = json.dumps(arguments, sort_keys=True)
        with self._model_lock:
            if key not in self._models:
                self._models[key] = dd.dream_model(**arguments)
                while len(self._models) > 4:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            return self._models[key]

    def submit(self, request: DreamRequest, client: str = "", turn: str | None = None) -> Job:
        """Checks a dream against its model and queues it; raises Refusal (503 when the queue is full, 429
        when this client already has ``per_client`` dreams waiting).

        Args:
            request: the dream (``deepdream.web.forms.read_dream_request``).
            client: the anonymous id of the browser or API client (its history).
            turn: whose turn the job takes in the fair queue (default: the client).
        """
        import deepdream_utils as dd

        parameters, start = request.parameters, request.start
        try:
            dm = self.model_for(parameters)
            dd.check_image_size(dm, start.shape[:2])
        except ValueError as error:
            self._drop_clip(request)
            raise Refusal(str(error)) from None
        if request.kind == "picture":
            shapes = dd.octave_shapes(start.shape[:2], parameters["octaves"], parameters["octave_scale"], dm.min_side)
            total, work = parameters["steps"] * len(shapes), float(parameters["steps"] * sum(h * w for h, w in shapes))
        else:
            total, work = movies.plan(request.kind, parameters, start.shape[:2], request.frames)
        job = Job(id=secrets.token_urlsafe(18), request=request, dm=dm, client=client, turn=turn or client,
                  start_size=start.shape[:2], total=total, work=work)
        with self._lock:
            self._forget_old()
            if self._pending.waiting(job.turn) >= self.settings.per_client:
                self._drop_clip(request)
                mine = [j for j in self._jobs.values() if j.turn == job.turn and j.state == "running"]
                wait = self._seconds_left(mine[0]) if mine else None
                raise Refusal(f"You have {self.settings.per_client} dreams waiting, the most one browser may have: "
                              "wait for one to start, or cancel one.", 429,
                              {"Retry-After": str(max(5, math.ceil(wait or 30)))})
            if len(self._pending) >= self.settings.queue:
                self._drop_clip(request)
                wait = self._seconds_left(next(iter(self._pending)))
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

    def preview(self, job: Job) -> bytes:
        """A small JPEG of the picture as it is now: the start until the first step ends, then the dream.

        Made here, in the request's thread, only when asked for, and once per step: the dream's
        worker only keeps a reference to its working tensor, so watching costs it (almost) nothing.
        """
        latest, done = job.latest, job.done
        if job.state == "done":
            return job.jpeg
        if latest is None:
            why = "it is queued" if job.state == "queued" else f"it {job.state}: {job.error}"
            raise Refusal(f"Job {job.id} has no picture to preview: {why}", 409)
        cached = job.preview
        if cached is not None and cached[0] == done:
            return cached[1]
        picture = latest if isinstance(latest, np.ndarray) else from_model(latest)
        img = Image.fromarray(picture if picture.dtype == np.uint8 else (picture * 255 + 0.5).astype(np.uint8))
        img.thumbnail((self.settings.preview_side, self.settings.preview_side), Image.BILINEAR)
        buffer = io.BytesIO()
        img.save(buffer, "JPEG", quality=80)
        jpeg = buffer.getvalue()
        job.preview = (done, jpeg)
        return jpeg

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
                    "error": job.error, "note": job.note, "size": [int(job.start_size[1]), int(job.start_size[0])],
                    "make": job.request.kind, "unit": job.unit,
                    "result_type": self.result_type(job)}

    @staticmethod
    def result_type(job: Job) -> str:
        """The media type of ``/api/jobs/<id>/result``: the picture's, or the zoom's or the clip's."""
        return movies.FORMATS[job.request.parameters.get("format", "mp4")] if job.request.kind != "picture" \
            else "image/jpeg"

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
        self.strips.close()

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
        job.state, job.error, job.finished = state, error, time.monotonic()
        job.request.start = job.request.mask = job.latest = job.preview = None  # the result is kept; these not
        self._drop_clip(job.request)
        job.ended.set()
        self._lock.notify_all()  # a client's next dream may now run

    @staticmethod
    def _drop_clip(request: DreamRequest) -> None:
        if request.clip is not None:
            request.clip.unlink(missing_ok=True)
            request.clip = None

    def _keep(self, job: Job) -> None:
        """Adds a finished dream to the history; a failure to write is logged, and the dream stays in memory."""
        if self.history is None:
            return
        try:
            self.history.add(job.client, job.id, job.jpeg, job.sidecar, job.request.mask_png, job.movie)
        except (OSError, ValueError, sqlite3.Error) as error:
            print(f"deepdream serve: could not keep dream {job.id} in the history ({error})", file=sys.stderr)
            job.request.note = " ".join(filter(None, [job.note, "It could not be kept in your history "
                                                      "(the server's disk?): download it now."]))

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
                while True:  # the next client's turn, skipping clients with a dream running
                    if self._closed:
                        return
                    busy = {other.turn for other in self._jobs.values() if other.state == "running"}
                    job = self._pending.pop(busy)
                    if job is not None:
                        break
                    self._lock.wait()
                job.state, job.started = "running", time.monotonic()
            self._run(job)

    def _run(self, job: Job) -> None:
        import deepdream_utils as dd

        def on_step(done: int, total: int, image: Any) -> None:
            job.latest, job.done, job.total = image, done, total
            if done == 1:
                job.first_step = time.monotonic()
            if job.cancel.is_set():
                raise _Cancelled

        request = job.request
        job.latest = request.start  # the preview shows the start until the first step ends
        try:
            if request.kind == "picture":
                result, history = dd.dream_octaves(job.dm, request.start, progress=False, on_step=on_step,
                                                   mask=request.mask, **recipe.dream_arguments(job.parameters))
                sidecar = recipe.sidecar_record(job.parameters, request.input_sha256, result, history,
                                                time.monotonic() - job.started, recipe.result_name(job.parameters))
                link = {"parameters": job.parameters, "input_sha256": request.input_sha256}
                sidecar["chain"] = [*request.chain, link]
            else:
                movie = movies.zoom_movie(job.dm, request.start, job.parameters, on_step) if request.kind == "zoom" \
                    else movies.video_movie(job.dm, request.clip, request.clip_info,
                                            (job.start_size[1], job.start_size[0]), job.parameters, on_step,
                                            request.frames)
                result, job.movie = movie.last_frame, (movie.suffix, movie.data)
                sidecar = {"parameters": job.parameters, "input_sha256": request.input_sha256,
                           "output": recipe.result_name(job.parameters, "." + movie.suffix), **movie.record}
            job.jpeg, job.sidecar = jpeg_bytes(result), {"written_by": SUITE_MARK, **sidecar}
            self._keep(job)
            with self._lock:
                if job.done >= 2:  # the pace after step 1, per pixel-step
                    paced = job.work * (job.done - 1) / job.done
                    self._seconds_per_work = (time.monotonic() - job.first_step) / paced
                self._end(job, "done")
        except _Cancelled:
            with self._lock:
                self._end(job, "cancelled", "Cancelled: the dream stopped at its next step.")
        except (ValueError, MemoryError, FloatingPointError, OSError) as error:
            with self._lock:
                self._end(job, "failed", str(error))
        except Exception as error:  # a defect: logged in full here, one plain line for the user
            traceback.print_exc(file=sys.stderr)
            with self._lock:
                self._end(job, "failed", f"The dream failed inside the server ({type(error).__name__}); "
                                         "the server's log has the details.")


