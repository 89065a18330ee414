"""deepdream.web.clients: each browser's signed anonymous id, and turns in the fair queue that forged or missing
ids cannot multiply."""

import pytest

from deepdream import web
from deepdream.files import jpeg_bytes
from deepdream.web import clients

NOISE = {"noise": "64x64", "layers": "mixed0", "octaves": "1", "steps": "2"}
LONG = {"noise": "200x200", "layers": "mixed3", "octaves": "1", "steps": "200"}  # holds the one worker meanwhile


@pytest.fixture
def app(tmp_path):
    app = web.create_app(web.Settings(data_dir=tmp_path, queue=40, per_client=3))
    yield app
    app.extensions["deepdream"].close()


def _id_of(app, client) -> str | None:
    return app.extensions["deepdream_clients"].identify(client.get_cookie(clients.CLIENT_COOKIE).value)


def test_a_browser_gets_a_signed_id_once_and_is_known_by_it(app):
    browser = app.test_client()
    browser.get("/")
    cookie = browser.get_cookie(clients.CLIENT_COOKIE)
    browser_id = _id_of(app, browser)
    assert browser_id and len(browser_id) >= 20 and cookie.value.startswith(browser_id + ".") and cookie.http_only
    assert "Set-Cookie" not in browser.get("/api/layers").headers


def test_an_id_the_server_did_not_sign_is_refused_and_the_secret_is_kept_private(tmp_path):
    secret = clients.client_secret(tmp_path)
    ours, theirs = clients.Clients(secret), clients.Clients(b"another server's secret, 32 bytes+")
    signed = ours.cookie("a" * 24)
    assert ours.identify(signed) == "a" * 24
    edited = signed[:-1] + ("B" if signed[-1] == "A" else "A")
    for forged in ("a" * 24, "a" * 24 + ".", edited, theirs.cookie("a" * 24), "", "\u00e9t\u00e9"):
        assert ours.identify(forged) is None, forged
    assert clients.client_secret(tmp_path) == secret  # the same after a restart
    assert (tmp_path / clients.SECRET_FILE).stat().st_mode & 0o777 == 0o600


def test_a_forged_id_never_shows_another_browsers_history(app):
    ada = app.test_client()
    ada.get("/")
    ada_id = _id_of(app, ada)
    app.extensions["deepdream"].history.add(ada_id, "d" * 24, jpeg_bytes(_grey()), {"parameters": {}})
    assert len(ada.get("/api/history").json["dreams"]) == 1
    for forged in (ada_id, ada_id + ".forged", clients.Clients(b"another server's secret, 32 bytes+").cookie(ada_id)):
        mallory = app.test_client()
        mallory.set_cookie(clients.CLIENT_COOKIE, forged)
        assert mallory.get("/api/history").json["dreams"] == [], forged
        assert mallory.get(f"/api/history/{'d' * 24}/picture").status_code == 404


def test_twenty_dreams_with_forged_or_missing_ids_from_one_address_meet_one_browsers_limit(app):
    holder = app.test_client()
    holder.get("/")  # another browser, with its own id: its dream, running or waiting, is not the script's turn
    assert holder.post("/api/jobs", data=LONG).status_code == 202  # the worker is busy: the others wait
    browser = app.test_client()
    browser.get("/")
    one_browser = [browser.post("/api/jobs", data=NOISE).status_code for _ in range(5)]
    script = []
    for number in range(20):
        client = app.test_client()
        if number % 2:
            client.set_cookie(clients.CLIENT_COOKIE, f"forged-id-{number:04d}-abcdefghijklmnop")
        script.append(client.post("/api/jobs", data=NOISE).status_code)
    assert one_browser == [202] * 3 + [429] * 2
    assert script.count(202) == 3 and script.count(429) == 17


def test_on_a_network_a_machine_takes_one_turn_whatever_its_cookies(tmp_path):
    app = web.create_app(web.Settings(queue=40, per_client=3, network=True))
    try:
        holder = app.test_client()
        assert holder.post("/api/jobs", data=LONG, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 202
        answers = []
        for _ in range(6):  # six browsers, each with its own signed id, all on one machine
            browser = app.test_client()
            browser.get("/", environ_base={"REMOTE_ADDR": "10.0.0.7"})
            answers.append(browser.post("/api/jobs", data=NOISE, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code)
        other = app.test_client().post("/api/jobs", data=NOISE, environ_base={"REMOTE_ADDR": "10.0.0.8"})
        assert answers == [202] * 3 + [429] * 3 and other.status_code == 202
    finally:
        app.extensions["deepdream"].close()


def _grey():
    import numpy as np

    return np.full((32, 32, 3), 0.5, np.float32)


@pytest.mark.parametrize("proxies, turns", [(0, 1), (1, 2)])
def test_x_forwarded_for_counts_only_behind_the_proxies_the_user_names(proxies, turns):
    app = web.create_app(web.Settings(queue=40, per_client=1, network=True, proxies=proxies))
    try:
        through_proxy = {"REMOTE_ADDR": "10.0.0.1"}
        holder = app.test_client()
        assert holder.post("/api/jobs", data=LONG, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 202
        answers = [app.test_client().post("/api/jobs", data=NOISE, environ_base=through_proxy,
                                          headers={"X-Forwarded-For": address}).status_code
                   for address in ("192.168.1.20", "192.168.1.21")]
        assert answers.count(202) == turns
    finally:
        app.extensions["deepdream"].close()
