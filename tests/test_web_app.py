"""The web app and HTTP API through Flask's test client: every route, every bad input, the queue's limits."""

import hashlib
import io
import json
import re
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepdream import recipe, web
from deepdream.web import server
from tests.helpers import run_cli, run_python
from tests.helpers import wait_for_job as _wait

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"layers": "mixed3", "steps": "2", "octaves": "1", "max_side": "96"}  # a dream of about a second
LONG = {"layers": "mixed3", "steps": "200", "octaves": "1", "max_side": "96"}  # runs until cancelled


def _png(width=96, height=64, colour=(40, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _form(data=None, name="photo.png", **fields):
    form = dict(SMALL) | fields
    if data is not None:
        form["image"] = (io.BytesIO(data), name)
    return form


def _post(client, route, data=None, name="photo.png", **fields):
    return client.post(route, data=_form(_png() if data is None else data, name, **fields),
                       content_type="multipart/form-data")


def _wait_running(client, job_id):
    return _wait(client, job_id, until=("running",))


def _assert_clear_error(response, status, pattern):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    message = response.get_json()["error"]
    assert re.search(pattern, message), message
    assert "Traceback" not in message and 'File "' not in message


@pytest.fixture(scope="module")
def app():
    app = web.create_app(web.Settings(queue=2, max_upload_mb=1, keep_jobs=3, max_side=1024))
    yield app
    app.extensions["deepdream"].close()


@pytest.fixture
def client(app):
    client = app.test_client()
    yield client
    service = app.extensions["deepdream"]
    with service._lock:  # leave no dream running for the next test
        jobs = list(service._jobs.values())
    for job in jobs:
        if job.state in ("queued", "running"):
            service.cancel(job)
            job.ended.wait(60)


def test_page_is_served_with_its_script_and_style_and_nothing_from_outside(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'id="image"' in html and 'id="dream"' in html and 'id="progress"' in html
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(https?:)?//", asset), f"{asset} would load from outside"
    for name in ("app.js", "style.css"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert not re.search(r"https?://", response.get_data(as_text=True)), f"{name} loads from outside"
    assert client.get("/guide/atlas.jpg").mimetype == "image/jpeg"


def test_layers_lists_the_bundled_layers_with_the_pages_defaults(client):
    info = client.get("/api/layers").get_json()
    assert {"mixed0", "mixed3", "mixed7", "conv2d_15"} <= set(info["layers"]) and "mixed8" not in info["layers"]
    assert info["suggested"][0] == "mixed0" and info["defaults"]["layers"] in info["layers"]
    assert info["limits"]["max_side"] == [32, 1024] and info["max_upload_mb"] == 1


def test_the_page_has_its_layers_and_form_before_tensorflow_is_loaded():
    code = ("import json, sys; from deepdream.web import create_app; client = create_app().test_client(); "
            "layers = client.get('/api/layers').get_json(); recipe = client.get('/api/recipe').get_json(); "
            "print(json.dumps([layers['suggested'], recipe['page_fields']])); print('tensorflow' in sys.modules)")
    result = run_python(code)
    served, loaded = result.stdout.splitlines()
    assert loaded == "False", result.stderr
    suggested, page_fields = json.loads(served)
    assert suggested[:2] == ["mixed0", "mixed1"]
    assert page_fields == ["layers", "steps", "step_size", "octaves", "seed", "max_side"]


def test_the_recipe_route_gives_each_field_its_limits_label_and_help(client):
    recipe = client.get("/api/recipe").get_json()
    fields = {field["name"]: field for field in recipe["fields"]}
    assert fields["max_side"]["high"] == 1024 and fields["steps"]["label"] == "Steps per octave"
    assert all(fields[name]["help"] for name in recipe["page_fields"])


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
    ("png", "photo.png", {"steps": "0"}, 400, r"steps must be from 1 to 200, got '0'"),
    ("png", "photo.png", {"steps": "ten"}, 400, r"steps must be a whole number"),
    ("png", "photo.png", {"step_size": "nan"}, 400, r"step_size must be from 0.001 to 0.1, got 'nan'"),
    ("png", "photo.png", {"octaves": "1e9"}, 400, r"octaves must be a whole number"),
    ("png", "photo.png", {"max_side": "5000"}, 400, r"max_side must be from 32 to 1024"),
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


def test_serve_refuses_bad_options_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        server.main(["--queue", "0"])
    assert exit_info.value.code == 2
    assert "--queue must be at least 1" in capsys.readouterr().err


def _photo(width=128, height=96) -> bytes:
    """A photo-like start (a smooth ramp with a few shapes): dreams change it visibly."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height)], axis=-1)
    pixels[20:50, 30:70] = (230, 200, 40)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


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


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The app with a history in a temporary data folder (``deepdream serve --data-dir``)."""
    data_dir = tmp_path_factory.mktemp("studio-data")
    app = web.create_app(web.Settings(queue=4, max_side=1024, data_dir=data_dir))
    yield app
    app.extensions["deepdream"].close()


def _dream(client, data=None, **fields) -> dict:
    form = dict(SMALL) | fields
    if data is not None:
        form["image"] = (io.BytesIO(data), "photo.png")
    job = client.post("/api/jobs", data=form, content_type="multipart/form-data")
    assert job.status_code == 202, job.get_data(as_text=True)
    status = _wait(client, job.get_json()["id"])
    assert status["state"] == "done", status
    return job.get_json()


def test_a_browser_gets_an_anonymous_id_that_stays_private_and_lasting(studio):
    client = studio.test_client()
    page = client.get("/")
    cookie = client.get_cookie("deepdream_client")
    assert cookie is not None and len(cookie.value) >= 20 and cookie.http_only
    assert "Set-Cookie" in page.headers and "Set-Cookie" not in client.get("/api/layers").headers


def test_noise_of_a_chosen_size_is_a_start_and_is_recorded(studio):
    client = studio.test_client()
    job = _dream(client, noise="120x96", seed="3")
    result = Image.open(io.BytesIO(client.get(job["result_url"]).data))
    assert result.size == (120, 96)
    sidecar = client.get(job["sidecar_url"]).get_json()
    assert sidecar["parameters"]["noise"] == [120, 96] and sidecar["parameters"]["image"] is None
    assert sidecar["input_sha256"] is None and sidecar["output"] == "noise_120x96_dream.jpg"


def test_a_channel_symmetry_and_normalisation_are_sent_and_recorded(studio):
    client = studio.test_client()
    job = _dream(client, noise="96x96", layers="mixed3", channel="150", symmetry="6m", normalize="laplacian")
    recorded = client.get(job["sidecar_url"]).get_json()["parameters"]
    assert (recorded["channel"], recorded["symmetry"], recorded["normalize"]) == (150, "6m", "laplacian")
    picture = np.asarray(Image.open(io.BytesIO(client.get(job["result_url"]).data)), np.float32)
    assert np.abs(picture - picture[:, ::-1]).mean() < 3  # mirrored (JPEG's error only)


@pytest.mark.slow
def test_dream_more_stacks_and_the_command_line_remakes_the_chain(studio, tmp_path):
    client = studio.test_client()
    first = _dream(client, _photo(), step_size="0.03")
    second = _dream(client, from_dream=first["id"], seed="1", step_size="0.03")
    one, two = (np.asarray(Image.open(io.BytesIO(client.get(job["result_url"]).data)), np.float32)
                for job in (first, second))
    assert np.abs(two - one).mean() > 2  # dreamed further
    sidecar = client.get(second["sidecar_url"]).get_json()
    chain = sidecar["chain"]
    assert len(chain) == 2 and chain[0]["parameters"]["image"] == "photo.png"
    assert chain[1]["parameters"]["image"] == f"{first['id']}.jpg" and chain[1]["parameters"]["seed"] == 1
    assert chain[1]["input_sha256"] == hashlib.sha256(client.get(first["result_url"]).data).hexdigest()
    (tmp_path / "photo.png").write_bytes(_photo())
    (tmp_path / "more.jpg.json").write_text(json.dumps(sidecar))
    result = run_cli("--from-sidecar", "more.jpg.json", "-q", "-o", "again.jpg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    again = np.asarray(Image.open(tmp_path / "again.jpg"), np.float32)
    assert np.abs(again - two).mean() <= 1  # the same picture, saved as the studio saves it
    assert json.loads((tmp_path / "again.jpg.json").read_text())["chain"][1]["input_sha256"] == chain[1]["input_sha256"]


def test_history_lists_this_browsers_dreams_newest_first_and_no_one_elses(studio):
    ada, bob = studio.test_client(), studio.test_client()
    ada.get("/"), bob.get("/")
    first, second = _dream(ada, noise="96x96", seed="1"), _dream(ada, noise="96x96", seed="2")
    listed = ada.get("/api/history").get_json()["dreams"]
    assert [entry["id"] for entry in listed][:2] == [second["id"], first["id"]]
    assert listed[0]["parameters"]["seed"] == 2 and listed[0]["thumbnail_url"].endswith("/thumbnail")
    assert ada.get(listed[0]["picture_url"]).data == ada.get(second["result_url"]).data
    assert bob.get("/api/history").get_json()["dreams"] == []
    _assert_clear_error(bob.get(listed[0]["picture_url"]), 404, "No dream .* in your history")
    _assert_clear_error(bob.delete(f"/api/history/{first['id']}"), 404, "No dream")
    assert ada.delete(f"/api/history/{first['id']}").get_json()["state"] == "deleted"
    assert first["id"] not in [entry["id"] for entry in ada.get("/api/history").get_json()["dreams"]]


def test_a_server_without_a_data_folder_says_it_keeps_no_history(client):
    _assert_clear_error(client.get("/api/history"), 404, "keeps no history: start it with --data-dir")


# --------------------------------------------------------------------------- random and hostile requests

FUZZ_ROUTES = [("GET", "/"), ("POST", "/deepdream"), ("POST", "/api/jobs"), ("GET", "/api/jobs/{id}"),
               ("GET", "/api/jobs/{id}/preview"), ("GET", "/api/jobs/{id}/result"), ("GET", "/api/jobs/{id}/picture"),
               ("GET", "/api/jobs/{id}/sidecar"), ("DELETE", "/api/jobs/{id}"), ("GET", "/api/history"),
               ("GET", "/api/history/{id}/{kind}"), ("DELETE", "/api/history/{id}"), ("GET", "/api/recipe"),
               ("GET", "/api/layers"), ("GET", "/api/channels/{id}"), ("GET", "/api/channels/{id}/sprite.jpg"),
               ("POST", "/api/token"),
               ("GET", "/guide/atlas.jpg"), ("PUT", "/api/jobs"), ("GET", "/{id}")]
FUZZ_FIELDS = ["noise", "from_dream", "layers", "steps", "step_size", "octaves", "seed", "max_side", "channel",
               "symmetry", "normalize", "make", "frames", "zoom", "fps", "format", "frame_steps", "token"]


def _fuzz_strategies():
    """Requests that are mostly well formed (a small noise dream), with hostile values in any field, sometimes
    an unknown field, files of junk or of a picture's first bytes, and random ids, kinds and query strings."""
    from hypothesis import strategies as st

    text = st.one_of(st.text(max_size=30), st.sampled_from(["", "0", "-1", "1e999", "nan", "NaN", "inf", "64x64",
                                                               "mixed3", "mixed3=0", "6m", "zoom", "video", "mp4",
                                                               "../../etc/passwd", "\x00", "9" * 40]))
    form = st.fixed_dictionaries(
        {"noise": st.one_of(st.just("64x64"), text), "steps": st.one_of(st.just("1"), text),
         "octaves": st.one_of(st.just("1"), text)},
        optional={name: text for name in FUZZ_FIELDS if name not in ("noise", "steps", "octaves", "from_dream",
                                                                     "token")})
    unknown = st.dictionaries(st.one_of(st.sampled_from(["from_dream", "image", "mask", "video"]),
                                        st.text(max_size=10)), text, max_size=1)  # a second start, or a stranger
    files = st.dictionaries(st.sampled_from(["image", "mask", "video", "other"]),
                            st.tuples(st.one_of(st.binary(max_size=200), st.sampled_from([b"", b"\x89PNG\r\n\x1a\n",
                                                                                          b"GIF89a", b"RIFF"])),
                                      st.text(max_size=20)), max_size=2)
    segment = st.one_of(st.text(max_size=25), st.sampled_from(["mixed0x", "%00", "..", "picture", "sidecar"]))
    dream_routes = st.sampled_from([("POST", "/api/jobs"), ("POST", "/deepdream")])  # where most can go wrong
    return dict(route=st.one_of(dream_routes, st.sampled_from(FUZZ_ROUTES)), ident=segment, kind=segment,
                form=st.one_of(form, st.tuples(form, unknown).map(lambda pair: pair[0] | pair[1])),
                files=st.one_of(st.just({}), files),
                query=st.dictionaries(st.text(max_size=8), st.text(max_size=15), max_size=3))


def test_random_and_hostile_requests_to_every_route_get_a_2xx_or_4xx_with_a_json_message(tmp_path):
    """Hypothesis, with a fixed seed and a bounded number of examples: never a 5xx, every refusal in JSON.

    The queue is long enough for every valid dream the fuzz may send (small ones: max_side 128)."""
    import urllib.parse

    from hypothesis import HealthCheck, given, settings

    studio = web.create_app(web.Settings(queue=300, max_side=128, data_dir=tmp_path))
    client = studio.test_client()

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(**_fuzz_strategies())
    def one_request(route, ident, kind, form, files, query):
        method, path = route
        path = path.format(id=urllib.parse.quote(ident, safe=""), kind=urllib.parse.quote(kind, safe=""))
        data = dict(form) | {name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()}
        response = client.open(path, method=method, data=data, query_string=query,
                               content_type="multipart/form-data")
        assert 200 <= response.status_code < 300 or 400 <= response.status_code < 500, (
            method, path, form, response.status_code, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert response.is_json and response.get_json()["error"], (method, path, response.status_code)

    try:
        one_request()
    finally:
        studio.extensions["deepdream"].close()  # cancels whatever the fuzz started
