"""The job queue's engine: the workers that dream from the store (``deepdream.web.store``).

Everything a worker needs and gives back goes through the store: the start image, the mask and the
clip, the progress, the live preview, the cancel flag, the picture or the movie and its sidecar. So a
worker on another machine needs no shared disk.

Huey, like RQ, forgets a message once a worker takes it: a worker that dies takes its job with it. So
each running job has a lease that its worker renews twice a second (``state:ID``'s ``beat``); the web
process (``deepdream.web.jobs``) puts a job whose lease ran out back in the queue as a new attempt, at
most ``MAX_ATTEMPTS`` times. A result is committed with ``put_if_empty``: one picture per job, whoever
finishes first (and with the same seed, any attempt dreams the same bytes).

Every change of a job's state is an atomic compare-and-set on its attempt (``Store.change_state``): a
lost attempt's late word is refused. A job's error is written in English (``N_``), whatever the worker's
language, and said in each reader's language (``deepdream.web.settings.said``).

Keys: ``job:ID`` what the job is (JSON, written once); ``start:ID``, ``mask:ID`` (NumPy ``.npy``) and
``clip:ID`` (the video file); ``state:ID`` where it is (JSON); ``claim:ID:N`` the worker of attempt N;
``cancel:ID``; ``preview:ID`` (steps done, then a JPEG); ``result:ID`` (the JPEG), ``movie:ID`` and
``sidecar:ID``; ``worker:N`` a worker's heartbeat; the counter ``workers``; ``jobs`` the web's list.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from deepdream import i18n, recipe
from deepdream.files import SUITE_MARK, jpeg_bytes
from deepdream.i18n import N_
from deepdream.images import from_model
from deepdream.web import movies
from deepdream.web.scheduler import CpuTurns
from deepdream.web.settings import FAILED_INSIDE
from deepdream.web.store import Store

BEAT_SECONDS = 0.5  # a worker renews its lease this often (and sends its progress at most every PROGRESS_SECONDS)
PROGRESS_SECONDS = 0.1


def preview_jpeg(picture: Any, side: int) -> bytes:
    """The live preview: a JPEG of ``picture`` (uint8, a [0, 1] array, or the dream's tensor) at most ``side`` px."""
    picture = picture if isinstance(picture, np.ndarray) else from_model(picture)
    return jpeg_bytes(picture, 80, max_side=side, optimize=False)


class Cancelled(Exception):
    """Raised inside a dream's step when its job is cancelled, or its worker stops."""


class Worker:
    """One dreamer: takes messages, claims the job's attempt, dreams it with a heartbeat, commits the result.

    Args:
        store: the ``Store``.
        model_for: builds (and caches) the dream model for a recipe.
        stop: set to stop after the current step; the job stays in the queue for another worker.
        preview_side: the live preview's longest side, pixels.
        turns: the web process's CPU turns (``deepdream.web.scheduler``); None in a ``deepdream worker``.
    """

    def __init__(self, store: Store, model_for: Callable[[dict[str, Any]], Any], stop: threading.Event,
                 preview_side: int = 384, turns: CpuTurns | None = None):
        self.store, self.model_for, self.stop, self.preview_side = store, model_for, stop, preview_side
        self.turns = turns  # in the web process: waits between steps while live frames are dreamed
        self.number = store.new_worker()
        self.name = f"{socket.gethostname()}:{os.getpid()}:{self.number}"
        self._job: dict[str, Any] | None = None  # the running attempt: id, attempt, done, total, latest...
        self.warm = False  # whether it has built a dream model (TensorFlow loaded): its next dreams start at once
        self._lock = threading.Lock()

    def run(self) -> None:
        """Dreams until ``stop`` is set, in English whatever the process speaks: a job's error is kept in English
        and said in the language of the request that shows it (``settings.said``)."""
        beat = threading.Thread(target=self._beat_loop, name=f"beat-{self.number}", daemon=True)
        beat.start()
        try:
            while not self.stop.is_set():
                message = self.store.receive()
                if message is None:
                    if not self.store.shared:
                        self.stop.wait(0.05)
                    continue
                with i18n.answering_in("en"):
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
        job = {"id": job_id, "attempt": attempt, "done": 0, "total": state.get("total", 0), "latest": None,
               "started": time.time(), "first_step": None, "preview_done": -1, "cancel": threading.Event(),
               "written": 0.0}
        if store.get(f"cancel:{job_id}") is not None:
            self._write_state(job, "cancelled", N_("Cancelled before it started."))
            return
        if store.get(f"result:{job_id}") is not None:  # an earlier attempt committed it, then its worker died
            self._write_state(job, "done")
            return
        with self._lock:
            self._job = job
        self._announce(job_id)  # busy before running: the web never counts this worker free with a job of its own
        if not self._write_state(job, "running"):  # an older attempt's message, or the job ended meanwhile
            with self._lock:
                self._job = None
            self._announce(None)
            return
        try:
            outcome = self._dream(job)
        except Cancelled:
            outcome = ("stopped", None) if self.stop.is_set() and not job["cancel"].is_set() else \
                ("cancelled", N_("Cancelled: the dream stopped at its next step."))
        except (ValueError, MemoryError, FloatingPointError, OSError) as error:
            outcome = ("failed", str(error))
        except Exception as error:  # a defect: logged in full here, one plain line for the user
            traceback.print_exc()
            outcome = ("failed", FAILED_INSIDE.format(error_type=type(error).__name__))
        with self._lock:
            self._job = None
        if outcome[0] != "stopped":  # stopped: the lease runs out, another worker redoes it
            self._write_state(job, outcome[0], outcome[1])  # refused if the job is no longer this attempt's
        self._announce(None)  # free: the web hands out the next job at its next look

    # -- inside --------------------------------------------------------------------------------
    def _dream(self, job: dict[str, Any]) -> tuple[str, None]:
        from deepdream.dream import dream_octaves

        store, job_id = self.store, job["id"]
        what = store.get_json(f"job:{job_id}")
        parameters, kind = what["parameters"], what["kind"]
        start, mask = store.get_array(f"start:{job_id}"), store.get_array(f"mask:{job_id}")
        if start is None:
            raise ValueError(N_("The start image is gone from the queue's store: send the dream again."))
        dm = self.model_for(parameters)
        self.warm = True

        def on_step(done: int, total: int, image: Any) -> None:
            job.update(latest=image, done=done, total=total)
            if done == 1:
                job["first_step"] = time.time()
            if self.turns is not None:
                self.turns.between_steps(job["cancel"], self.stop)  # live frames first
            if job["cancel"].is_set() or self.stop.is_set():
                raise Cancelled
            if time.time() - job["written"] >= PROGRESS_SECONDS:
                with self._lock:
                    if not self._write_state(job, "running"):
                        job["cancel"].set()  # no longer this attempt's: stop at the next step

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

    def _write_state(self, job: dict[str, Any], state: str, error: str | None = None) -> bool:
        """The attempt's new state, if the job is still this attempt's and has not ended (else False)."""
        first, job["written"] = job["first_step"], time.time()
        pace = (time.time() - first) / (job["done"] - 1) if first and job["done"] >= 2 else None
        return self.store.change_state(job["id"], job["attempt"], {
            "state": state, "attempt": job["attempt"], "worker": self.name, "beat": time.time(),
            "done": job["done"], "total": job["total"], "seconds": time.time() - job["started"],
            "step_seconds": pace, "error": error})

    def _announce(self, job_id: str | None) -> None:
        """The worker's heartbeat: alive, the job it dreams (None: free), and whether its network is loaded."""
        self.store.put_json(f"worker:{self.number}", {"beat": time.time(), "job": job_id, "name": self.name,
                                                       "warm": self.warm})

    def _beat_loop(self) -> None:
        """Twice a second: the worker's heartbeat, the running job's lease, progress and preview, its cancel flag."""
        while not self.stop.wait(BEAT_SECONDS):
            with self._lock:
                job = self._job
            try:
                self._announce(job and job["id"])
                if job is None:
                    continue
                if self.store.get(f"cancel:{job['id']}") is not None:
                    job["cancel"].set()
                    continue
                with self._lock:
                    if self._job is job and not self._write_state(job, "running"):
                        job["cancel"].set()  # no longer this attempt's: another worker has it, or it ended
                        continue
                done, latest = job["done"], job["latest"]
                if latest is not None and done != job["preview_done"]:
                    jpeg = preview_jpeg(latest, self.preview_side)
                    self.store.put(f"preview:{job['id']}", done.to_bytes(8, "big") + jpeg)
                    job["preview_done"] = done
            except Exception:  # a store that hiccups: the next beat tries again
                traceback.print_exc()

