"""The web app as users meet it: the real waitress server on loopback, curl, 24 clients at once, a real browser.

The browser test drives Debian's ``chromium`` with ``chromium-driver`` through Selenium (``.ci/run`` installs
both); without them it is skipped, saying why. It keeps a screenshot of the page; ``make screenshot`` sets
``DEEPDREAM_SCREENSHOT=outputs/web_app.jpg`` to keep it there too (the README shows it).
"""

import concurrent.futures
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests
from PIL import Image

from deepdream import web
from tests.helpers import Server, chromium

ROOT = Path(__file__).resolve().parents[1]
MOUNTAIN = ROOT / "images" / "mountain.jpg"
CLIENTS = 24
QUEUE = 8


@pytest.fixture(scope="module")
def server():
    server = Server("--queue", str(QUEUE))
    yield server
    server.stop()


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _client(url: str, index: int) -> dict:
    """One client, a browser of its own (its cookie): submits a small dream of its own size and colour, then
    waits for it and fetches it."""
    size, colour = (64 + index, 48 + index), (10 * index, 255 - 10 * index, 128)
    form = {"layers": "mixed3", "steps": "10", "octaves": "1", "seed": str(index)}
    session = requests.Session()
    session.get(url + "/", timeout=60)  # as a browser opens the page first: its anonymous id
    answer = session.post(url + "/api/jobs", files={"image": (f"c{index}.png", _png(*size, colour))}, data=form,
                          timeout=60)
    outcome = {"index": index, "status": answer.status_code, "size": size, "colour": colour}
    if answer.status_code != 202:
        outcome["retry_after"] = answer.headers.get("Retry-After")
        outcome["error"] = answer.json()["error"]
        return outcome
    job = answer.json()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        state = session.get(url + job["status_url"], timeout=60).json()["state"]
        if state not in ("queued", "running"):
            break
        time.sleep(0.2)
    outcome["state"] = state
    result = session.get(url + job["result_url"], timeout=60)
    outcome["mimetype"] = result.headers["Content-Type"]
    outcome["picture"] = np.asarray(Image.open(io.BytesIO(result.content)).convert("RGB"), np.float32)
    return outcome


def _round(url: str) -> list[dict]:
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(lambda index: _client(url, index), range(CLIENTS)))


@pytest.mark.slow
def test_24_clients_at_once_get_202_or_503_and_each_accepted_job_its_own_picture(server):
    rss = []
    for _ in range(2):
        outcomes = _round(server.url)  # a dropped connection would raise here
        rss.append(server.rss_mb())
        assert {o["status"] for o in outcomes} <= {202, 503}, [o["status"] for o in outcomes]
        accepted = [o for o in outcomes if o["status"] == 202]
        refused = [o for o in outcomes if o["status"] == 503]
        assert len(accepted) >= QUEUE and refused and len(accepted) + len(refused) == CLIENTS
        assert all(int(o["retry_after"]) >= 5 and "queue is full" in o["error"] for o in refused)
        for o in accepted:
            assert o["state"] == "done" and o["mimetype"] == "image/jpeg"
            assert o["picture"].shape[:2] == o["size"][::-1], "a client got another client's picture"
            mean = o["picture"].reshape(-1, 3).mean(axis=0)
            assert np.abs(mean - np.float32(o["colour"])).max() < 40, "a client got another client's picture"
    assert rss[1] - rss[0] < 300, f"the server grew from {rss[0]:.0f} to {rss[1]:.0f} MB in a second round"
    assert rss[1] < 4000
    assert "Traceback" not in "".join(server.lines)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_documented_curl_line_works_unchanged_but_for_the_port(server, tmp_path):
    shutil.copy(MOUNTAIN, tmp_path / "your_image.jpg")
    line = (f'curl -X POST {server.url.replace("127.0.0.1", "localhost")}/deepdream '
            '-F "image=@your_image.jpg" --output deepdream_result.jpg')
    subprocess.run(line + " -F steps=2 -F octaves=1 -F max_side=256 --fail --silent --show-error", shell=True,
                   cwd=tmp_path, check=True, timeout=300)
    with Image.open(tmp_path / "deepdream_result.jpg") as picture:
        assert picture.format == "JPEG" and picture.size == (256, 144)


def test_serve_prints_its_url_and_stops_cleanly_on_sigterm():
    server = Server("--queue", "1")
    assert server.url.startswith("http://127.0.0.1:")
    assert requests.get(server.url + "/", timeout=30).status_code == 200
    assert server.stop() == 0
    assert "stopped" in "".join(server.lines)


