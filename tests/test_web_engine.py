"""The job queue's engine: nothing lost when the server or a worker dies, and a class on several machines.

The one-machine test kills ``deepdream serve`` (SQLite in its data folder) mid-dream and starts it again;
the several-machines test runs Debian's ``redis-server`` on a free loopback port (not saved to disk), one
web process and two ``deepdream worker`` processes, 24 clients at once, then kills a worker mid-dream.
"""

import concurrent.futures
import io
import json
import time

import numpy as np
import pytest
import requests
from PIL import Image

from deepdream.web import engine
from deepdream.web.engine import Worker
from deepdream.web.store import Store
from tests.helpers import STORE_BACKENDS, DreamWorker, RedisServer, Server, open_store

ENDED = ("done", "failed", "cancelled")


def _solid_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _follow(session: requests.Session, url: str, job_id: str, timeout: float = 240,
            every: float = 0.1) -> tuple[dict, set[str]]:
    """Polls a job every ``every`` seconds until it ends: its last status and every state it was said to be in."""
    seen, deadline = set(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = session.get(f"{url}/api/jobs/{job_id}", timeout=60).json()
        seen.add(status["state"])
        if status["state"] in ENDED:
            return status, seen
        time.sleep(every)
    raise AssertionError(f"job {job_id} did not end in {timeout} s: {status}")


def _until_running(session: requests.Session, url: str, job_id: str, steps: int = 2) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = session.get(f"{url}/api/jobs/{job_id}", timeout=60).json()
        if status["state"] == "running" and status["steps_done"] >= steps:
            return status
        assert status["state"] in ("queued", "running"), status
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not run: {status}")


# -- the store and the worker on their own (in memory) ----------------------------------------------------
def test_an_attempt_is_dreamed_once_and_a_committed_result_is_never_dreamed_again():
    store = Store.open()
    built = []
    worker = Worker(store, lambda parameters: built.append(parameters), engine.threading.Event())
    store.put_json("state:j", {"state": "dispatched", "attempt": 0, "total": 4})
    store.put_if_empty("claim:j:0", b"another worker")
    worker.run_one("j", 0)  # a second message for attempt 0: another worker has it
    assert built == [] and store.get_json("state:j")["state"] == "dispatched"
    store.put_json("state:j", {"state": "dispatched", "attempt": 1, "total": 4})
    store.put("result:j", b"the picture of attempt 0")  # committed, then its worker died before saying so
    worker.run_one("j", 1)
    assert built == [], "the job was not dreamed a second time"
    assert store.get_json("state:j")["state"] == "done" and store.get("result:j") == b"the picture of attempt 0"


@pytest.fixture(params=STORE_BACKENDS)
def store(request, tmp_path):
    return open_store(request, tmp_path)


class _PaintingWorker(Worker):
    """A worker whose dream is a stand-in: it waits for ``go``, then commits ``picture`` as the job's result."""

    def __init__(self, store: Store, picture: bytes):
        super().__init__(store, lambda parameters: None, engine.threading.Event())
        self.picture, self.go, self.started = picture, engine.threading.Event(), engine.threading.Event()

    def _dream(self, job: dict) -> tuple[str, None]:
        self.started.set()
        self.go.wait(30)
        self.store.put_if_empty(f"result:{job['id']}", self.picture)
        return "done", None


def test_two_workers_on_one_job_and_a_late_end_from_the_lost_attempt_leave_exactly_one_result(store):
    store.put_json("state:j", {"state": "dispatched", "attempt": 0, "total": 4})
    slow, fast = _PaintingWorker(store, b"the picture of attempt 0"), _PaintingWorker(store, b"attempt 1's")
    late = engine.threading.Thread(target=slow.run_one, args=("j", 0))
    queued_again = {"state": "queued", "attempt": 1, "total": 4}

    def web_first(write):  # the web queues the job again between the lost worker's last look and its write
        def wrapped(*args):
            if engine.threading.current_thread() is late and slow.go.is_set() and "requeued" not in slow.__dict__:
                slow.requeued = store.kv.put_data("state:j", json.dumps(queued_again).encode())
            return write(*args)
        return wrapped

    store.put_json, store.change_state = web_first(store.put_json), web_first(store.change_state)
    late.start()
    assert slow.started.wait(30)
    slow.go.set()  # the lost attempt ends late, and says done
    late.join(30)
    assert "requeued" in slow.__dict__ and store.get_json("state:j") == queued_again, "its late word was refused"
    fast.go.set()
    fast.run_one("j", 1)
    state = store.get_json("state:j")
    assert (state["state"], state["attempt"], state["worker"]) == ("done", 1, fast.name)
    assert store.get("result:j") == b"the picture of attempt 0", "one result: the first committed"
    slow.run_one("j", 1)  # a second message for attempt 1: refused by the claim
    assert store.get_json("state:j") == state


# -- one machine: SQLite in the data folder ----------------------------------------------------------------
@pytest.mark.slow
def test_a_server_killed_mid_dream_finishes_its_three_jobs_when_started_again(tmp_path):
    server = Server("--data-dir", str(tmp_path))
    session = requests.Session()
    session.get(server.url + "/", timeout=60)
    forms = [{"noise": "160x120", "steps": "60", "octaves": "1", "seed": "1", "layers": "mixed3"},
             {"noise": "96x96", "steps": "4", "octaves": "1", "seed": "2", "layers": "mixed3"},
             {"noise": "112x96", "steps": "4", "octaves": "1", "seed": "3", "layers": "mixed3"}]
    try:
        ids = [session.post(server.url + "/api/jobs", data=form, timeout=60).json()["id"] for form in forms]
        _until_running(session, server.url, ids[0])
        states = [session.get(f"{server.url}/api/jobs/{i}", timeout=60).json()["state"] for i in ids]
        assert states == ["running", "queued", "queued"]
    finally:
        server.kill()
    again = Server("--data-dir", str(tmp_path))
    try:
        for job_id, form, attempts in zip(ids, forms, (1, 0, 0)):
            status, seen = _follow(session, again.url, job_id)
            assert status["state"] == "done" and seen <= {"queued", "running", "done"}, (status, seen)
            assert status["attempt"] == attempts, "only the dream that was running is dreamed again"
            picture = Image.open(io.BytesIO(session.get(f"{again.url}/api/jobs/{job_id}/result", timeout=60).content))
            assert picture.format == "JPEG" and picture.size == tuple(int(n) for n in form["noise"].split("x"))
    finally:
        again.stop()


# -- several machines: Redis, one web process, two workers ----------------------------------------------------
def _class_client(url: str, index: int, jobs: int = 2) -> list[dict]:
    """One student: sends ``jobs`` small dreams, each of its own size and colour, then fetches them all."""
    session = requests.Session()
    session.get(url + "/", timeout=60)
    sent = []
    for n in range(jobs):
        size, colour = (64 + index, 48 + n), (10 * index, 255 - 30 * n, 128)
        answer = session.post(url + "/api/jobs", files={"image": (f"c{index}_{n}.png", _solid_png(*size, colour))},
                              data={"layers": "mixed3", "steps": "2", "octaves": "1", "seed": str(n)}, timeout=60)
        assert answer.status_code == 202, answer.text
        sent.append({"id": answer.json()["id"], "size": size, "colour": colour})
    for job in sent:
        job["status"], _ = _follow(session, url, job["id"], timeout=600, every=0.5)  # 24 pollers: the page's pace
        result = session.get(f"{url}/api/jobs/{job['id']}/result", timeout=60)
        job["picture"] = np.asarray(Image.open(io.BytesIO(result.content)).convert("RGB"), np.float32)
    return sent


@pytest.mark.slow
def test_24_clients_and_two_workers_on_redis_lose_nothing_even_when_a_worker_is_killed():
    """And the preview and cancel work across machines as on one."""
    redis = RedisServer()
    server, workers = None, []
    try:
        server = Server("--broker", redis.url, "--workers", "0", "--queue", "200", "--per-client", "8",
                        "--keep-jobs", "400")
        workers = [DreamWorker(redis.url) for _ in range(2)]
        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            jobs = [job for sent in pool.map(lambda index: _class_client(server.url, index), range(24)) for job in sent]
        assert len(jobs) == 48 and len({job["id"] for job in jobs}) == 48
        assert all(job["status"]["state"] == "done" for job in jobs), [j["status"] for j in jobs if
                                                                       j["status"]["state"] != "done"]
        assert {job["status"]["worker"] for job in jobs} == {worker.name for worker in workers}, "both dreamed"
        for job in jobs:  # each picture is its own: its size, and its colour under the dream
            assert job["picture"].shape[1::-1] == job["size"]
            assert np.abs(job["picture"].mean(axis=(0, 1)) - job["colour"]).max() < 40

        session = requests.Session()
        long = session.post(server.url + "/api/jobs", data={"noise": "200x200", "steps": "80", "octaves": "1",
                                                             "layers": "mixed3"}, timeout=60).json()
        victim = _until_running(session, server.url, long["id"], steps=3)["worker"]
        preview = session.get(server.url + long["preview_url"], timeout=60)  # made by the worker, through Redis
        assert preview.status_code == 200 and preview.headers["Content-Type"] == "image/jpeg"
        assert Image.open(io.BytesIO(preview.content)).size == (200, 200)
        (killed,) = [worker for worker in workers if worker.name == victim]
        killed.process.kill()
        status, seen = _follow(session, server.url, long["id"])
        assert status["state"] == "done" and seen <= {"queued", "running", "done"}, (status, seen)
        assert status["attempt"] == 1 and status["worker"] != victim, "the other worker finished it"
        assert Image.open(io.BytesIO(session.get(server.url + long["result_url"], timeout=60).content)).size == \
            (200, 200)

        doomed = session.post(server.url + "/api/jobs", data={"noise": "200x200", "steps": "200", "octaves": "1",
                                                               "layers": "mixed3"}, timeout=60).json()
        _until_running(session, server.url, doomed["id"])
        assert session.delete(server.url + doomed["status_url"], timeout=60).status_code == 202
        status, _ = _follow(session, server.url, doomed["id"], timeout=30)
        assert status["state"] == "cancelled" and status["steps_done"] < 200, "cancelled on its worker, at a step"
    finally:
        for worker in workers:
            worker.stop()
        if server is not None:
            server.stop()
        redis.stop()
