"""The dream API (deepdream.web.api) through Flask's test client: jobs, progress, results, every bad input."""

import io
import json
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from deepdream import recipe, web
from tests import helpers
from tests.helpers import LONG_DREAM as LONG
from tests.helpers import assert_clear_error as _assert_clear_error
from tests.helpers import dream_form as _form
from tests.helpers import photo_bytes as _photo
from tests.helpers import png_bytes as _png
from tests.helpers import post_dream as _post
from tests.helpers import wait_for_job as _wait

app, client = helpers.small_app, helpers.small_client  # the fixtures every test here uses (tests/helpers.py)


def _wait_running(client, job_id):
    return _wait(client, job_id, until=("running",))


def test_documented_route_answers_the_dreamed_jpeg(client):
    response = _post(client, "/deepdream", _png(96, 64))
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    picture = Image.open(io.BytesIO(response.data))
    assert picture.format == "JPEG" and picture.size == (96, 64)
    changed = np.abs(np.asarray(picture, np.float32) - np.float32([40, 120, 200])).mean()
    assert changed > 2, "the dream left the picture as it was"
    assert client.get(f"/api/jobs/{response.headers['X-DeepDream-Job']}/sidecar").status_code == 200


def test_a_job_goes_from_queued_to_done_with_progress_a_result_and_a_sidecar_the_cli_can_rerun(client, tmp_path):
    accepted = _post(client, "/api/jobs", _png(80, 60), name="my photo.png", seed="7")
    assert accepted.status_code == 202
    job = accepted.get_json()
    assert accepted.headers["Location"] == job["status_url"] == f"/api/jobs/{job['id']}"
    assert job["state"] in ("queued", "running") and job["steps_total"] == 2
    assert len(job["id"]) >= 20, "job ids must be unguessable"
    status = _wait(client, job["id"])
    assert status["state"] == "done" and status["steps_done"] == 2 and status["seconds_left"] == 0
    assert status["run_seconds"] > 0 and status["error"] is None
    result = client.get(job["result_url"])
    assert result.mimetype == "image/jpeg" and Image.open(io.BytesIO(result.data)).size == (80, 60)
    sidecar = client.get(job["sidecar_url"]).get_json()
    assert sidecar["parameters"]["seed"] == 7 and sidecar["parameters"]["layers"] == {"mixed3": 1.0}
    assert sidecar["parameters"]["image"] == "my photo.png" and sidecar["steps_done"] == 2
    (tmp_path / "my photo.png").write_bytes(_png(80, 60))
    (tmp_path / "sidecar.json").write_text(json.dumps(sidecar))
    assert recipe.read_sidecar(tmp_path / "sidecar.json")["steps"] == 2  # the command line's own check


def test_two_clients_each_get_their_own_picture(client):
    red = _post(client, "/api/jobs", _png(96, 64, (230, 30, 30))).get_json()
    blue = _post(client, "/api/jobs", _png(64, 96, (30, 30, 230))).get_json()
    for job, size, channel in ((red, (96, 64), 0), (blue, (64, 96), 2)):
        assert _wait(client, job["id"])["state"] == "done"
        picture = np.asarray(Image.open(io.BytesIO(client.get(job["result_url"]).data)), np.float32)
        assert picture.shape[:2] == size[::-1] and picture[..., channel].mean() > 120


def test_two_jobs_with_the_same_photo_and_parameters_give_the_same_bytes(client):
    jobs = [_post(client, "/api/jobs", _png(96, 64), seed="3").get_json() for _ in range(2)]
    results, sidecars = [], []
    for job in jobs:
        assert _wait(client, job["id"])["state"] == "done"
        results.append(client.get(job["result_url"]).data)
        sidecar = client.get(job["sidecar_url"]).get_json()
        assert sidecar.pop("seconds") > 0
        sidecars.append(sidecar)
    assert results[0] == results[1] and sidecars[0] == sidecars[1]


def test_a_large_image_is_shrunk_with_a_note(client):
    job = _post(client, "/api/jobs", _png(300, 200), max_side="120").get_json()
    assert job["size"] == [120, 80]
    assert job["note"] == "The image was 300x200 pixels; it was dreamed at 120x80 (longest side 120)."


def _truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()[:1500]


