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


def test_a_jobs_message_kept_in_english_is_said_in_the_language_of_the_request_that_shows_it():
    from deepdream import i18n
    from deepdream.web import settings

    lost = settings.LOST_EACH_TIME.format(times=3, why=settings.WORKER_SILENT.format(worker="w1"))
    shrunk = settings.IMAGE_SHRUNK.format(width=1024, height=576, dreamed_width=768, dreamed_height=432, max_side=768)
    assert settings.said(lost) == lost and settings.said(None) is None  # English: as kept
    with i18n.answering_in("zh_CN"):
        said = settings.said(lost)
        assert "3" in said and "w1" in said and "started" not in said and "stopped answering" not in said
        both = settings.said(f"{shrunk} {settings.NOT_KEPT}")
        assert "768x432" in both and "The image was" not in both and "download it now" not in both
        assert settings.said("Cancelled before it started.") == i18n.gettext("Cancelled before it started.") != (
            "Cancelled before it started.")
        assert settings.said("ValueError: a worker's own words") == "ValueError: a worker's own words"
