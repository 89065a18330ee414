"""One policy for the web process's CPU: live frames first, then the queued jobs and the channel strips.

Three kinds of work dream in ``deepdream serve``'s process: the live page's frames, the queue's jobs (its
in-process workers, ``--workers``) and the studio's channel strips. They share the cores under one policy,
``CpuTurns``:

* **Live frames go first.** They take the CPU in turns, first come first served, one frame at a time
  (``live``): two browsers share it evenly, and a frame is a fraction of a second.
* **Jobs and strips yield between their steps while live is on**: while a live frame waits or is dreamed,
  and for ``LIVE_GRACE`` seconds after the last one (the session's next frame is on its way), a job or a
  strip waits before its next step (``between_steps``). A job keeps its lease while it waits.
* **Nothing starves**: a job or strip that has waited ``MAX_PAUSE`` seconds takes one step anyway.

Workers in other processes (``deepdream worker``) have no live frames beside them and never wait.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable, Iterator

LIVE_GRACE = 1.0  # seconds after a live frame during which jobs and strips still wait (the next frame comes)
MAX_PAUSE = 10.0  # a job or strip that waited this long takes one step anyway


class CpuTurns:
    """The CPU's turns in one process: ``with turns.live():`` around a live frame, ``turns.between_steps()``
    before each step of a job or a strip.

    Args:
        grace: seconds after a live frame during which steps still wait.
        max_pause: the longest a step waits.
        clock: the time (monotonic seconds); the tests pass their own.
    """

    def __init__(self, grace: float = LIVE_GRACE, max_pause: float = MAX_PAUSE,
                 clock: Callable[[], float] = time.monotonic):
        self.grace, self.max_pause, self.clock = grace, max_pause, clock
        self._lock = threading.Condition()
        self._frames: collections.deque[object] = collections.deque()  # live frames waiting or being dreamed
        self._last_frame = -float("inf")
        self.paused_seconds = 0.0  # how long steps waited in all

    @contextlib.contextmanager
    def live(self) -> Iterator[None]:
        """Waits for this live frame's turn (first come, first served), and holds it while the frame is dreamed."""
        ticket = object()
        with self._lock:
            self._frames.append(ticket)
            self._lock.wait_for(lambda: self._frames[0] is ticket)
        try:
            yield
        finally:
            with self._lock:
                self._frames.popleft()
                self._last_frame = self.clock()
                self._lock.notify_all()

    def _live_is_on(self) -> bool:
        """Whether a live frame waits or is dreamed, or came within the grace (call with the lock held)."""
        return bool(self._frames) or self.clock() - self._last_frame < self.grace

    def between_steps(self, *stops: threading.Event) -> float:
        """Before a job's or a strip's next step: waits while live is on (at most ``max_pause`` seconds, and
        no longer once one of ``stops`` is set: the job cancelled, the server closing); returns the seconds
        it waited."""
        with self._lock:
            if not self._live_is_on():
                return 0.0
            start = self.clock()
            while self._live_is_on() and self.clock() - start < self.max_pause and \
                    not any(stop.is_set() for stop in stops):
                self._lock.wait(0.05)
            waited = self.clock() - start
            self.paused_seconds += waited
        return waited
