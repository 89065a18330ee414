"""The web app's queue on its own: refusals carry their status, a full queue says when to come back."""

import time

import numpy as np
import pytest

import deepdream_utils as dd
from deepdream import recipe
from deepdream.web.jobs import DreamRequest, DreamService
from deepdream.web.settings import Refusal, Settings


@pytest.fixture
def service():
    service = DreamService(Settings(workers=1, queue=1))
    yield service
    service.close()


def _parameters(**changes):
    return {"image": "photo.png", "noise": None} | recipe.DEFAULTS | {"layers": {"conv2d_15": 1.0}, "steps": 200,
                                                                       "octaves": 1} | changes


def test_a_job_too_small_for_its_layers_is_refused_with_a_400(service):
    with pytest.raises(Refusal, match="need at least") as refused:
        service.submit(DreamRequest(_parameters(layers={"mixed7": 1.0}), dd.noise_image(40, 40), "0" * 64))
    assert refused.value.status == 400


def test_a_full_queue_answers_503_with_retry_after(service):
    start = dd.noise_image(96, 96)
    running = service.submit(DreamRequest(_parameters(), start, "0" * 64))
    deadline = time.monotonic() + 60
    while running.state == "queued" and time.monotonic() < deadline:  # until the worker has taken it
        time.sleep(0.01)
    queued = service.submit(DreamRequest(_parameters(), start, "0" * 64))
    with pytest.raises(Refusal, match="The queue is full") as refused:
        service.submit(DreamRequest(_parameters(), start, "0" * 64))
    assert refused.value.status == 503 and int(refused.value.headers["Retry-After"]) >= 5
    assert service.cancel(queued) == "cancelled"
    service.cancel(running)
    assert running.ended.wait(60) and running.state == "cancelled"
    assert np.isfinite(service.status(running)["run_seconds"])
