"""The fair queue (deepdream.web.fairness): clients take turns, a busy client is skipped, positions as they
would run, and the service's limits per client (a 429 with Retry-After)."""

import dataclasses
import time

import pytest

from deepdream import web
from deepdream.web.fairness import FairQueue


@dataclasses.dataclass(eq=False)
class _Job:
    turn: str
    name: str


def _queue(*jobs):
    queue = FairQueue()
    for job in jobs:
        queue.append(job)
    return queue


def test_six_dreams_of_one_client_do_not_push_the_next_clients_one_back():
    ada = [_Job("ada", f"a{i}") for i in range(1, 7)]
    bob = _Job("bob", "b1")
    queue = _queue(*ada, bob)
    assert [job.name for job in queue] == ["a1", "b1", "a2", "a3", "a4", "a5", "a6"]
    assert queue.index(bob) == 1 and len(queue) == 7 and queue.waiting("ada") == 6


def test_after_a_client_is_served_the_others_go_first():
    queue = _queue(_Job("ada", "a1"), _Job("ada", "a2"), _Job("bob", "b1"), _Job("cy", "c1"))
    assert queue.pop().name == "a1"
    assert [job.name for job in queue] == ["b1", "c1", "a2"]
    assert queue.pop().name == "b1"
    queue.append(_Job("bob", "b2"))
    assert [job.name for job in queue] == ["c1", "a2", "b2"]


def test_a_client_with_a_dream_running_is_skipped_and_an_empty_queue_gives_none():
    queue = _queue(_Job("ada", "a1"), _Job("bob", "b1"))
    assert queue.pop(busy={"ada"}).name == "b1"
    assert queue.pop(busy={"ada"}) is None
    assert queue.pop().name == "a1" and queue.pop() is None and not queue


def test_a_client_whose_dream_already_runs_still_waits_behind_one_never_served():
    queue = _queue(_Job("ada", "a1"))
    assert queue.pop().name == "a1"  # ada's first runs at once, alone
    for i in range(2, 7):
        queue.append(_Job("ada", f"a{i}"))
    queue.append(_Job("bob", "b1"))
    assert [job.name for job in queue] == ["b1", "a2", "a3", "a4", "a5", "a6"]
    assert queue.pop(busy={"ada"}).name == "b1"  # while a1 runs...
    assert queue.pop().name == "a2"  # ...and after it


def test_only_clients_with_dreams_waiting_or_running_are_remembered():
    queue = _queue(_Job("ada", "a1"), _Job("bob", "b1"))
    queue.pop(), queue.pop(busy={"ada"})
    assert set(queue._served) == {"ada", "bob"}
    assert queue.pop(busy={"bob"}) is None and set(queue._served) == {"bob"}
    assert queue.pop() is None and queue._served == {} and queue._lines == {}


def test_removing_a_waiting_job_and_one_that_is_not():
    a1, b1 = _Job("ada", "a1"), _Job("bob", "b1")
    queue = _queue(a1, b1)
    queue.remove(a1)
    assert [job.name for job in queue] == ["b1"]
    with pytest.raises(ValueError):
        queue.remove(a1)
    with pytest.raises(ValueError):
        queue.index(a1)


def _noise_request(seed, steps=40):
    import numpy as np

    from deepdream import recipe
    from deepdream.web.jobs import DreamRequest

    parameters = recipe.DEFAULTS | {"layers": {"mixed0": 1.0}, "steps": steps, "octaves": 1, "image": None,
                                    "noise": [64, 64], "seed": seed, "transforms": "none"}
    return DreamRequest(parameters, np.full((64, 64, 3), 0.5, np.float32), None)


def test_the_service_starts_the_second_clients_dream_before_the_first_clients_second():
    service = web.DreamService(web.Settings(queue=10, per_client=10))
    try:
        ada = [service.submit(_noise_request(0, steps=200), "ada")]  # long enough to be running meanwhile
        while ada[0].state == "queued":  # ada's first is running before the rest are sent
            time.sleep(0.01)
        ada += [service.submit(_noise_request(seed), "ada") for seed in range(1, 6)]
        bob = service.submit(_noise_request(9), "bob")
        assert service.status(bob)["queue_position"] == 1
        for job in ada + [bob]:
            job.ended.wait(120)
        assert all(job.state == "done" for job in ada + [bob])
        assert bob.started <= ada[1].started, "bob's one dream waited behind ada's second"
    finally:
        service.close()


def test_one_more_dream_than_a_client_may_have_waiting_is_a_429_with_retry_after():
    service = web.DreamService(web.Settings(queue=10, per_client=2))
    try:
        running = service.submit(_noise_request(0, steps=200), "ada")
        while running.state != "running":
            time.sleep(0.01)
        service.submit(_noise_request(1), "ada"), service.submit(_noise_request(2), "ada")
        with pytest.raises(web.Refusal) as refused:
            service.submit(_noise_request(3), "ada")
        assert refused.value.status == 429 and int(refused.value.headers["Retry-After"]) >= 5
        assert "You have 2 dreams waiting, the most one browser may have" in str(refused.value)
        assert service.submit(_noise_request(4), "bob").state == "queued", "another client still may"
    finally:
        service.close()
