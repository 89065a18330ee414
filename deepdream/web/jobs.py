"""The web app's dreams: a bounded queue, worker threads, progress, a live preview, cancelling, and the jobs kept.

A job makes a picture, a zoom animation or a dreamed clip (``deepdream.web.movies``); all three share
the queue, the limits, the progress (steps, or frames of a clip), the preview and cancelling.

Jobs live in memory: the last ``keep_jobs`` for at most ``keep_seconds``. With a data folder
(``Settings.data_dir``), each finished dream is also kept in the history (``deepdream.web.history``),
which survives a restart. A job's error and note are kept in English and said in each reader's language
(``deepdream.web.settings.said``).
"""

from __future__ import annotations

import collections
import dataclasses
import math
import secrets
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from deepdream import backbones, recipe
from deepdream.i18n import N_
from deepdream.i18n import gettext as _
from deepdream.images import octave_shapes
from deepdream.web import movies
from deepdream.web.dispatch import Dispatcher
from deepdream.web.engine import Worker, preview_jpeg
from deepdream.web.fairness import FairQueue
from deepdream.web.history import History
from deepdream.web.scheduler import CpuTurns
from deepdream.web.settings import NOT_KEPT, Refusal, Settings, said, state_said
from deepdream.web.store import MAX_ATTEMPTS, Lease, Store
from deepdream.web.strips import ChannelStrips


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
        clip, frames: a video job's clip (a temporary file, removed when the job ends) and its expected
            number of frames.
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
    frames: int = 0


@dataclasses.dataclass(eq=False)
class Job:
    """One dream as the web process sees it: its request, its progress (followed in the store) and its outcome."""

    id: str
    request: DreamRequest  # its start and mask are dropped once the dream ends
    client: str  # the anonymous id of the browser or API client that asked for it (its history)
    turn: str  # whose turn it takes in the fair queue: the client, or for a client without a cookie its address
    total: int  # steps in all octaves
    work: float  # pixel-steps in all octaves (for the time estimates)
    start_size: tuple[int, int]  # (height, width) dreamed
    created: float = dataclasses.field(default_factory=time.monotonic)
    state: str = "queued"
    attempt: int = 0  # how many times a worker was lost while dreaming it
    dispatched: bool = False  # queued in the engine for the next free worker (no longer in the fair queue)
    dispatched_at: float = 0.0
    done: int = 0
    step_seconds: float | None = None  # the worker's pace after step 1 (no tracing in it)
    worker: str | None = None  # who dreams it: host:pid:number
    lease: Lease = dataclasses.field(default_factory=Lease)  # its worker's beat, as this process sees it
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    jpeg: bytes | None = None  # the picture (a zoom's or a clip's last frame)
    movie: tuple[str, bytes] | None = None  # a zoom's or a clip's file: (suffix, bytes)
    sidecar: dict[str, Any] | None = None
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


