"""The job queue's engine: Huey's queue and key-value store, and the workers that dream from it.

The store is Huey's storage (``huey``): SQLite in the data folder on one machine (``SqliteHuey``, nothing
to install), Redis for several machines (``RedisHuey``, ``--broker redis://HOST:6379/0``), or memory
(``MemoryHuey``, without a data folder, as in most tests). Everything a worker needs and gives back goes
through it: the start image, the mask and the clip, the progress, the live preview, the cancel flag,
the picture or the movie and its sidecar. So a worker on another machine needs no shared disk.

Huey, like RQ, forgets a message once a worker takes it: a worker that dies takes its job with it. So
each running job has a lease that its worker renews twice a second (``state:ID``'s ``beat``); the web
process (``deepdream.web.jobs``) puts a job whose lease ran out back in the queue as a new attempt, at
most ``MAX_ATTEMPTS`` times. A result is committed with ``put_if_empty``: one picture per job, whoever
finishes first (and with the same seed, any attempt dreams the same bytes).

Keys: ``job:ID`` what the job is (JSON, written once); ``start:ID``, ``mask:ID`` (NumPy ``.npy``) and
``clip:ID`` (the video file); ``state:ID`` where it is (JSON); ``claim:ID:N`` the worker of attempt N;
``cancel:ID``; ``preview:ID`` (steps done, then a JPEG); ``result:ID`` (the JPEG), ``movie:ID`` and
``sidecar:ID``; ``worker:N`` a worker's heartbeat; the counter ``workers``; ``jobs`` the web's list.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from deepdream import recipe
from deepdream.files import SUITE_MARK, jpeg_bytes
from deepdream.images import from_model
from deepdream.web import movies

BEAT_SECONDS = 0.5  # a worker renews its lease this often (and sends its progress at most every PROGRESS_SECONDS)
PROGRESS_SECONDS = 0.1
LEASE_SECONDS = 10.0  # a running job whose lease is older is taken as lost (its worker died)
MAX_ATTEMPTS = 3  # a job lost this many times is marked failed
ENDED = ("done", "failed", "cancelled")


class Store:
    """Huey's storage for the jobs: JSON and bytes by key, the queue of messages, the workers' heartbeats.

    Args:
        huey: a ``huey.Huey`` (``Store.open`` makes the right one).
    """

    def __init__(self, huey: Any):
        from huey.constants import EmptyData

        self.huey, self.kv, self._empty = huey, huey.storage, EmptyData
        self._leases: dict[int, Lease] = {}  # each worker's heartbeat, as this process sees it
        self._message = huey.task(name="deepdream.dream")(_message)

    @classmethod
    def open(cls, data_dir: Path | None = None, broker: str | None = None) -> Store:
        """The store: Redis at ``broker``, else SQLite in ``data_dir``, else memory.

        Args:
            data_dir: the studio's data folder (the queue is ``queue.sqlite3`` there).
            broker: a ``redis://HOST:PORT/DB`` URL shared with ``deepdream worker`` on other machines.
        """
        import huey

        if broker:
            if not broker.startswith(("redis://", "rediss://", "unix://")):
                raise ValueError(f"--broker {broker!r} is not a Redis URL: give redis://HOST:6379/0")
            store = cls(huey.RedisHuey("deepdream", url=broker, results=False, read_timeout=1))
            try:
                store.kv.conn.ping()
            except Exception as error:  # redis.ConnectionError and its kin
                raise ValueError(f"cannot reach the broker at {broker} ({error}): is redis-server running "
                                 "there, and open to this machine?") from None
            return store
        if data_dir is not None:
            path = Path(data_dir) / "queue.sqlite3"
            try:
                return cls(huey.SqliteHuey("deepdream", filename=str(path), results=False))
            except sqlite3.Error as error:
                raise ValueError(f"Cannot keep the queue in '{path}' ({error}): choose another --data-dir") from None
        return cls(huey.MemoryHuey("deepdream", results=False))

    @property
    def shared(self) -> bool:
        """Whether workers on other machines may use it (a broker), or only this process's."""
        return type(self.kv).__name__.startswith("Redis")

    # -- values ------------------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        value = self.kv.peek_data(key)
        return None if value is self._empty else bytes(value)

    def put(self, key: str, value: bytes) -> None:
        self.kv.put_data(key, value)

    def put_if_empty(self, key: str, value: bytes) -> bool:
        return bool(self.kv.put_if_empty(key, value))

    def get_json(self, key: str) -> Any:
        value = self.get(key)
        return None if value is None else json.loads(value)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        """The JSON values of those of ``keys`` that exist, in one round trip."""
        return {key: json.loads(bytes(value)) for key, value in self.kv.peek_many(keys).items()} if keys else {}

    def put_json(self, key: str, value: Any) -> None:
        self.put(key, json.dumps(value).encode())

    def get_array(self, key: str) -> np.ndarray | None:
        value = self.get(key)
        return None if value is None else np.load(io.BytesIO(value), allow_pickle=False)

    def put_array(self, key: str, array: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(array), allow_pickle=False)
        self.put(key, buffer.getvalue())

    def delete(self, *keys: str) -> None:
        for key in keys:
            self.kv.delete_data(key)

    # -- the queue and the workers --------------------------------------------------------------
    def send(self, job_id: str, attempt: int) -> None:
        """Queues a message: attempt ``attempt`` of job ``job_id`` is to be dreamed."""
        self._message(job_id, attempt)

    def receive(self) -> tuple[str, int] | None:
        """The next message (Redis waits up to a second for one), or None."""
        task = self.huey.dequeue()
        return None if task is None else tuple(task.args)

    def messages(self) -> int:
        return self.kv.queue_size()

    def new_worker(self) -> int:
        return self.kv.incr("workers")

    def workers(self) -> list[dict[str, Any]]:
        """The live workers' heartbeats (of the last 64 started), each ``{"beat", "job", "name"}``.

        A worker is live while its beat changes, as seen by this process's clock: the machines' clocks
        may disagree.
        """
        last = self.kv.incr("workers", 0)
        numbers = range(max(1, last - 63), last + 1)
        found = self.kv.peek_many([f"worker:{number}" for number in numbers])  # one round trip
        live = []
        for number in numbers:
            beat = found.get(f"worker:{number}")
            beat = None if beat is None else json.loads(bytes(beat))
            if beat is not None and not beat.get("gone") and \
                    self._leases.setdefault(number, Lease()).holds(beat["beat"]):
                live.append(beat)
        return live


