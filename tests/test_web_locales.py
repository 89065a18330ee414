"""The pages and the API in the browser's language: Accept-Language, the switch (?lang=) remembered in a cookie,
each request's messages in its own language at the same time, and a real Chromium asking for Chinese."""

import re
import threading

import pytest
from flask import Flask

from deepdream import recipe
from deepdream.web import create_app, locales, movies
from deepdream.web.settings import Settings
from tests.helpers import PAGE_TEXTS, Server, chromium, marked_texts

CHINESE = "zh-CN,zh;q=0.9,en;q=0.5"  # what a Chinese browser sends
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def app():
    return create_app(Settings())


@pytest.fixture
def client(app):
    """A browser of its own (its own cookies) for one test."""
    return app.test_client()


@pytest.fixture(scope="module")
def bare():
    """A Flask app with nothing but the language's choice (no service, no threads)."""
    bare = Flask(__name__)
    locales.install(bare)
    return bare


def _page(client, path="/", **headers):
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200
    return answer, answer.get_data(as_text=True)


def page_texts() -> list[str]:
    """Every English text the pages can show: their templates' and scripts' marked texts, and the form's labels
    and help (``GET /api/recipe``)."""
    texts = marked_texts(*PAGE_TEXTS)
    fields = [*recipe.FIELDS, *(field for kind in movies.FIELDS.values() for field in kind)]
    return sorted((texts | {field.help for field in fields} | {field.label for field in fields}) - {None, ""})


def english_left(shown: str, texts: list[str]) -> list[str]:
    """The English texts found in ``shown``: each text's words, with any ``{field}`` standing for anything."""
    left = []
    for text in texts:
        parts = re.split(r"\{[^{}]*\}", text)
        pattern = r"(?<![A-Za-z])" + ".*?".join(re.escape(part) for part in parts) + r"(?![A-Za-z])"
        if re.search(r"[A-Za-z]{2}", "".join(parts)) and re.search(pattern, shown):  # words, not only fields
            left.append(text)
    return left


