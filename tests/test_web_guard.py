"""Who may use the server (deepdream.web.guard): the token, the page that asks for it, and no state change
from another site's page. Through Flask's test client."""

import pytest

from deepdream import web

TOKEN = "a-class-secret-42"


@pytest.fixture(scope="module")
def app():
    app = web.create_app(web.Settings(token=TOKEN))
    yield app
    app.extensions["deepdream"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def test_without_the_token_the_api_is_a_401_that_says_how_to_give_it(client):
    for method, path in (("GET", "/api/recipe"), ("GET", "/api/history"), ("POST", "/api/jobs"),
                         ("POST", "/deepdream"), ("GET", "/api/jobs/x"), ("DELETE", "/api/jobs/x"),
                         ("POST", "/api/live/frame"), ("POST", "/api/live/record"), ("GET", "/live.mjpg")):
        response = client.open(path, method=method)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "shared with a token: type it on the page, or send the header 'Authorization: Bearer TOKEN'" \
            in response.get_json()["error"]


def test_the_page_and_its_files_load_without_the_token_so_that_it_can_ask(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="token-form"' in page.get_data(as_text=True)
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/live").status_code == client.get("/static/live.js").status_code == 200


def test_the_bearer_header_opens_the_api_and_a_wrong_token_is_a_401(client):
    assert client.get("/api/recipe", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    wrong = client.get("/api/recipe", headers={"Authorization": "Bearer guess-guess"})
    assert wrong.status_code == 401 and wrong.get_json()["error"].startswith("The token is wrong")


def test_the_token_typed_once_on_the_page_is_kept_in_a_cookie(client):
    refused = client.post("/api/token", data={"token": "not-it"})
    assert refused.status_code == 401 and "ask the teacher" in refused.get_json()["error"]
    assert client.get("/api/recipe").status_code == 401
    accepted = client.post("/api/token", data={"token": TOKEN})
    assert accepted.status_code == 200
    cookie = accepted.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/api/recipe").status_code == 200  # the cookie carries it from now on


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "http://localhost:5001"},  # another port is another origin
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_a_change_from_another_sites_page_is_refused_with_a_403_even_with_the_token(client, headers):
    for method, path in (("POST", "/api/jobs"), ("POST", "/deepdream"), ("DELETE", "/api/history/x"),
                         ("POST", "/api/token")):
        response = client.open(path, method=method, headers={"Authorization": f"Bearer {TOKEN}", **headers})
        assert response.status_code == 403, (method, path)
        assert response.get_json()["error"].startswith("Refused: this request came from")


def test_the_studios_own_page_and_scripts_without_a_browser_may_change_things(client):
    for headers in ({"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}, {}):
        response = client.post("/api/jobs", headers={"Authorization": f"Bearer {TOKEN}", **headers})
        assert response.status_code == 400 and "No image" in response.get_json()["error"]  # past the guard


def test_reading_from_another_origin_is_not_a_change_and_without_a_token_the_origin_check_holds():
    app = web.create_app(web.Settings())
    try:
        client = app.test_client()
        assert client.get("/api/recipe", headers={"Origin": "http://evil.example"}).status_code == 200
        assert client.post("/api/jobs", headers={"Origin": "http://evil.example"}).status_code == 403
        assert client.post("/api/token", data={"token": "x"}).get_json()["state"] == "open"
    finally:
        app.extensions["deepdream"].close()
