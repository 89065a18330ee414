"""The web process's dispatcher: fair turns kept here, one job per free worker, lost workers' jobs put back.

These tests play the worker themselves (its heartbeat and the job's state in the store), so they can
make it idle, busy, or dead at will; the service has no dreamer of its own (``workers=0``).
"""

import time

import pytest

import deepdream_utils as dd
from deepdream import recipe
from deepdream.files import jpeg_bytes
from deepdream.web import store
from deepdream.web.jobs import DreamRequest, DreamService
from deepdream.web.settings import Settings


@pytest.fixture
def service():
    service = DreamService(Settings(workers=0, per_client=5))
    yield service
    service.close()


def _submit(service, client):
    parameters = {"image": None, "noise": "80x80"} | recipe.DEFAULTS | {"layers": {"mixed0": 1.0}, "octaves": 1}
    return service.submit(DreamRequest(parameters, dd.noise_image(80, 80), None), client)


def _beat(service, number, job=None):
    service.store.put_json(f"worker:{number}", {"beat": time.time(), "job": job, "name": "the test"})


def _wait_for(condition, what, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _state(service, job):
    return (service.store.get_json(f"state:{job.id}") or {}).get("state")


def test_jobs_wait_here_in_fair_turns_and_go_to_the_engine_one_per_free_worker(service):
    ada = [_submit(service, "ada") for _ in range(3)]
    bob = _submit(service, "bob")
    time.sleep(0.5)
    assert service.store.messages() == 0, "no worker, no message"
    number = service.store.new_worker()
    _beat(service, number)
    _wait_for(lambda: _state(service, ada[0]) == "dispatched", "the free worker was not given a job")
    time.sleep(0.5)
    assert service.store.messages() == 1 and [_state(service, j) for j in (*ada[1:], bob)] == ["queued"] * 3
    assert service.store.receive() == (ada[0].id, 0)
    _beat(service, number, ada[0].id)  # busy: nothing more is handed out
    service.store.put_json(f"state:{ada[0].id}", {"state": "running", "attempt": 0, "worker": "the test",
                                                  "beat": time.time(), "done": 1, "total": ada[0].total,
                                                  "seconds": 0.0, "step_seconds": None})
    _wait_for(lambda: ada[0].state == "running", "the web did not follow the running job")
    time.sleep(0.5)
    assert service.store.messages() == 0
    service.store.put("result:" + ada[0].id, jpeg_bytes(dd.noise_image(8, 8)))
    service.store.put_json(f"sidecar:{ada[0].id}", {"parameters": {}})
    service.store.put_json(f"state:{ada[0].id}", {"state": "done", "attempt": 0, "worker": "the test",
                                                  "seconds": 1.0})
    _beat(service, number)  # free again: Bob's turn comes before Ada's second dream
    _wait_for(lambda: _state(service, bob) == "dispatched", "Bob's dream was not next")
    assert ada[0].ended.wait(10) and ada[0].state == "done" and ada[0].worker == "the test"
    assert _state(service, ada[1]) == "queued"


def test_a_job_whose_worker_stops_answering_is_queued_again_and_failed_after_three_tries(service, monkeypatch):
    monkeypatch.setattr("deepdream.web.dispatch.LEASE_SECONDS", 1.0)
    job = _submit(service, "ada")
    number = service.store.new_worker()
    for attempt in range(store.MAX_ATTEMPTS):
        deadline = time.monotonic() + 30
        while _state(service, job) != "dispatched":
            _beat(service, number)
            assert time.monotonic() < deadline, "the job was not handed to the free worker"
            time.sleep(0.05)
        assert service.status(job)["attempt"] == attempt
        _beat(service, number, job.id)
        service.store.put_json(f"state:{job.id}", {"state": "running", "attempt": attempt, "worker": "the test",
                                                   "beat": time.time(), "done": 1, "total": job.total,
                                                   "seconds": 0.0, "step_seconds": None})
        _wait_for(lambda a=attempt: job.state == "running" or job.attempt > a, "the web did not follow it")
        # the worker dies: no more beats; the job is put back (or, the third time, failed)
        _wait_for(lambda a=attempt: job.attempt > a, "the lost job was not noticed")
    assert job.ended.wait(30) and job.state == "failed"
    assert "started 3 times" in job.error and "stopped answering" in job.error


def test_a_job_its_worker_finished_just_before_its_last_lease_ran_out_is_done_not_failed(service):
    job, last = _submit(service, "ada"), store.MAX_ATTEMPTS - 1
    with service._lock:  # the job's last attempt runs
        service._pending.remove(job)
        job.attempt, job.state = last, "running"
    service.store.put_json(f"state:{job.id}", {"state": "running", "attempt": last, "worker": "the test",
                                               "beat": time.time(), "done": 1, "total": job.total, "seconds": 0.0,
                                               "step_seconds": None})
    service.store.put("result:" + job.id, jpeg_bytes(dd.noise_image(8, 8)))  # the worker finishes...
    service.store.put_json(f"sidecar:{job.id}", {"parameters": {}})
    assert service.store.change_state(job.id, last, {"state": "done", "attempt": last, "worker": "the test",
                                                      "seconds": 1.0})
    with service._lock:  # ...just before the web gives up on it
        service._lost(job, "its worker (the test) stopped answering")
    assert _state(service, job) == "done"
    assert job.ended.wait(10) and job.state == "done" and job.jpeg is not None, job.error
