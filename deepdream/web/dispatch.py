"""The web process's side of the engine: free workers get the next jobs in fair turns; running jobs are followed.

``DreamService`` (``deepdream.web.jobs``) is a ``Dispatcher``. One thread, ten times a second:

- reads the state of each job handed to the engine (``deepdream.web.engine``): a running job's progress
  and its worker's beat, or its end (the picture, movie and sidecar are then read from the store);
- puts back, at the front of its client's line, a job whose worker stopped beating for ``LEASE_SECONDS``
  (by this process's clock: machines' clocks may disagree), and fails it after ``MAX_ATTEMPTS``;
- hands the next jobs of the fair queue to the engine, one for each free worker. Jobs wait here, not in
  the engine's queue, so the turns between students hold however many workers there are.

At start, ``_recover`` reads back the jobs of an earlier run of the server from the store. The errors it
gives a job are in English (``N_``), said in each reader's language (``deepdream.web.settings.said``).
"""

from __future__ import annotations

import sys
import time
import traceback
from typing import Any

from deepdream.i18n import N_
from deepdream.web.settings import LOST_EACH_TIME, WORKER_SILENT
from deepdream.web.store import ENDED, LEASE_SECONDS, MAX_ATTEMPTS

FOLLOW_SECONDS = 0.1  # how often the web process looks at its running jobs in the store


class Dispatcher:
    """The following thread's work, for ``DreamService`` (its lock, jobs, fair queue and store)."""

    def _follow_loop(self) -> None:
        while not self._stop.wait(FOLLOW_SECONDS):
            try:
                self._follow()
            except Exception:  # the store hiccuped (Redis restarting?): try again at the next tick
                traceback.print_exc(file=sys.stderr)

    def _follow(self) -> None:
        with self._lock:
            watched = [job for job in self._jobs.values() if job.state == "running" or job.dispatched]
        states = self.store.get_many([f"state:{job.id}" for job in watched])  # the states, then the workers
        for job in watched:
            state = states.get(f"state:{job.id}") or {"state": "failed", "error": N_("It is gone from the store.")}
            with self._lock:
                if job.ended.is_set():  # cancelled here meanwhile (or the server is closing)
                    continue
                if state["state"] == "running":
                    if job.state != "running":
                        job.state, job.dispatched = "running", False
                        job.started = time.monotonic() - state["seconds"]
                    job.done, job.total, job.step_seconds = state["done"], state["total"], state["step_seconds"]
                    job.worker = state["worker"]
                    if not job.lease.holds((state["beat"], state["attempt"]), LEASE_SECONDS):
                        self._lost(job, WORKER_SILENT.format(worker=state["worker"]))
                elif state["state"] in ENDED:
                    self._finish(job, state)
                elif job.dispatched and time.monotonic() - job.dispatched_at > LEASE_SECONDS \
                        and self.store.messages() == 0:
                    self._lost(job, N_("its message was taken by a worker that then stopped"))
        self._dispatch()

    def _dispatch(self) -> None:
        """Sends the next jobs, in fair turns, to the engine: one for each free worker."""
        free = sum(1 for worker in self.store.workers() if worker["job"] is None)
        with self._lock:
            if self._closed:
                return
            free -= sum(job.dispatched for job in self._jobs.values())
            while free > 0:
                busy = {job.turn for job in self._jobs.values() if job.state == "running" or job.dispatched}
                job = self._pending.pop(busy)
                if job is None:
                    return
                job.dispatched, job.dispatched_at = True, time.monotonic()
                if not self.store.change_state(job.id, job.attempt, {"state": "dispatched", "attempt": job.attempt,
                                                                     "total": job.total}):
                    continue  # it ended meanwhile (cancelled from another server): the next look finishes it
                self.store.send(job.id, job.attempt)
                free -= 1

    def _lost(self, job: Any, why: str) -> None:
        """A job whose worker died: queued again at the front of its client's line, or failed after
        ``MAX_ATTEMPTS`` (call with the lock held)."""
        lost = job.attempt
        if lost + 1 >= MAX_ATTEMPTS:
            error = LOST_EACH_TIME.format(times=lost + 1, why=why)
            new = {"state": "failed", "attempt": lost + 1, "error": error}
        else:
            new = {"state": "queued", "attempt": lost + 1, "total": job.total}
        if not self.store.change_state(job.id, lost, new):
            return  # its worker ended it meanwhile, after all: the next look takes its outcome
        job.attempt = lost + 1
        if new["state"] == "failed":
            self._end(job, "failed", new["error"])  # ended in the store already
            return
        job.state, job.dispatched, job.done = "queued", False, 0
        self._pending.put_back(job)

    def _finish(self, job: Any, state: dict[str, Any], keep: bool = True) -> None:
        """Takes a job's outcome from the store, and keeps a dream in the history (call with the lock held)."""
        job.worker = state.get("worker", job.worker)
        if job.started is None and "seconds" in state:  # it ran between two looks
            job.started = time.monotonic() - state["seconds"]
        if state["state"] == "done":
            job.jpeg = self.store.get(f"result:{job.id}")
            if job.jpeg is None:
                self._end(job, "failed", N_("The worker said done but left no picture: send the dream again."))
                return
            job.sidecar = self.store.get_json(f"sidecar:{job.id}")
            movie = self.store.get(f"movie:{job.id}")
            if movie is not None:
                suffix, data = movie.split(b"\0", 1)
                job.movie = (suffix.decode(), data)
            job.done = job.total
            if state.get("step_seconds") and job.work:
                self._seconds_per_work = state["step_seconds"] * job.total / job.work
            if keep:
                self._keep(job)
        self._end(job, state["state"], state.get("error"))

    def _recover(self) -> None:
        """Reads back the jobs of an earlier run of the server from the store (a data folder or a broker)."""
        with self._lock:
            for job_id in self.store.get_json("jobs") or []:
                self._recover_job(job_id)

    def _recover_job(self, job_id: str) -> None:
        """One job of an earlier run: finished, waiting, handed to the engine, or running (call with the lock held)."""
        what, state = self.store.get_json(f"job:{job_id}"), self.store.get_json(f"state:{job_id}")
        if what is None or state is None:
            return
        job = self._rebuilt_job(job_id, what, state)
        self._jobs[job_id] = job
        if state["state"] in ENDED:
            self._finish(job, state, keep=False)  # kept when it ended
        elif state["state"] == "queued":
            self._pending.append(job)
        elif state["state"] == "dispatched":
            job.dispatched, job.dispatched_at = True, time.monotonic()
        elif self.store.shared:  # running: followed, and put back if its lease runs out
            job.state, job.started = "running", time.monotonic()
        else:  # running here when the server stopped: its worker is gone
            self._lost(job, N_("the server stopped"))