def _bomb_png(width=100_000, height=100_000) -> bytes:
    """A PNG header announcing 10 G pixels (a decompression bomb), with a tiny body."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(
        b"IEND", b"")


@pytest.mark.parametrize("data, name, fields, status, pattern", [
    (None, None, {}, 400, r"No image: send the picture as the multipart field 'image'"),
    (b"", "empty.jpg", {}, 400, r"empty \(0 bytes\)"),
    (b"Dear grader, here is my homework.\n" * 20, "notes.jpg", {}, 400, r"not an image Pillow can read"),
    (_truncated_jpeg(), "cut.jpg", {}, 400, r"JPEG.*(corrupt|truncated)|truncated or corrupt"),
    (_bomb_png(), "bomb.png", {}, 400, r"decompression-bomb limit"),
    (_bomb_png(9000, 9000), "large.png", {}, 413, r"9000x9000 pixels .* more than the 40 M pixels allowed"),
    ("png", "photo.png", {"layers": "mixed33"}, 400, r"Unknown layer 'mixed33'.*Did you mean"),
    ("png", "photo.png", {"layers": ","}, 400, r"layers: give at least one layer"),
    ("png", "photo.png", {"steps": "0"}, 400, r"steps must be a whole number from 1 to 200, got '0'"),
    ("png", "photo.png", {"steps": "ten"}, 400, r"steps must be a whole number"),
    ("png", "photo.png", {"step_size": "nan"}, 400, r"step_size must be a number from 0.001 to 0.1, got 'nan'"),
    ("png", "photo.png", {"octaves": "1e9"}, 400, r"octaves must be a whole number"),
    ("png", "photo.png", {"max_side": "5000"}, 400, r"max_side must be a whole number from 32 to 1024"),
    ("png", "photo.png", {"colour": "blue"}, 400, r"Unknown field\(s\) colour"),
    ("small", "tiny.png", {}, 400, r"need at least 43 pixels on each side"),
])
@pytest.mark.parametrize("route", ["/api/jobs", "/deepdream"])
def test_bad_input_gets_a_clear_4xx_message(client, route, data, name, fields, status, pattern):
    data = {"png": _png(), "small": _png(40, 30)}.get(data, data)
    form = _form(data, name, **fields)
    if data is None:
        form.pop("image", None)
    _assert_clear_error(client.post(route, data=form, content_type="multipart/form-data"), status, pattern)


def test_a_body_over_the_upload_limit_gets_413_with_a_message(client):
    _assert_clear_error(_post(client, "/api/jobs", b"\xff\xd8\xff" + bytes(1_200_000)), 413,
                        r"larger than the 1 MB limit")


def test_unknown_routes_methods_and_job_ids_get_json_errors(client):
    _assert_clear_error(client.get("/nothing-here"), 404, r"No such page: /nothing-here")
    _assert_clear_error(client.get("/deepdream"), 405, r"Method Not Allowed")
    for method, suffix in (("get", ""), ("get", "/result"), ("get", "/sidecar"), ("delete", "")):
        _assert_clear_error(getattr(client, method)(f"/api/jobs/not-a-job{suffix}"), 404, r"No job 'not-a-job'")


def test_cancel_while_running_stops_the_dream_at_its_next_step(client):
    job = _post(client, "/api/jobs", **LONG).get_json()
    _wait(client, job["id"], until=("running",))
    while client.get(job["status_url"]).get_json()["steps_done"] < 1:
        time.sleep(0.05)
    cancelled = client.delete(job["status_url"])
    assert cancelled.status_code == 202 and cancelled.get_json()["state"] == "cancelling"
    status = _wait(client, job["id"], timeout=30)
    assert status["state"] == "cancelled" and 1 <= status["steps_done"] < status["steps_total"] == 200
    _assert_clear_error(client.get(job["result_url"]), 409, r"has no result: Cancelled")
    _assert_clear_error(client.get(job["sidecar_url"]), 409, r"has no result: Cancelled")


def test_a_queued_job_is_cancelled_at_once_and_the_queue_has_a_limit(client):
    running = _post(client, "/api/jobs", **LONG).get_json()
    _wait_running(client, running["id"])
    queued = [_post(client, "/api/jobs").get_json() for _ in range(2)]
    assert [job["queue_position"] for job in queued] == [1, 2]
    full = _post(client, "/api/jobs")
    _assert_clear_error(full, 503, r"The queue is full \(2 dreams waiting\)")
    assert int(full.headers["Retry-After"]) >= 5
    cancelled = client.delete(queued[0]["status_url"])
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert client.get(queued[1]["status_url"]).get_json()["queue_position"] == 1
    _assert_clear_error(client.get(queued[0]["result_url"]), 409, r"has no result")
    assert _post(client, "/api/jobs").status_code == 202, "a cancelled job frees its place"


def test_a_result_asked_for_before_the_dream_ends_gets_409(client):
    job = _post(client, "/api/jobs", **LONG).get_json()
    _assert_clear_error(client.get(job["result_url"]), 409, r"has no result: it is (queued|running)")


def test_only_the_last_jobs_are_kept(client):
    ids = [_post(client, "/api/jobs").get_json()["id"] for _ in range(2)]
    for job_id in ids:
        _wait(client, job_id)
    more = [_post(client, "/api/jobs").get_json()["id"] for _ in range(2)]
    for job_id in more:
        _wait(client, job_id)
    _assert_clear_error(client.get(f"/api/jobs/{ids[0]}"), 404, r"No job")  # keep_jobs=3
    assert client.get(f"/api/jobs/{more[-1]}/result").status_code == 200


def test_a_finished_job_can_be_deleted(client):
    job = _post(client, "/api/jobs").get_json()
    _wait(client, job["id"])
    assert client.delete(job["status_url"]).get_json()["state"] == "deleted"
    _assert_clear_error(client.get(job["status_url"]), 404, r"No job")


def test_the_documented_route_gives_up_after_its_time_cap_and_cancels_its_dream():
    app = web.create_app(web.Settings(wait_seconds=1.0))
    try:
        client = app.test_client()
        response = _post(client, "/deepdream", **LONG)
        _assert_clear_error(response, 503, r"did not finish within 1 s .* cancelled")
        service = app.extensions["deepdream"]
        (job,) = service._jobs.values()
        assert job.ended.wait(30) and job.state == "cancelled"
    finally:
        app.extensions["deepdream"].close()


def test_two_workers_dream_two_jobs_at_once_and_closing_cancels_them():
    app = web.create_app(web.Settings(workers=2))
    service = app.extensions["deepdream"]
    try:
        client = app.test_client()
        jobs = [_post(client, "/api/jobs", **LONG).get_json() for _ in range(2)]
        for job in jobs:
            _wait_running(client, job["id"])
        running = [service.get(job["id"]) for job in jobs]
        assert [job.state for job in running] == ["running", "running"]
    finally:
        service.close()  # cancels both at their next step
    assert [job.state for job in running] == ["cancelled", "cancelled"]


def _grey_png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_preview_shows_the_picture_while_it_is_dreamed_and_the_result_once_done(client):
    job = _post(client, "/api/jobs", _photo(), **(LONG | {"max_side": "128"})).get_json()
    assert job["preview_url"] == f"/api/jobs/{job['id']}/preview"
    _wait_running(client, job["id"])
    first = client.get(job["preview_url"])
    assert first.status_code == 200 and first.mimetype == "image/jpeg", first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "no-store"
    assert Image.open(io.BytesIO(first.data)).size == (128, 96)
    deadline = time.monotonic() + 120
    while client.get(f"/api/jobs/{job['id']}").get_json()["steps_done"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    later = client.get(job["preview_url"])  # the worker sends a new one at most twice a second
    while later.data == first.data and time.monotonic() < deadline:
        time.sleep(0.05)
        later = client.get(job["preview_url"])
    assert later.status_code == 200 and later.data != first.data  # the dream moved on
    client.delete(f"/api/jobs/{job['id']}")
    _wait(client, job["id"])
    small = _post(client, "/api/jobs", _photo()).get_json()
    assert _wait(client, small["id"])["state"] == "done"
    assert client.get(small["preview_url"]).data == client.get(small["result_url"]).data


def test_a_queued_job_has_no_preview_yet_and_says_so(client):
    running = _post(client, "/api/jobs", **LONG).get_json()
    queued = _post(client, "/api/jobs", **LONG).get_json()
    _wait_running(client, running["id"])
    _assert_clear_error(client.get(queued["preview_url"]), 409, "no picture to preview: it is queued")


def test_a_mask_keeps_the_black_part_of_the_picture_and_is_recorded(client):
    mask = np.zeros((96, 128), np.uint8)
    mask[:, :64] = 255  # dream the left half only
    form = _form(_photo(), "photo.png", steps="6", step_size="0.05", max_side="128")
    form["mask"] = (io.BytesIO(_grey_png(mask)), "left.png")
    job = client.post("/api/jobs", data=form, content_type="multipart/form-data").get_json()
    assert _wait(client, job["id"])["state"] == "done"
    result = np.asarray(Image.open(io.BytesIO(client.get(job["result_url"]).data)), np.float32)
    start = np.asarray(Image.open(io.BytesIO(_photo())), np.float32)
    change = np.abs(result - start).mean(axis=(0, 2))
    assert change[:56].mean() >= 10 and change[72:].mean() <= 2, change  # beyond the soft edge: JPEG's error only
    assert client.get(job["sidecar_url"]).get_json()["parameters"]["mask"] == "left.png"
