"""The web app through Flask's test client: the factory, its pages, its errors, the history, hostile requests."""

import hashlib
import io
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepdream import web
from deepdream.web import server
from tests import helpers
from tests.helpers import SMALL_DREAM as SMALL
from tests.helpers import assert_clear_error as _assert_clear_error
from tests.helpers import photo_bytes as _photo
from tests.helpers import post_dream, run_cli, run_python
from tests.helpers import wait_for_job as _wait

app, client = helpers.small_app, helpers.small_client  # the fixtures every test here uses (tests/helpers.py)

ROOT = Path(__file__).resolve().parents[1]


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
            "print(json.dumps([layers['suggested'], recipe['page_fields'], layers['first_dream_ready'], "
            "recipe['first_dream_ready']])); print('tensorflow' in sys.modules)")
    result = run_python(code)
    served, loaded = result.stdout.splitlines()
    assert loaded == "False", result.stderr
    suggested, page_fields, *ready = json.loads(served)
    assert ready == [False, False], "the page says the first dream loads the network first"
    assert suggested[:2] == ["mixed0", "mixed1"]
    assert page_fields == ["layers", "steps", "step_size", "octaves", "seed", "max_side"]


def test_a_dream_is_checked_and_queued_without_tensorflow_in_the_request():
    # TensorFlow made unimportable in a fresh web process: the request thread checks the layers, the channel and
    # the size from the backbone's layer table, and queues the dream; only a worker would load the network.
    code = ("import json, sys; sys.modules['tensorflow'] = None; from tests import helpers; "
            "from deepdream.web import create_app; from deepdream.web.settings import Settings; "
            "client = create_app(Settings(workers=0)).test_client(); "
            "answers = [helpers.post_dream(client, '/api/jobs', **fields) for fields in "
            "({}, {'layers': 'mixed33'}, {'layers': 'mixed3', 'channel': '900'})] "
            "+ [helpers.post_dream(client, '/api/jobs', helpers.png_bytes(40, 30), layers='mixed7')]; "
            "print(json.dumps([[a.status_code, a.get_json().get('error', '')] for a in answers]))")
    result = run_python(code, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    (accepted, _), unknown, channel, small = json.loads(result.stdout.splitlines()[-1])
    assert accepted == 202
    assert unknown[0] == 400 and "Unknown layer 'mixed33'" in unknown[1] and "Did you mean mixed3" in unknown[1]
    assert channel == [400, "channel must be a whole number from 0 to 767 for this layer, got 900."]
    assert small == [400, "The image is 40x30 pixels, but layer(s) mixed7 need at least 43 pixels on each side. "
                     "Use a larger image or a shallower layer."]


def test_once_a_dream_ran_the_page_is_told_the_next_one_starts_at_once(client):
    assert post_dream(client, "/deepdream").status_code == 200
    deadline = time.monotonic() + 30
    while not client.get("/api/layers").get_json()["first_dream_ready"] and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker says so at its next heartbeat
    assert client.get("/api/layers").get_json()["first_dream_ready"]
    assert client.get("/api/recipe").get_json()["first_dream_ready"]


def test_the_recipe_route_gives_each_field_its_limits_label_and_help(client):
    recipe = client.get("/api/recipe").get_json()
    fields = {field["name"]: field for field in recipe["fields"]}
    assert fields["max_side"]["high"] == 1024 and fields["steps"]["label"] == "Steps per octave"
    assert all(fields[name]["help"] for name in recipe["page_fields"])


def test_serve_refuses_bad_options_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        server.main(["--queue", "0"])
    assert exit_info.value.code == 2
    assert "--queue must be at least 1" in capsys.readouterr().err


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
