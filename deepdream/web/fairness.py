"""A fair queue: the clients take turns, so one student's six dreams do not push everyone else back.

Each client (a browser's anonymous id, or an API client's) has its own line of waiting jobs. The next
job to run is the first job of the first client in the rotation that has a job waiting and none running;
that client then goes to the back of the rotation. A client seen for the first time joins at the back.
So if Ada sends six dreams and then Bob one, Bob's runs second, not seventh.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class FairQueue:
    """Waiting jobs, handed out in turns between their clients.

    Args:
        client_of: a job's client, the key of its turns (by default its ``turn`` attribute).
    """

    def __init__(self, client_of: Callable[[Any], str] = lambda job: job.turn) -> None:
        self._client_of = client_of
        self._lines: dict[str, collections.deque[Any]] = {}
        self._rotation: collections.OrderedDict[str, None] = collections.OrderedDict()

    def append(self, job: Any) -> None:
        """Puts ``job`` at the end of its client's line (a new client joins the rotation at the back)."""
        client = self._client_of(job)
        self._lines.setdefault(client, collections.deque()).append(job)
        self._rotation.setdefault(client, None)

    def remove(self, job: Any) -> None:
        """Takes a waiting job out (cancelled); a ValueError if it is not waiting."""
        line = self._lines.get(self._client_of(job))
        if line is None or job not in line:
            raise ValueError("that job is not waiting")
        line.remove(job)

    def waiting(self, client: str) -> int:
        """How many jobs of ``client`` wait."""
        return len(self._lines.get(client, ()))

    def pop(self, busy: Iterable[str] = ()) -> Any | None:
        """The next job to run, skipping clients in ``busy`` (those with a job running); None if there is none."""
        busy = set(busy)
        for client in self._rotation:
            if client not in busy and self._lines.get(client):
                job = self._lines[client].popleft()
                self._rotation.move_to_end(client)
                return job
        return None

    def __iter__(self) -> Iterator[Any]:
        """The waiting jobs in the order they would run if no client were busy."""
        lines = {client: list(line) for client, line in self._lines.items() if line}
        rotation = [client for client in self._rotation if client in lines]
        while rotation:
            client = rotation.pop(0)
            yield lines[client].pop(0)
            if lines[client]:
                rotation.append(client)

    def __len__(self) -> int:
        return sum(len(line) for line in self._lines.values())

    def __bool__(self) -> bool:
        return len(self) > 0

    def index(self, job: Any) -> int:
        """``job``'s place in the order (0: next); a ValueError if it is not waiting."""
        for place, waiting in enumerate(self):
            if waiting is job:
                return place
        raise ValueError("that job is not waiting")
