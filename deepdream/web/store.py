"""The job queue's store: Huey's storage and queue, with each job's state changed atomically.

The store is Huey's storage (``huey``): SQLite in the data folder on one machine (``SqliteHuey``, nothing
to install), Redis for several machines (``RedisHuey``, ``--broker redis://HOST:6379/0``), or memory
(``MemoryHuey``, without a data folder, as in most tests). Everything a worker needs and gives back goes
through it (``deepdream.web.engine`` lists the keys), so a worker on another machine needs no shared disk.

**Every change of a job's state is one atomic compare-and-set on its attempt** (``Store.change_state``):
it is written only if the stored state is still of the attempt the writer holds and has not ended. So a
worker whose lease ran out, and whose job was queued again, cannot mark it running, done or failed, and
the web cannot queue again a job that ended meanwhile. Each backend does it its own atomic way: a lock
in memory, an exclusive transaction in SQLite, a Lua script in Redis.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np

from deepdream.i18n import gettext as _

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
        self._script: Any = None  # Redis's compare-and-set, registered on first use

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
                raise ValueError(_("--broker {broker!r} is not a Redis URL: give redis://HOST:6379/0").format(
                    broker=broker))
            store = cls(huey.RedisHuey("deepdream", url=broker, results=False, read_timeout=1))
            try:
                store.kv.conn.ping()
            except Exception as error:  # redis.ConnectionError and its kin
                raise ValueError(_("cannot reach the broker at {broker} ({error}): is redis-server running there, "
                                   "and open to this machine?").format(broker=broker, error=error)) from None
            return store
        if data_dir is not None:
            path = Path(data_dir) / "queue.sqlite3"
            try:
                return cls(huey.SqliteHuey("deepdream", filename=str(path), results=False))
            except sqlite3.Error as error:
                raise ValueError(_("Cannot keep the queue in '{path}' ({error}): choose another --data-dir").format(
                    path=path, error=error)) from None
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

    def change_state(self, job_id: str, attempt: int, state: dict[str, Any]) -> bool:
        """Writes ``state`` (a new state of ``job_id``, which holds its own ``attempt``) in one atomic step,
        only if the stored state is of attempt ``attempt`` and has not ended; returns whether it did."""
        key, value = f"state:{job_id}", json.dumps(state).encode()
        kind = type(self.kv).__name__
        if kind.startswith("Redis"):
            return bool(self._redis_change(keys=[self.kv.result_key], args=[key, attempt, value, *ENDED]))
        if kind.startswith("Sqlite"):
            with self.kv.db(commit=True) as cursor:  # BEGIN EXCLUSIVE: no other process writes in between
                cursor.execute("SELECT value FROM kv WHERE queue = ? AND key = ?", (self.kv.name, key))
                row = cursor.fetchone()
                if row is None or not _may_change(json.loads(bytes(row[0])), attempt):
                    return False
                cursor.execute("UPDATE kv SET value = ? WHERE queue = ? AND key = ?", (value, self.kv.name, key))
                return True
        with self.kv._lock:  # MemoryStorage: one process, and its own lock
            old = self.kv.peek_data(key)
            if old is self._empty or not _may_change(json.loads(bytes(old)), attempt):
                return False
            self.kv.put_data(key, value)
            return True

    @property
    def _redis_change(self) -> Any:
        if self._script is None:
            self._script = self.kv.conn.register_script(CHANGE_STATE_LUA)
        return self._script

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


def _may_change(old: dict[str, Any], attempt: int) -> bool:
    return old.get("attempt") == attempt and old.get("state") not in ENDED


# Redis's compare-and-set of a job's state, run atomically by the server: KEYS[1] the store's hash; ARGV the
# state's key, the attempt expected, the new state, then the ended states.
CHANGE_STATE_LUA = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local state = cjson.decode(old)
if state['attempt'] ~= tonumber(ARGV[2]) then return 0 end
for i = 4, #ARGV do if state['state'] == ARGV[i] then return 0 end end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""


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
