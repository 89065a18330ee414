"""The web process's CPU turns (deepdream.web.scheduler): live frames first, jobs and strips wait between steps,
and nothing starves."""

import threading
import time

from deepdream import web
from deepdream.web.scheduler import CpuTurns
from tests.helpers import LONG_DREAM, post_dream, wait_for_job


def _step_in_thread(turns: CpuTurns, stop: threading.Event | None = None) -> tuple[threading.Event, list[float]]:
    done, waited = threading.Event(), []
    stops = [stop] if stop is not None else []
    threading.Thread(target=lambda: (waited.append(turns.between_steps(*stops)), done.set()), daemon=True).start()
    return done, waited


def test_a_step_waits_while_a_live_frame_is_dreamed_and_goes_on_after_the_grace():
    turns = CpuTurns(grace=0.2, max_pause=30)
    assert turns.between_steps() == 0.0, "no live frame: no wait"
    with turns.live():
        done, waited = _step_in_thread(turns)
        assert not done.wait(0.5), "a job's step waited for the live frame"
    assert done.wait(10) and waited[0] >= 0.5
    assert turns.paused_seconds >= 0.5


def test_live_frames_take_their_turns_in_the_order_they_came():
    turns, order = CpuTurns(), []
    first = turns.live()
    first.__enter__()

    def frame(name: str) -> None:
        with turns.live():
            order.append(name)

    threads = []
    for name in ("a", "b", "c"):
        threads.append(threading.Thread(target=frame, args=(name,)))
        threads[-1].start()
        time.sleep(0.05)  # so that they queue in this order
    first.__exit__(None, None, None)
    for thread in threads:
        thread.join(10)
    assert order == ["a", "b", "c"]


def test_a_step_that_waited_its_longest_goes_anyway_so_nothing_starves():
    turns = CpuTurns(grace=0.2, max_pause=0.3)
    with turns.live():
        done, waited = _step_in_thread(turns)
        assert done.wait(10), "it took its step while live frames still came"
        assert 0.3 <= waited[0] < 10


def test_a_cancelled_job_stops_waiting():
    turns, cancel = CpuTurns(max_pause=60), threading.Event()
    with turns.live():
        done, _ = _step_in_thread(turns, cancel)
        assert not done.wait(0.2)
        cancel.set()
        assert done.wait(10)


def test_a_queued_job_pauses_while_live_frames_are_dreamed_then_goes_on():
    app = web.create_app(web.Settings())
    client, turns = app.test_client(), app.extensions["deepdream"].turns
    assert app.extensions["deepdream_live"].turns is turns, "one policy for the live frames and the jobs"
    try:
        job = post_dream(client, "/api/jobs", **LONG_DREAM).get_json()
        wait_for_job(client, job["id"], until=("running",))
        while client.get(job["status_url"]).get_json()["steps_done"] < 2:
            time.sleep(0.05)
        with turns.live():
            time.sleep(0.5)  # the step under way ends
            paused = client.get(job["status_url"]).get_json()["steps_done"]
            time.sleep(1.5)
            assert client.get(job["status_url"]).get_json()["steps_done"] <= paused + 1, "it waited"
        deadline = time.monotonic() + 60
        while client.get(job["status_url"]).get_json()["steps_done"] <= paused + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get(job["status_url"]).get_json()["steps_done"] > paused + 1, "it went on"
    finally:
        app.extensions["deepdream"].close()
