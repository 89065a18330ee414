"""The studio page in a real browser (headless Chromium through Selenium): the live preview, painting where to
dream, dreaming more, noise and kaleidoscopes, a history that survives a restart, the keyboard, a phone's width.

Each test keeps a screenshot of the state it reached in its temporary folder. Without Debian's ``chromium`` and
``chromium-driver`` these tests are skipped, saying why (``.ci/run`` installs both).
"""

import base64
import io

import cv2
import numpy as np
import pytest
import requests
from PIL import Image

from deepdream.images import load_image
from tests.helpers import ROOT, Server, chromium, make_clip, streams

pytestmark = pytest.mark.slow  # a real server and browser (-m "not slow" leaves them out)
MOUNTAIN = ROOT / "images" / "mountain.jpg"
QUICK = {"max_side": 256, "steps": 6, "octaves": 1, "step_size": 0.03}  # a dream of a few seconds


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server("--queue", "4", "--channel-steps", "2", "--data-dir", str(tmp_path_factory.mktemp("studio")))
    yield server
    server.stop()


@pytest.fixture
def browser(tmp_path):
    browser = chromium(profile=tmp_path / "profile")
    yield browser
    browser.save_screenshot(str(tmp_path / "studio.png"))
    browser.quit()


def _open(browser, url):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url + "/")
    WebDriverWait(browser, 60).until(lambda b: b.execute_script("return !!document.getElementById('steps')"))


def _set(browser, **values):
    """Sets form inputs by id (as typing would), then tells the page they changed."""
    browser.execute_script(
        "for (const [id, value] of Object.entries(arguments[0])) { const input = document.getElementById(id);"
        " if (input.type === 'checkbox') input.checked = value; else input.value = value;"
        " input.dispatchEvent(new Event('change')); }", values)


def _start(browser, kind):
    browser.execute_script(f"document.querySelector('input[name=start][value={kind}]').click()")


def _dream_and_wait(browser, timeout=300):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.ID, "dream").click()
    WebDriverWait(browser, timeout).until(lambda b: b.find_element(By.ID, "progress-text").text.startswith("Done")
                                          or b.find_element(By.ID, "error").text)
    assert browser.find_element(By.ID, "error").text == ""
    WebDriverWait(browser, 60).until(lambda b: b.execute_script(
        "const r = document.getElementById('result'); return r.complete && r.naturalWidth > 0"
        " && !r.src.includes('/preview');"))


def _picture(browser, link_id="download-image") -> np.ndarray:
    url = browser.find_element("id", link_id).get_attribute("href")
    return np.asarray(Image.open(io.BytesIO(requests.get(url, timeout=30).content)).convert("RGB"), np.float32)


def _sidecar(browser) -> dict:
    return requests.get(browser.find_element("id", "download-sidecar").get_attribute("href"), timeout=30).json()


def test_the_live_preview_changes_while_the_dream_runs(server, browser):
    _open(browser, server.url)
    _start(browser, "noise")
    _set(browser, **{"noise-width": 256, "noise-height": 256, "steps": 40, "octaves": 1})
    browser.execute_script(  # every picture the result shows, as the page changes it
        "window.shown = []; new MutationObserver(() => window.shown.push(document.getElementById('result').src))"
        ".observe(document.getElementById('result'), {attributes: true, attributeFilter: ['src']});")
    _dream_and_wait(browser)
    shown = browser.execute_script("return window.shown")
    previews = [src for src in dict.fromkeys(shown) if "/preview" in src]
    assert len(previews) >= 3, shown  # the preview changed at least twice before the result
    assert "/result" in shown[-1]