def test_serve_says_when_its_port_is_taken(server, tmp_path):
    port = server.url.rsplit(":", 1)[1]
    result = subprocess.run([sys.executable, "-m", "deepdream.cli", "serve", "--port", port,
                             "--data-dir", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Try --port 5001" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("options, message", [
    (["--host", "0.0.0.0"], "--host 0.0.0.0 shares the studio with your network, where anyone could use it: add "
                            "--token SECRET (students type it once in the page) or --no-token"),
    (["--token", "short"], "--token must be at least 8 characters"),
    (["--token", "long-enough", "--no-token"], "not allowed with argument"),
])
def test_serve_refuses_to_share_without_a_token_saying_why(options, message, tmp_path):
    result = subprocess.run([sys.executable, "-m", "deepdream.cli", "serve", "--port", "0", "--data-dir",
                             str(tmp_path), *options], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_served_token_is_asked_once_by_the_page_and_opens_the_api(tmp_path):
    server = Server("--token", "class-of-2026", "--data-dir", str(tmp_path))
    try:
        assert requests.get(server.url + "/api/layers", timeout=30).status_code == 401
        headers = {"Authorization": "Bearer class-of-2026"}
        assert requests.get(server.url + "/api/layers", headers=headers, timeout=30).status_code == 200
        browser = chromium(profile=tmp_path / "profile")
        try:
            from selenium.webdriver.support.ui import WebDriverWait

            browser.get(server.url + "/")
            WebDriverWait(browser, 60).until(lambda b: b.find_element("id", "token-form").is_displayed())
            browser.find_element("id", "token").send_keys("class-of-2026\n")  # typed once, Enter
            WebDriverWait(browser, 60).until(lambda b: b.execute_script("return !!document.getElementById('steps')"))
            assert not browser.find_element("id", "token-form").is_displayed()
            browser.get(server.url + "/")  # kept: a reload does not ask again
            WebDriverWait(browser, 60).until(lambda b: b.execute_script("return !!document.getElementById('steps')"))
            assert not browser.find_element("id", "token-form").is_displayed()
            browser.save_screenshot(str(tmp_path / "token.png"))
        finally:
            browser.quit()
    finally:
        server.stop()


@pytest.mark.slow
def test_a_real_browser_uploads_the_mountain_and_sees_its_dream_beside_it(server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser = chromium()
    try:
        browser.get(server.url + "/")
        wait = WebDriverWait(browser, 60)
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#layers input:checked"))
        browser.find_element(By.ID, "image").send_keys(str(MOUNTAIN))
        wait.until(expected_conditions.element_to_be_clickable((By.ID, "dream"))).click()
        WebDriverWait(browser, 300).until(lambda b: b.find_element(By.ID, "progress-text").text.startswith("Done"))
        WebDriverWait(browser, 60).until(lambda b: b.execute_script(  # the result, not the last preview
            "const r = document.getElementById('result'); return r.complete && r.naturalWidth === 768;"))
        sizes = browser.execute_script(
            "return ['start', 'result'].map(id => [document.getElementById(id).naturalWidth,"
            " document.getElementById(id).getBoundingClientRect().left]);")
        assert sizes[1][0] == 768 and sizes[0][1] < sizes[1][1], "the dream should be shown beside the start"
        assert browser.find_element(By.ID, "error").get_attribute("hidden") is not None
        assert browser.find_element(By.ID, "progress-text").text.startswith("Done: 36 steps")
        assert browser.find_element(By.ID, "download-sidecar").get_attribute("href").endswith("/sidecar")
        browser.save_screenshot(str(tmp_path / "web_app.png"))
        if os.environ.get("DEEPDREAM_SCREENSHOT"):  # `make screenshot`: outputs/web_app.jpg for the README
            with Image.open(tmp_path / "web_app.png") as screenshot:
                screenshot.convert("RGB").save(os.environ["DEEPDREAM_SCREENSHOT"], quality=85, optimize=True)
        logs = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
        assert all(name.startswith(server.url) for name in logs), "the page loaded something from outside"
    finally:
        browser.quit()
    assert (tmp_path / "web_app.png").stat().st_size > 10_000


def test_a_real_browser_shows_a_bad_file_in_plain_words(server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    fake = tmp_path / "holiday.jpg"
    fake.write_text("not a picture at all\n" * 50)
    browser = chromium()
    try:
        browser.get(server.url + "/")
        WebDriverWait(browser, 60).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#layers input:checked"))
        browser.find_element(By.ID, "image").send_keys(str(fake))
        browser.find_element(By.ID, "dream").click()
        error = WebDriverWait(browser, 60).until(lambda b: b.find_element(By.ID, "error").text)
        assert "not an image Pillow can read" in error
    finally:
        browser.quit()


def test_every_serve_option_defaults_to_the_settings_own_value():
    import dataclasses

    from deepdream.web import server

    options = vars(server.build_parser().parse_args([]))
    settings = dataclasses.asdict(web.Settings())
    named = {"wait": "wait_seconds"}
    shared = {named.get(name, name): value for name, value in options.items()
              if named.get(name, name) in settings and name not in ("data_dir", "token")}
    assert len(shared) >= 13
    assert {name: value for name, value in shared.items() if settings[name] != value} == {}
