"""Zoom and video jobs (deepdream.web.movies) through Flask's test client: what comes back, progress, cancel,
the history, and every bad input answered with a 4xx and a message."""

import io
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepdream import web
from tests.helpers import make_clip as _clip
from tests.helpers import streams
from tests.helpers import wait_for_job as _wait

SMALL = {"layers": "mixed3", "steps": "1", "octaves": "1", "step_size": "0.05"}


def _submit(client, files=None, **fields):
    data = dict(SMALL) | fields
    for name, (content, filename) in (files or {}).items():
        data[name] = (io.BytesIO(content), filename)
    return client.post("/api/jobs", data=data, content_type="multipart/form-data")


def _refused(response, status, pattern):
    assert response.status_code == status, response.get_data(as_text=True)
    message = response.get_json()["error"]
    assert re.search(pattern, message), message
    assert "Traceback" not in message


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = web.create_app(web.Settings(max_side=256, max_video_frames=20, max_video_side=96, queue=4,
                                      data_dir=tmp_path_factory.mktemp("data")))
    yield app
    app.extensions["deepdream"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def twelve_frames(tmp_path_factory):
    return _clip(tmp_path_factory.mktemp("clips") / "twelve.mp4").read_bytes()


def test_a_zoom_job_gives_a_webp_animation_of_the_frames_asked_for(client):
    job = _submit(client, noise="96x96", make="zoom", frames="3", zoom="1.1", fps="6").get_json()
    status = _wait(client, job["id"])
    assert status["state"] == "done", status
    assert (status["make"], status["unit"], status["steps_total"]) == ("zoom", "step", 3)
    assert status["result_type"] == "image/webp"
    result = client.get(job["result_url"])
    assert result.mimetype == "image/webp"
    assert 'filename="noise_96x96_dream.webp"' in result.headers["Content-Disposition"]
    with Image.open(io.BytesIO(result.data)) as movie:
        assert (movie.format, movie.n_frames, movie.size) == ("WEBP", 3, (96, 96))
    sidecar = client.get(job["sidecar_url"]).get_json()
    assert sidecar["frames"] == 3 and sidecar["fps"] == 6 and sidecar["parameters"]["make"] == "zoom"
    assert client.get(job["picture_url"]).mimetype == "image/jpeg"  # the last frame


def test_a_zoom_job_as_mp4_gives_h264_with_even_sides(client, tmp_path):
    job = _submit(client, noise="97x75", make="zoom", frames="2", format="mp4").get_json()
    assert _wait(client, job["id"])["state"] == "done"
    path = tmp_path / "zoom.mp4"
    path.write_bytes(client.get(job["result_url"]).data)
    meta, frames = streams(path)
    assert meta["codec"] == "h264" and tuple(meta["size"]) == (96, 74) and len(frames) == 2


def test_a_twelve_frame_clip_gives_an_mp4_of_twelve_dreamed_frames_with_its_sound(client, twelve_frames, tmp_path):
    job = _submit(client, files={"video": (twelve_frames, "twelve.mp4")}, make="video", frame_steps="1").get_json()
    seen = set()
    while (status := client.get(job["status_url"]).get_json())["state"] not in ("done", "failed", "cancelled"):
        seen.add(status["steps_done"])
        time.sleep(0.02)
    assert status["state"] == "done", status
    assert (status["unit"], status["steps_done"], status["steps_total"]) == ("frame", 12, 12)
    assert len(seen - {0}) >= 2, "the progress counts frames as they are dreamed"
    path = tmp_path / "dreamed.mp4"
    result = client.get(job["result_url"])
    assert result.mimetype == "video/mp4" and 'filename="twelve_dream.mp4"' in result.headers["Content-Disposition"]
    path.write_bytes(result.data)
    meta, frames = streams(path)
    assert len(frames) == 12 and tuple(meta["size"]) == (96, 64) and meta.get("audio_codec") == "aac"
    _, inputs = streams(_clip(tmp_path / "again.mp4", audio=False))
    assert np.mean([np.abs(a.astype(float) - b).mean() for a, b in zip(frames, inputs)]) > 3, "frames were dreamed"
    sidecar = client.get(job["sidecar_url"]).get_json()
    assert sidecar["frames"] == 12 and sidecar["audio"] is True and sidecar["mode"] == "flow"


def test_a_finished_zoom_is_kept_in_the_history_with_its_movie(client):
    job = _submit(client, noise="96x96", make="zoom", frames="2").get_json()
    assert _wait(client, job["id"])["state"] == "done"
    entry = next(d for d in client.get("/api/history").get_json()["dreams"] if d["id"] == job["id"])
    assert entry["movie"] == "webp" and entry["movie_url"] == f"/api/history/{job['id']}/webp"
    with Image.open(io.BytesIO(client.get(entry["movie_url"]).data)) as movie:
        assert movie.n_frames == 2
    more = _submit(client, from_dream=job["id"]).get_json()  # dream more from its last frame: a new chain
    assert _wait(client, more["id"])["state"] == "done"
    chain = client.get(more["sidecar_url"]).get_json()["chain"]
    assert len(chain) == 1 and chain[0]["parameters"]["image"] == f"{job['id']}.jpg"


def test_cancelling_a_video_job_stops_it_and_removes_its_clip(app, client, twelve_frames):
    uploads = set(Path(tempfile.gettempdir()).glob("deepdream-upload-*"))
    job = _submit(client, files={"video": (twelve_frames, "twelve.mp4")}, make="video", steps="30",
                  octaves="2").get_json()
    store = app.extensions["deepdream"].store
    assert store.get(f"clip:{job['id']}") == twelve_frames, "the clip travels in the queue's store"
    assert set(Path(tempfile.gettempdir()).glob("deepdream-upload-*")) == uploads, "no temporary file is left"
    _wait(client, job["id"], until=("running",))
    assert client.delete(job["status_url"]).status_code in (200, 202)
    assert _wait(client, job["id"])["state"] == "cancelled"
    assert store.get(f"clip:{job['id']}") is None
    _refused(client.get(job["result_url"]), 409, r"no result.*Cancelled")


def test_a_text_file_sent_as_a_video_gets_a_clear_400(client):
    _refused(_submit(client, files={"video": (b"just some words\n" * 20, "notes.txt")}, make="video"), 400,
             r"'notes.txt' is not a video ffmpeg can read: send an MP4")


def test_a_clip_over_the_frame_limit_gets_a_413_saying_how_to_cut_it(client, tmp_path):
    data = _clip(tmp_path / "long.mp4", frames=24, audio=False).read_bytes()
    _refused(_submit(client, files={"video": (data, "long.mp4")}, make="video"), 413,
             r"24 frames; this server dreams at most 20\. Cut it shorter first, for example: ffmpeg -i long\.mp4")


@pytest.mark.parametrize("fields, files, pattern", [
    ({"make": "film"}, {}, r"make must be one of picture, zoom, video, got 'film'"),
    ({"make": "video", "noise": "96x96"}, {}, r"A video job dreams a clip: send it as the multipart file 'video'"),
    ({"noise": "96x96"}, {"video": (b"x", "clip.mp4")}, r"A clip is dreamed with make=video"),
    ({"make": "zoom", "noise": "96x96", "frames": "500"}, {}, r"frames must be a whole number from 2 to 120"),
    ({"make": "zoom", "noise": "96x96", "zoom": "0.9"}, {}, r"zoom must be a number from 1.01 to 1.5, got '0.9'"),
    ({"make": "zoom", "noise": "96x96", "format": "gif"}, {}, r"format must be webp or mp4, got 'gif'"),
    ({"make": "zoom", "noise": "96x96", "symmetry": "6"}, {}, r"A zoom takes no kaleidoscope and no mask"),
])
def test_a_bad_zoom_or_video_request_gets_a_clear_400(client, fields, files, pattern):
    _refused(_submit(client, files=files, **fields), 400, pattern)


def test_the_recipe_lists_the_moving_pictures_fields_for_the_page(client):
    recipe = client.get("/api/recipe").get_json()
    names = {kind: [field["name"] for field in fields] for kind, fields in recipe["movies"].items()
             if kind != "formats"}
    assert names == {"zoom": ["frames", "zoom", "fps"], "video": ["frame_steps"]}
    assert recipe["movies"]["formats"] == ["webp", "mp4"] and recipe["max_video_frames"] == 20
    assert json.dumps(recipe)  # all of it JSON