def preview_jpeg(picture: Any, side: int) -> bytes:
    """The live preview: a JPEG of ``picture`` (uint8, a [0, 1] array, or the dream's tensor) at most ``side`` px."""
    picture = picture if isinstance(picture, np.ndarray) else from_model(picture)
    return jpeg_bytes(picture, 80, max_side=side, optimize=False)


class Lease:
    """A heartbeat judged by this process's clock (the machines' clocks may disagree): it holds while the beat's
    value keeps changing, at least once every ``seconds``."""

    def __init__(self) -> None:
        self._value: Any = None
        self._since = time.monotonic()

    def holds(self, value: Any, seconds: float = LEASE_SECONDS) -> bool:
        now = time.monotonic()
        if value != self._value:
            self._value, self._since = value, now
        return now - self._since <= seconds


def _message(job_id: str, attempt: int) -> None:
    """Huey's task: its arguments are the message; ``Worker`` dreams it (it never runs as a function)."""


class Cancelled(Exception):
    """Raised inside a dream's step when its job is cancelled, or its worker stops."""


class Worker:
    """One dreamer: takes messages, claims the job's attempt, dreams it with a heartbeat, commits the result.

    Args:
        store: the ``Store``.
        model_for: builds (and caches) the dream model for a recipe.
        stop: set to stop after the current step; the job stays in the queue for another worker.
        preview_side: the live preview's longest side, pixels.
    """

    def __init__(self, store: Store, model_for: Callable[[dict[str, Any]], Any], stop: threading.Event,
                 preview_side: int = 384):
        self.store, self.model_for, self.stop, self.preview_side = store, model_for, stop, preview_side
        self.number = store.new_worker()
        self.name = f"{socket.gethostname()}:{os.getpid()}:{self.number}"
        self._job: dict[str, Any] | None = None  # the running attempt: id, attempt, done, total, latest...
        self._lock = threading.Lock()

    def run(self) -> None:
        """Dreams until ``stop`` is set."""
        beat = threading.Thread(target=self._beat_loop, name=f"beat-{self.number}", daemon=True)
        beat.start()
        try:
            while not self.stop.is_set():
                message = self.store.receive()
                if message is None:
                    if not self.store.shared:
                        self.stop.wait(0.05)
                    continue
                self.run_one(*message)
        finally:
            self.store.put_json(f"worker:{self.number}", {"beat": time.time(), "job": None, "name": self.name,
                                                           "gone": True})

    def run_one(self, job_id: str, attempt: int) -> None:
        """Claims attempt ``attempt`` of ``job_id`` (unless another worker did, or it is cancelled) and dreams it."""
        store = self.store
        if not store.put_if_empty(f"claim:{job_id}:{attempt}", self.name.encode()):
            return  # a second message for the same attempt
        state = store.get_json(f"state:{job_id}") or {}
        if state.get("attempt") != attempt or state.get("state") in ENDED:
            return  # an older attempt's message, or the job ended meanwhile
        if store.get(f"cancel:{job_id}") is not None:
            store.put_json(f"state:{job_id}", {**state, "state": "cancelled", "error": "Cancelled before it started."})
            return
        if store.get(f"result:{job_id}") is not None:  # an earlier attempt committed it, then its worker died
            store.put_json(f"state:{job_id}", {**state, "state": "done"})
            return
        job = {"id": job_id, "attempt": attempt, "done": 0, "total": state.get("total", 0), "latest": None,
               "started": time.time(), "first_step": None, "preview_done": -1, "cancel": threading.Event(),
               "written": 0.0}
        with self._lock:
            self._job = job
        self._announce(job_id)  # busy before running: the web never counts this worker free with a job of its own
        self._write_state(job, "running")
        try:
            outcome = self._dream(job)
        except Cancelled:
            outcome = ("stopped", None) if self.stop.is_set() and not job["cancel"].is_set() else \
                ("cancelled", "Cancelled: the dream stopped at its next step.")
        except (ValueError, MemoryError, FloatingPointError, OSError) as error:
            outcome = ("failed", str(error))
        except Exception as error:  # a defect: logged in full here, one plain line for the user
            traceback.print_exc()
            outcome = ("failed", f"The dream failed inside the worker ({type(error).__name__}); the worker's log "
                                 "has the details.")
        with self._lock:
            self._job = None
        if outcome[0] != "stopped" and self._still_mine(job):  # stopped: the lease runs out, another worker redoes it
            self._write_state(job, outcome[0], outcome[1])
        self._announce(None)  # free: the web hands out the next job at its next look

    # -- inside --------------------------------------------------------------------------------
    def _dream(self, job: dict[str, Any]) -> tuple[str, None]:
        from deepdream.dream import dream_octaves

        store, job_id = self.store, job["id"]
        what = store.get_json(f"job:{job_id}")
        parameters, kind = what["parameters"], what["kind"]
        start, mask = store.get_array(f"start:{job_id}"), store.get_array(f"mask:{job_id}")
        if start is None:
            raise ValueError("The start image is gone from the queue's store: send the dream again.")
        dm = self.model_for(parameters)

        def on_step(done: int, total: int, image: Any) -> None:
            job.update(latest=image, done=done, total=total)
            if done == 1:
                job["first_step"] = time.time()
            if job["cancel"].is_set() or self.stop.is_set():
                raise Cancelled
            if time.time() - job["written"] >= PROGRESS_SECONDS:
                with self._lock:
                    self._write_state(job, "running")

        job["latest"] = start
        movie = None
        if kind == "picture":
            result, history = dream_octaves(dm, start, progress=False, on_step=on_step, mask=mask,
                                            **recipe.dream_arguments(parameters))
            sidecar = recipe.sidecar_record(parameters, what["input_sha256"], result, history,
                                            time.time() - job["started"], recipe.result_name(parameters))
            sidecar["chain"] = [*what["chain"], {"parameters": parameters, "input_sha256": what["input_sha256"]}]
        elif kind == "zoom":
            movie = movies.zoom_movie(dm, start, parameters, on_step)
        else:
            from deepdream.videofiles import probe_video

            with tempfile.TemporaryDirectory(prefix="deepdream-worker-") as folder:
                clip = Path(folder) / f"clip{what['clip_suffix']}"
                clip.write_bytes(store.get(f"clip:{job_id}") or b"")
                size = (what["start_size"][1], what["start_size"][0])
                movie = movies.video_movie(dm, clip, probe_video(clip), size, parameters, on_step, what["frames"])
        if movie is not None:
            result = movie.last_frame
            sidecar = {"parameters": parameters, "input_sha256": what["input_sha256"],
                       "output": recipe.result_name(parameters, "." + movie.suffix), **movie.record}
            store.put(f"movie:{job_id}", movie.suffix.encode() + b"\0" + movie.data)
        store.put_json(f"sidecar:{job_id}", {"written_by": SUITE_MARK, **sidecar})
        store.put_if_empty(f"result:{job_id}", jpeg_bytes(result))  # the commit: one picture per job
        return "done", None

    def _still_mine(self, job: dict[str, Any]) -> bool:
        state = self.store.get_json(f"state:{job['id']}") or {}
        return state.get("attempt") == job["attempt"] and state.get("state") not in ENDED

    def _write_state(self, job: dict[str, Any], state: str, error: str | None = None) -> None:
        first, job["written"] = job["first_step"], time.time()
        pace = (time.time() - first) / (job["done"] - 1) if first and job["done"] >= 2 else None
        self.store.put_json(f"state:{job['id']}", {
            "state": state, "attempt": job["attempt"], "worker": self.name, "beat": time.time(),
            "done": job["done"], "total": job["total"], "seconds": time.time() - job["started"],
            "step_seconds": pace, "error": error})

    def _announce(self, job_id: str | None) -> None:
        """The worker's heartbeat: alive, and the job it dreams (None: free)."""
        self.store.put_json(f"worker:{self.number}", {"beat": time.time(), "job": job_id, "name": self.name})

    def _beat_loop(self) -> None:
        """Twice a second: the worker's heartbeat, the running job's lease, progress and preview, its cancel flag."""
        while not self.stop.wait(BEAT_SECONDS):
            with self._lock:
                job = self._job
            try:
                self._announce(job and job["id"])
                if job is None:
                    continue
                if self.store.get(f"cancel:{job['id']}") is not None or not self._still_mine(job):
                    job["cancel"].set()
                    continue
                with self._lock:
                    if self._job is job:
                        self._write_state(job, "running")
                done, latest = job["done"], job["latest"]
                if latest is not None and done != job["preview_done"]:
                    jpeg = preview_jpeg(latest, self.preview_side)
                    self.store.put(f"preview:{job['id']}", done.to_bytes(8, "big") + jpeg)
                    job["preview_done"] = done
            except Exception:  # a store that hiccups: the next beat tries again
                traceback.print_exc()