def test_painting_a_rectangle_dreams_only_there(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    _open(browser, server.url)
    browser.find_element("id", "image").send_keys(str(MOUNTAIN))
    _set(browser, **QUICK | {"steps": 12, "step_size": 0.06, "brush-size": 120})
    canvas = browser.find_element("id", "mask")
    width = canvas.rect["width"]
    actions = ActionChains(browser)  # pointer events, as a mouse or a finger makes them
    actions.move_to_element_with_offset(canvas, int(-width * 0.3), 0).click_and_hold()
    actions.move_by_offset(int(width * 0.15), 0).move_by_offset(int(width * 0.15), 0).release().perform()
    painted = browser.execute_script("return document.getElementById('mask').toDataURL()")
    _dream_and_wait(browser)
    mask = Image.open(io.BytesIO(base64.b64decode(painted.split(",")[1]))).getchannel("A")
    result = _picture(browser)
    start = load_image(MOUNTAIN, max_side=256) * 255
    paint = np.asarray(mask.resize(result.shape[1::-1], Image.BILINEAR)) > 127
    assert 0.05 < paint.mean() < 0.5, "the stroke should cover part of the picture"
    change = np.abs(result - start).mean(axis=2)
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (17, 17))  # 8 pixels around: the soft edge
    inside = cv2.erode(paint.astype(np.uint8), near).astype(bool)
    outside = ~cv2.dilate(paint.astype(np.uint8), near).astype(bool)
    assert change[inside].mean() >= 10, change[inside].mean()
    assert change[outside].mean() <= 2, change[outside].mean()
    assert _sidecar(browser)["parameters"]["mask"] == "mask.png"


def test_dream_more_stacks_a_second_dream_on_the_first(server, browser):
    _open(browser, server.url)
    browser.find_element("id", "image").send_keys(str(MOUNTAIN))
    _set(browser, **QUICK)
    _dream_and_wait(browser)
    first = _picture(browser)
    _start(browser, "more")
    _set(browser, seed=5)
    _dream_and_wait(browser)
    second = _picture(browser)
    assert np.abs(second - first).mean() > 2
    chain = _sidecar(browser)["chain"]
    assert len(chain) == 2 and chain[0]["parameters"]["image"] == "mountain.jpg"
    assert chain[1]["parameters"]["seed"] == 5


def test_noise_with_six_fold_symmetry_and_a_channel_picked_from_the_strip_is_symmetric_and_recorded(server, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, server.url)
    _start(browser, "noise")
    browser.execute_script("for (const box of document.querySelectorAll('#layers input[type=checkbox]'))"
                           " box.checked = box.value === 'mixed0';")
    browser.find_element("css selector", "#channel-details summary").click()  # what each channel dreams
    WebDriverWait(browser, 180).until(lambda b: "pick one" in b.find_element("id", "channel-progress").text)
    strip = browser.find_elements("css selector", "#channel-strip .channel")
    assert len(strip) == 256, "one thumbnail per channel of mixed0"
    sheet = requests.get(server.url + "/api/channels/mixed0/sprite.jpg", timeout=30)
    assert Image.open(io.BytesIO(sheet.content)).size == (32 * 80, 8 * 80)
    strip[20].click()
    assert browser.find_element("id", "channel").get_attribute("value") == "20"
    _set(browser, **QUICK | {"noise-width": 160, "noise-height": 160, "folds": 6, "mirror": True})
    _dream_and_wait(browser)
    picture = _picture(browser)
    assert np.abs(picture - picture[:, ::-1]).mean() < 3  # mirrored, but for JPEG's error
    parameters = _sidecar(browser)["parameters"]
    assert (parameters["channel"], parameters["symmetry"], parameters["noise"]) == (20, "6m", [160, 160])


