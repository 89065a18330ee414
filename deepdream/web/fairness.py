"""A fair queue: the clients take turns, so one student's six dreams do not push everyone else back.

Each client (a browser's anonymous id, or an API client's) has its own line of waiting jobs. The next job
to run is the first job of the client served least recently (one never served first; between equals,
the client whose first waiting job came first), skipping clients with a job running. So if Ada sends six
dreams and then Bob one, Bob's runs second, not seventh, whether or not Ada's first is already running.
Only clients with jobs waiting or running are remembered.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class FairQueue:
    """Waiting jobs, handed out in turns between their clients.

    Args:
        client_of: a job's client, the key of its turns (by default its ``turn`` attribute).
    """

    def __init__(self, client_of: Callable[[Any], str] = lambda job: job.turn) -> None:
        self._client_of = client_of
        self._lines: dict[str, collections.deque[tuple[int, Any]]] = {}  # client: (arrival, job), oldest first
        self._served: dict[str, int] = {}  # client: when its last job started (a tick)
        self._ticks = itertools.count()

    def append(self, job: Any) -> None:
        """Puts ``job`` at the end of its client's line."""
        self._lines.setdefault(self._client_of(job), collections.deque()).append((next(self._ticks), job))

    def put_back(self, job: Any) -> None:
        """Puts ``job`` first in its client's line, as if it came before every job waiting (its worker died)."""
        self._lines.setdefault(self._client_of(job), collections.deque()).appendleft((-next(self._ticks), job))

    def remove(self, job: Any) -> None:
        """Takes a waiting job out (cancelled); a ValueError if it is not waiting."""
        client = self._client_of(job)
        line = self._lines.get(client, collections.deque())
        for entry in line:
            if entry[1] is job:
                line.remove(entry)
                if not line:
                    del self._lines[client]
                return
        raise ValueError("that job is not waiting")

    def waiting(self, client: str) -> int:
        """How many jobs of ``client`` wait."""
        return len(self._lines.get(client, ()))

    def _next_client(self, lines: dict[str, Any], served: dict[str, int], busy: set[str]) -> str | None:
        candidates = [client for client in lines if client not in busy]
        if not candidates:
            return None
        return min(candidates, key=lambda client: (served.get(client, -1), lines[client][0][0]))

    def pop(self, busy: Iterable[str] = ()) -> Any | None:
        """The next job to run, skipping clients in ``busy`` (those with a job running); None if there is none.

        Args:
            busy: the clients with a job running (they are remembered as served; the others, once idle, not).
        """
        busy = set(busy)
        self._served = {client: tick for client, tick in self._served.items()
                        if client in busy or client in self._lines}  # forget the idle
        client = self._next_client(self._lines, self._served, busy)
        if client is None:
            return None
        _, job = self._lines[client].popleft()
        if not self._lines[client]:
            del self._lines[client]
        self._served[client] = next(self._ticks)
        return job

    def __iter__(self) -> Iterator[Any]:
        """The waiting jobs in the order they would run, one at a time."""
        lines = {client: list(line) for client, line in self._lines.items()}
        served = dict(self._served)
        tick = itertools.count(next(self._ticks))
        while lines:
            client = self._next_client(lines, served, set())
            yield lines[client].pop(0)[1]
            served[client] = next(tick)
            if not lines[client]:
                del lines[client]

    def __len__(self) -> int:
        return sum(len(line) for line in self._lines.values())

    def __bool__(self) -> bool:
        return bool(self._lines)

    def index(self, job: Any) -> int:
        """``job``'s place in the order (0: next); a ValueError if it is not waiting."""
        for place, waiting in enumerate(self):
            if waiting is job:
                return place
        raise ValueError("that job is not waiting")
