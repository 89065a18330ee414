"""The service's settings and refusals (deepdream.web.settings): the documented defaults, and a refusal's status,
headers and message."""

import dataclasses

import pytest

from deepdream.web.settings import Refusal, Settings


def test_the_defaults_are_the_ones_deepdream_serve_documents():
    from deepdream.web import server

    defaults = Settings()
    options = server.build_parser().parse_args([])
    for name in ("workers", "queue", "per_client", "max_upload_mb", "max_side", "max_video_frames", "max_video_side",
                 "keep_mb", "channel_steps", "keep_jobs"):
        assert getattr(defaults, name) == getattr(options, name), name
    assert defaults.token is None and defaults.data_dir is None  # open, and no history unless given a folder
    with pytest.raises(dataclasses.FrozenInstanceError):
        defaults.queue = 100


def test_a_refusal_carries_its_status_headers_and_message():
    refusal = Refusal("The queue is full.", 503, {"Retry-After": "30"})
    assert (str(refusal), refusal.status, refusal.headers) == ("The queue is full.", 503, {"Retry-After": "30"})
    assert Refusal("No image.").status == 400 and Refusal("No image.").headers == {}