def test_history_survives_a_restart_and_is_this_browsers_only(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    data = tmp_path / "data"
    first_server = Server("--data-dir", str(data))
    browser = chromium(profile=tmp_path / "ada")
    try:
        _open(browser, first_server.url)
        _start(browser, "noise")
        for seed in (1, 2):
            _set(browser, **QUICK | {"noise-width": 96, "noise-height": 96, "seed": seed})
            _dream_and_wait(browser)
        first_server.stop()
        second_server = Server("--data-dir", str(data))  # another process, another port, the same folder
        try:
            _open(browser, second_server.url)
            WebDriverWait(browser, 30).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#history .open")) == 2)
            browser.find_elements(By.CSS_SELECTOR, "#history .open")[1].click()  # the older one
            WebDriverWait(browser, 30).until(lambda b: b.execute_script(
                "const r = document.getElementById('result'); return r.complete && r.naturalWidth === 96"))
            assert browser.find_element(By.ID, "seed").get_attribute("value") == "1"  # its parameters, back
            browser.save_screenshot(str(tmp_path / "history.png"))
            stranger = chromium(profile=tmp_path / "bob")
            try:
                _open(stranger, second_server.url)
                assert stranger.execute_script("return document.querySelectorAll('#history li').length") == 0
                assert requests.get(second_server.url + "/api/history", timeout=30).json()["dreams"] == []
            finally:
                stranger.quit()
        finally:
            second_server.stop()
    finally:
        browser.quit()


def test_a_twelve_frame_clip_gives_an_mp4_of_twelve_frames_and_a_text_file_a_clear_message(server, browser,
                                                                                            tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, server.url)
    browser.execute_script("document.querySelector('input[name=make][value=video]').click()")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a clip\n" * 50)
    browser.find_element("id", "clip").send_keys(str(notes))
    browser.find_element("id", "dream").click()
    WebDriverWait(browser, 60).until(lambda b: b.find_element("id", "error").text)
    assert "'notes.txt' is not a video ffmpeg can read" in browser.find_element("id", "error").text
    browser.find_element("id", "clip").send_keys(str(make_clip(tmp_path / "twelve.mp4")))
    _set(browser, steps=2, octaves=1, frame_steps=1)
    _dream_and_wait(browser)
    movie = browser.find_element("id", "movie")
    assert movie.is_displayed() and "/result" in movie.get_attribute("src")
    clip = tmp_path / "dreamed.mp4"
    clip.write_bytes(requests.get(browser.find_element("id", "download-image").get_attribute("href"),
                                  timeout=30).content)
    meta, frames = streams(clip)
    assert len(frames) == 12 and meta.get("audio_codec") == "aac"
    assert _sidecar(browser)["frames"] == 12


def test_a_zoom_from_noise_plays_as_an_animated_webp(server, browser):
    _open(browser, server.url)
    browser.execute_script("document.querySelector('input[name=make][value=zoom]').click()")
    _start(browser, "noise")
    _set(browser, **{"noise-width": 128, "noise-height": 96, "steps": 2, "frames": 3})
    _dream_and_wait(browser)
    animation = Image.open(io.BytesIO(requests.get(browser.find_element("id", "result").get_attribute("src"),
                                                   timeout=30).content))
    assert (animation.format, animation.n_frames, animation.size) == ("WEBP", 3, (128, 96))
    assert not browser.find_element("id", "folds").is_enabled(), "a zoom has no kaleidoscope"


def test_keyboard_alone_goes_from_the_page_to_a_dream(server, browser):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, server.url)
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('input, select, button, canvas')].filter(e => !(e.labels && "
        "e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim()).map(e => e.id || e.outerHTML)")
    assert unlabelled == [], "every control needs a label"
    body = browser.switch_to.active_element
    body.send_keys(Keys.TAB)  # the language switch first: the other language
    assert browser.switch_to.active_element.get_attribute("hreflang") == "zh-CN"
    browser.switch_to.active_element.send_keys(Keys.TAB)  # the first control: make a picture
    assert browser.switch_to.active_element.get_attribute("value") == "picture"
    browser.switch_to.active_element.send_keys(Keys.TAB)  # then the start: a photo
    focused = browser.switch_to.active_element
    assert focused.get_attribute("value") == "image"
    focused.send_keys(Keys.ARROW_RIGHT)  # seeded noise
    for value in ("96", "96"):  # its width, then its height
        browser.switch_to.active_element.send_keys(Keys.TAB)
        while browser.switch_to.active_element.get_attribute("id") not in ("noise-width", "noise-height"):
            browser.switch_to.active_element.send_keys(Keys.TAB)
        browser.switch_to.active_element.send_keys(Keys.CONTROL, "a", Keys.NULL, Keys.DELETE, value)
    while browser.switch_to.active_element.get_attribute("id") != "steps":
        browser.switch_to.active_element.send_keys(Keys.TAB)
    steps = browser.switch_to.active_element
    steps.send_keys(Keys.CONTROL, "a", Keys.NULL, Keys.DELETE, "4", Keys.ENTER)  # Enter dreams
    WebDriverWait(browser, 300).until(lambda b: b.find_element("id", "progress-text").text.startswith("Done")
                                      or b.find_element("id", "error").text)
    assert browser.find_element("id", "error").text == ""
    assert _picture(browser).shape == (96, 96, 3)


def test_at_a_phones_width_the_page_needs_no_sideways_scrolling(server, browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    _open(browser, server.url)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    assert browser.execute_script("return performance.getEntriesByType('resource')"
                                  ".every(e => e.name.startsWith(location.origin))"), "nothing from outside"