def test_a_chinese_browser_gets_the_page_in_chinese_and_an_english_one_in_english(client):
    answer, html = _page(client, **{"Accept-Language": CHINESE})
    assert answer.headers["Content-Language"] == "zh-CN" and '<html lang="zh-CN">' in html
    assert "Accept-Language" in answer.headers["Vary"] and "<title>DeepDream 工作室</title>" in html
    assert "Drop a photo here" not in html and HAN.search(html)
    _, html = _page(client, **{"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in html and "<title>DeepDream studio</title>" in html and "Drop a photo here" in html


def test_the_switch_chooses_a_language_and_a_cookie_remembers_it_over_accept_language(client):
    answer, html = _page(client, "/?lang=en", **{"Accept-Language": CHINESE})
    assert "Drop a photo here" in html and f"{locales.COOKIE}=en" in answer.headers["Set-Cookie"]
    _, html = _page(client, "/live", **{"Accept-Language": CHINESE})  # the cookie, kept by the client
    assert "Start the camera" in html
    answer, html = _page(client, "/live?lang=zh_CN")
    assert "Start the camera" not in html and '<html lang="zh-CN">' in html
    _, html = _page(client, "/", **{"Accept-Language": "en"})
    assert "Drop a photo here" not in html  # the cookie outranks the browser's Accept-Language


@pytest.mark.parametrize(("query", "cookie", "accept", "chosen"), [
    ("", "", "zh-CN,zh;q=0.9", "zh_CN"), ("", "", "fr-FR, zh;q=0.5", "zh_CN"), ("", "", "zh-TW, fr", "en"),
    ("", "", "zh;q=0, fr", "en"), ("", "", "", "en"), ("", "zh_CN", "en", "zh_CN"), ("en", "zh_CN", "zh", "en"),
    ("xx", "", "zh", "zh_CN"), ("", "<script>", "zh", "zh_CN")])
def test_the_language_is_lang_then_the_cookie_then_accept_language_then_english(bare, query, cookie, accept, chosen):
    headers = {"Accept-Language": accept} | ({"Cookie": f"{locales.COOKIE}={cookie}"} if cookie else {})
    with bare.test_request_context(f"/?lang={query}" if query else "/", headers=headers):
        assert locales.select_language() == chosen


def test_the_page_hands_its_script_each_marked_text_translated_and_english_hands_none(client):
    _, html = _page(client, **{"Accept-Language": CHINESE})
    assert '"Choose at least one layer.":' in html and "/static/texts.js" in html
    assert '<script id="texts" type="application/json">{}</script>' in _page(client, **{"Accept-Language": "en"})[1]


def test_the_apis_messages_follow_each_requests_language_at_the_same_time(app):
    said: dict[str, list[str]] = {"zh-CN": [], "en": []}

    def ask(language):
        for _ in range(20):
            answer = app.test_client().get("/api/nothing", headers={"Accept-Language": language})
            said[language].append(answer.get_json()["error"])

    threads = [threading.Thread(target=ask, args=(language,)) for language in said]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(message.startswith("No such page: /api/nothing.") for message in said["en"])
    assert all(HAN.search(message) and "No such page" not in message for message in said["zh-CN"])


def test_a_thread_that_answered_in_chinese_answers_the_next_request_and_speaks_itself_as_before(client):
    from deepdream import i18n

    with i18n.speaking("en"):
        assert HAN.search(client.get("/api/nothing", headers={"Accept-Language": CHINESE}).get_json()["error"])
        assert client.get("/api/nothing", headers={"Accept-Language": "en"}).get_json()["error"].startswith(
            "No such page")  # the same thread, the next request
        assert i18n.language() == "en" and i18n.gettext("Cancelled.") == "Cancelled."


def test_no_translation_a_template_shows_holds_what_html_or_its_formatting_would_read():
    from deepdream import i18n

    templates = marked_texts(PAGE_TEXTS[0])
    with i18n.speaking("zh_CN"):
        unsafe = [i18n.gettext(text) for text in templates if re.search(r'[<>&"%]', i18n.gettext(text))]
    assert len(templates) >= 50 and unsafe == []  # Jinja says a translation as Markup, and formats it with %


def test_every_page_text_is_translated_and_the_english_finder_finds_each_one():
    from deepdream import i18n

    texts = page_texts()
    with i18n.speaking("zh_CN"):
        untranslated = [text for text in texts if i18n.gettext(text) == text]
    assert len(texts) >= 120 and untranslated == []
    assert english_left("Dreaming: step 3 of 12, about 5 s left", texts) == [
        ", about {seconds} s left", "Dreaming: {unit} {done} of {total}{left}", "step"]
    assert english_left("正在生成梦境：第 3/12 步 · mixed3 · deepdream serve · JPEG", texts) == []


@pytest.mark.slow
def test_chromium_asking_for_chinese_shows_no_english_and_the_switch_brings_english_back(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    every_text = """return [...document.querySelectorAll('body *:not(script):not(style)')].map(element =>
        [...element.childNodes].filter(node => node.nodeType === 3).map(node => node.textContent).join(' ') + ' '
        + ['title', 'alt', 'aria-label', 'placeholder'].map(name => element.getAttribute(name) || '').join(' ')
    ).join('\\n');"""
    fake = tmp_path / "holiday.jpg"
    fake.write_text("not a picture at all\n" * 50)
    server, browser, texts = Server(), chromium(language="zh-CN"), page_texts()
    try:
        for path, built in (("/live", "#layer option + option"), ("/", "#layers input")):  # each form built
            browser.get(server.url + path)
            WebDriverWait(browser, 60).until(lambda b, built=built: b.find_elements(By.CSS_SELECTOR, built))
            shown = browser.execute_script(every_text)
            assert english_left(shown, texts) == [] and HAN.search(shown), path
        browser.find_element(By.ID, "image").send_keys(str(fake))  # the API's refusal, in the page's language
        browser.find_element(By.ID, "dream").click()
        error = WebDriverWait(browser, 60).until(lambda b: b.find_element(By.ID, "error").text)
        assert HAN.search(error) and "Pillow" in error and "not an image" not in error, error
        browser.find_element(By.CSS_SELECTOR, "#languages a[hreflang=en]").click()  # the switch
        WebDriverWait(browser, 60).until(lambda b: b.find_elements(By.CSS_SELECTOR, "html[lang=en] #layers input"))
        assert browser.find_element(By.TAG_NAME, "h1").text == "DeepDream studio"
        browser.get(server.url + "/live")  # remembered, though the browser still asks for Chinese
        assert browser.find_element(By.ID, "start").text == "Start the camera"
    finally:
        browser.quit()
        server.stop()
