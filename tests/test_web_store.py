"""The queue's store (deepdream.web.store) on its three backends: values, and each state change atomic."""

import concurrent.futures

import numpy as np
import pytest

from deepdream.web.store import Store
from tests.helpers import STORE_BACKENDS, open_store


@pytest.fixture(params=STORE_BACKENDS)
def store(request, tmp_path):
    return open_store(request, tmp_path)


def test_a_start_image_travels_through_the_store_bit_for_bit():
    store = Store.open()
    start = np.random.default_rng(0).random((5, 7, 3), dtype=np.float32)
    store.put_array("start:x", start)
    back = store.get_array("start:x")
    assert back.dtype == np.float32 and np.array_equal(back, start)
    assert store.get_array("start:missing") is None


def test_a_broker_that_is_not_redis_or_does_not_answer_is_a_clear_error():
    with pytest.raises(ValueError, match=r"not a Redis URL: give redis://HOST:6379/0"):
        Store.open(broker="http://localhost:6379")
    with pytest.raises(ValueError, match=r"cannot reach the broker at redis://127.0.0.1:1/0.*redis-server running"):
        Store.open(broker="redis://127.0.0.1:1/0")


def test_a_state_change_holds_only_for_the_attempt_that_still_has_the_job(store):
    assert not store.change_state("j", 0, {"state": "running", "attempt": 0}), "no job, no state"
    store.put_json("state:j", {"state": "dispatched", "attempt": 0, "total": 4})
    assert store.change_state("j", 0, {"state": "running", "attempt": 0, "done": 1})
    assert store.change_state("j", 0, {"state": "queued", "attempt": 1}), "the web queues it again"
    assert not store.change_state("j", 0, {"state": "done", "attempt": 0}), "a late end from the lost attempt"
    assert store.change_state("j", 1, {"state": "done", "attempt": 1})
    assert not store.change_state("j", 1, {"state": "queued", "attempt": 2}), "an ended job stays ended"
    assert store.get_json("state:j") == {"state": "done", "attempt": 1}


def test_of_many_writers_racing_to_end_one_attempt_exactly_one_wins(store):
    for round_ in range(5):
        store.put_json(f"state:r{round_}", {"state": "running", "attempt": 0})
        outcomes = [{"state": "done", "attempt": 0, "by": n} for n in range(4)] + [
            {"state": "queued", "attempt": 1, "by": n} for n in range(4, 8)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            won = list(pool.map(lambda state, key=f"r{round_}": store.change_state(key, 0, state), outcomes))
        assert sum(won) == 1
        assert store.get_json(f"state:r{round_}") == outcomes[won.index(True)]