class DreamService(Dispatcher):
    """The fair queue, the engine's store and workers (``deepdream.web.engine``), the dream models, the jobs kept.

    A job waits in the fair queue here until a worker is free, then goes to the engine's queue; a thread
    follows the running jobs in the store (progress, end, lost workers) and hands out the next ones.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Condition()
        self._jobs: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self._pending = FairQueue()  # the clients take turns (deepdream.web.fairness)
        self._seconds_per_work: float | None = None  # measured on finished dreams
        self._warm = False  # a dream model was built in this process (TensorFlow loaded)
        self.history = History(settings.data_dir, settings.keep_mb) if settings.data_dir is not None else None
        self.store = Store.open(settings.data_dir, settings.broker)  # after the history made the folder
        self.turns = CpuTurns()  # this process's CPU: live frames first, then jobs and strips (scheduler)
        self.strips = ChannelStrips(settings.data_dir and Path(settings.data_dir) / "channels", settings.channel_steps,
                                    self.turns)
        self._closed, self._stop = False, threading.Event()
        self._recover()
        workers = [Worker(self.store, self.model_for, self._stop, settings.preview_side, self.turns)
                   for _ in range(settings.workers)]
        self._threads = [threading.Thread(target=worker.run, name=f"dreamer-{i}", daemon=True)
                         for i, worker in enumerate(workers)]
        self._threads.append(threading.Thread(target=self._follow_loop, name="follower", daemon=True))
        for thread in self._threads:
            thread.start()

    # -- submitting -------------------------------------------------------------------------
    def model_for(self, parameters: dict[str, Any]) -> Any:
        """The dream model for these parameters (layers, channel...), built once (a clear ValueError if unknown)."""
        from deepdream.model import dream_model

        model = dream_model(**recipe.model_arguments(parameters))  # deepdream.model keeps the models built
        self._warm = True
        return model

    def first_dream_ready(self) -> bool:
        """Whether the network is loaded where the next dream runs, so that it starts at once (else the first
        dream loads TensorFlow and the network first: about 10 s on 2 cores): here (a model was built in this
        process), or in a worker elsewhere that says so."""
        return self._warm or any(worker.get("warm") for worker in self.store.workers())

    def submit(self, request: DreamRequest, client: str = "", turn: str | None = None) -> Job:
        """Checks a dream (its layers, channel and size) and queues it; raises Refusal (503 when the queue is full, 429
        when this client already has ``per_client`` dreams waiting).

        Args:
            request: the dream (``deepdream.web.forms.read_dream_request``).
            client: the anonymous id of the browser or API client (its history).
            turn: whose turn the job takes in the fair queue (default: the client).
        """
        parameters, start = request.parameters, request.start
        try:  # checked as dream_model would, from the layers' table: no network is built in a request
            layers = list(parameters["layers"])
            min_side = backbones.check_layers(layers, parameters["backbone"], parameters["weights"],
                                              parameters["channel"])
            backbones.check_image_size(start.shape[:2], layers, min_side)
            if request.kind == "picture":
                shapes = octave_shapes(start.shape[:2], parameters["octaves"], parameters["octave_scale"], min_side)
                total, work = parameters["steps"] * len(shapes), float(parameters["steps"] * sum(h * w for h, w in
                                                                                                  shapes))
            else:
                total, work = movies.plan(request.kind, parameters, start.shape[:2], request.frames)
            job = Job(id=secrets.token_urlsafe(18), request=request, client=client, turn=turn or client,
                      start_size=start.shape[:2], total=total, work=work)
            with self._lock:
                self._forget_old()
                self._check_room(job)
                self._save(job)
                self._jobs[job.id] = job
                self._pending.append(job)
                self._save_list()
        except ValueError as error:
            raise Refusal(str(error)) from None
        finally:
            self._drop_clip(request)
        return job

    def _check_room(self, job: Job) -> None:
        if self._pending.waiting(job.turn) >= self.settings.per_client:
            mine = [j for j in self._jobs.values() if j.turn == job.turn and j.state == "running"]
            wait = self._seconds_left(mine[0]) if mine else None
            raise Refusal(_("You have {waiting} dreams waiting, the most one browser may have: wait for one to "
                            "start, or cancel one.").format(waiting=self.settings.per_client), 429,
                          {"Retry-After": str(max(5, math.ceil(wait or 30)))})
        if len(self._pending) >= self.settings.queue:
            wait = self._seconds_left(next(iter(self._pending)))
            raise Refusal(_("The queue is full ({waiting} dreams waiting): try again in a minute.").format(
                waiting=self.settings.queue), 503, {"Retry-After": str(max(5, math.ceil(wait or 30)))})

    def _save(self, job: Job) -> None:
        """Puts what a worker needs in the store: the job, its start, mask and clip, its state."""
        request, store = job.request, self.store
        store.put_json(f"job:{job.id}", {
            "client": job.client, "turn": job.turn, "kind": request.kind, "parameters": request.parameters,
            "input_sha256": request.input_sha256, "note": request.note, "chain": request.chain,
            "full_size": request.full_size, "start_size": [int(n) for n in job.start_size], "total": job.total,
            "work": job.work, "frames": request.frames, "created": time.time(),
            "clip_suffix": request.clip.suffix if request.clip is not None else None})
        store.put_array(f"start:{job.id}", request.start)
        if request.mask is not None:
            store.put_array(f"mask:{job.id}", request.mask)
        if request.mask_png is not None:
            store.put(f"maskpng:{job.id}", request.mask_png)
        if request.clip is not None:
            store.put(f"clip:{job.id}", request.clip.read_bytes())
        store.put_json(f"state:{job.id}", {"state": "queued", "attempt": 0, "total": job.total})

    def _save_list(self) -> None:
        self.store.put_json("jobs", list(self._jobs))

    # -- looking up and cancelling ------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        with self._lock:
            self._forget_old()
            job = self._jobs.get(job_id)
        if job is None:
            raise Refusal(_("No job {job_id!r}: the id is wrong, or the job ended more than {minutes:.0f} minutes "
                            "or {jobs} jobs ago (results are kept that long).").format(
                job_id=job_id, minutes=self.settings.keep_seconds / 60, jobs=self.settings.keep_jobs), 404)
        return job

    def cancel(self, job: Job) -> str:
        """Cancels a waiting job at once, a running one at its next step; forgets a finished one."""
        with self._lock:
            if job.state == "queued" and not job.dispatched:
                self._pending.remove(job)
                self._end(job, "cancelled")
            elif job.state in ("queued", "running"):
                self.store.put(f"cancel:{job.id}", b"1")
                return "cancelling"
            elif job.state in ("done", "failed"):
                self._jobs.pop(job.id, None)
                self._drop_keys(job.id, result=True)
                self._save_list()
                return "deleted"
            return job.state

    def preview(self, job: Job) -> bytes:
        """A small JPEG of the picture as it is now: the start until the worker sends one, then the dream.

        The worker makes it at most twice a second, into the store; this process only makes the start's.
        """
        if job.state == "done":
            return job.jpeg
        kept = self.store.get(f"preview:{job.id}") if job.state == "running" else None
        if kept is not None:
            return kept[8:]
        start = job.request.start
        if job.state != "running" or start is None:
            why = _("it is queued") if job.state == "queued" else \
                _("it {state}: {error}").format(state=state_said(job.state), error=said(job.error))
            raise Refusal(_("Job {job_id} has no picture to preview: {why}").format(job_id=job.id, why=why), 409)
        return preview_jpeg(np.asarray(start), self.settings.preview_side)

    def status(self, job: Job) -> dict[str, Any]:
        """What ``GET /api/jobs/<id>`` answers."""
        with self._lock:
            left = self._seconds_left(job)
            position = 0
            if job.state == "queued":
                position = 1 if job.dispatched else \
                    sum(j.dispatched for j in self._jobs.values()) + self._pending.index(job) + 1
            return {"id": job.id, "state": job.state, "queue_position": position, "steps_done": job.done,
                    "steps_total": job.total, "seconds_left": None if left is None else round(left, 1),
                    "queued_seconds": round((job.started or job.finished or time.monotonic()) - job.created, 2),
                    "run_seconds": None if job.started is None else
                    round((job.finished or time.monotonic()) - job.started, 2),
                    "error": said(job.error), "note": said(job.note), "make": job.request.kind, "unit": job.unit,
                    "size": [int(job.start_size[1]), int(job.start_size[0])], "attempt": job.attempt,
                    "worker": job.worker, "result_type": self.result_type(job)}

    @staticmethod
    def result_type(job: Job) -> str:
        """The media type of ``/api/jobs/<id>/result``: the picture's, or the zoom's or the clip's."""
        return movies.FORMATS[job.request.parameters.get("format", "mp4")] if job.request.kind != "picture" \
            else "image/jpeg"

    @property
    def kept(self) -> bool:
        """Whether the jobs outlive this process: a data folder's SQLite store, or a broker (else: memory)."""
        return self.settings.data_dir is not None or self.settings.broker is not None

    def close(self) -> None:
        """Stops this process's workers after their current step.

        With a data folder or a broker, the jobs stay in the store: the running ones are dreamed again, and
        the waiting ones run, when the server starts again. Without (in memory), every job is cancelled.
        """
        with self._lock:
            self._closed = True
            if not self.kept:
                for job in list(self._jobs.values()):
                    if job.state == "running":
                        self.cancel(job)
                    elif job.state == "queued":  # waiting, or handed to a worker that has not begun it
                        if not job.dispatched:
                            self._pending.remove(job)
                        self._end(job, "cancelled", N_("Cancelled: the server stopped."))
        deadline = time.monotonic() + 30
        while not self.kept and time.monotonic() < deadline and \
                any(job.state in ("queued", "running") for job in list(self._jobs.values())):
            time.sleep(0.02)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.strips.close()

    def _rebuilt_job(self, job_id: str, what: dict[str, Any], state: dict[str, Any]) -> Job:
        """A job of an earlier run of the server, from the store (its start image stays there, for the worker)."""
        request = DreamRequest(what["parameters"], None, what["input_sha256"], what["note"],
                               chain=what["chain"], full_size=what["full_size"], kind=what["kind"],
                               frames=what["frames"], mask_png=self.store.get(f"maskpng:{job_id}"))
        job = Job(id=job_id, request=request, client=what["client"], turn=what["turn"],
                  total=what["total"], work=what["work"], start_size=tuple(what["start_size"]),
                  created=time.monotonic() - max(0.0, time.time() - what["created"]), attempt=state["attempt"])
        return job

    # -- inside (call with the lock held) -----------------------------------------------------
    def _seconds_left(self, job: Job) -> float | None:
        """An estimate: a running job's own pace, plus the pace measured on earlier dreams for those queued."""
        if job.state not in ("queued", "running"):
            return 0.0
        ahead = [j for j in self._jobs.values() if j.state == "running" or j.dispatched] \
            if job.state == "queued" else [job]
        if job.state == "queued" and not job.dispatched:
            ahead += list(self._pending)[:self._pending.index(job) + 1]
        seconds = 0.0
        for other in ahead:
            if other.state == "running" and other.step_seconds is not None:
                seconds += other.step_seconds * (other.total - other.done)
            elif self._seconds_per_work is not None:
                seconds += self._seconds_per_work * other.work * (other.total - other.done) / other.total
            else:
                return None
        return seconds / (max(1, self.settings.workers) if job.state == "queued" else 1)

    def _end(self, job: Job, state: str, error: str | None = None) -> None:
        """Ends a job here, and in the store unless it ended there already."""
        job.state, job.error, job.finished, job.dispatched = state, error, time.monotonic(), False
        job.request.start = job.request.mask = None  # the result is kept; these not
        self.store.change_state(job.id, job.attempt, {"state": state, "attempt": job.attempt, "error": error})
        self._drop_keys(job.id)
        job.ended.set()
        self._lock.notify_all()

    def _drop_keys(self, job_id: str, result: bool = False) -> None:
        """Removes a job's inputs from the store; with ``result``, everything of it."""
        keys = [f"start:{job_id}", f"mask:{job_id}", f"clip:{job_id}", f"preview:{job_id}", f"cancel:{job_id}"]
        if result:
            keys += [f"job:{job_id}", f"state:{job_id}", f"result:{job_id}", f"sidecar:{job_id}", f"movie:{job_id}",
                     f"maskpng:{job_id}", *(f"claim:{job_id}:{n}" for n in range(MAX_ATTEMPTS))]
        self.store.delete(*keys)

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
            job.request.note = " ".join(filter(None, [job.note, NOT_KEPT]))  # said later (settings.said)

    def _forget_old(self) -> None:
        finished = [job for job in self._jobs.values() if job.ended.is_set()]
        too_old = time.monotonic() - self.settings.keep_seconds
        forgotten = [job for index, job in enumerate(finished)
                     if index < len(finished) - self.settings.keep_jobs or job.finished < too_old]
        for job in forgotten:
            del self._jobs[job.id]
            self._drop_keys(job.id, result=True)
        if forgotten:
            self._save_list()
