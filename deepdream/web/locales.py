"""The pages' language, chosen per request with Flask-Babel; the API's messages follow it.

A request's language is, in order: ``?lang=`` (``en`` or ``zh_CN``; the page's switch sends it, and a cookie
remembers it for a year), that cookie, the browser's ``Accept-Language``, then English. The pages
(``templates/``, each built on ``page.html``) are Jinja templates whose texts go through the suite's catalog
(``deepdream/locale``, the ``deepdream`` domain, read by Flask-Babel); their scripts' texts, marked ``_("...")``
in ``static/*.js``, are handed to the page translated (``render_page``). While a request is answered,
``deepdream.i18n`` speaks its language (``i18n.answering_in``), so its refusals and errors are in the browser's
language, whatever the server's own. Layer names and units stay as they are.
"""

from __future__ import annotations

import functools
from contextlib import ExitStack

from babel import support
from flask import Flask, Response, g, render_template, request
from flask_babel import Babel, Domain

from deepdream import i18n
from deepdream.paths import PACKAGE_DIR

QUERY = "lang"  # ?lang=zh_CN: the page's switch
COOKIE = "deepdream_lang"
COOKIE_DAYS = 365
STATIC_DIR = PACKAGE_DIR / "web" / "static"
TEMPLATES_DIR = PACKAGE_DIR / "web" / "templates"
NAMES = {"en": "English", "zh_CN": "中文"}  # each language named in its own words, on the switch
TAGS = {"en": "en", "zh_CN": "zh-CN"}  # as HTML's lang attribute and Content-Language write them


def requested_language() -> str | None:
    """The language ``?lang=`` asks for, or None (not given, or not one of the suite's)."""
    return i18n.matching_language(request.args.get(QUERY, ""))


def select_language() -> str:
    """This request's language: ``?lang=``, else the remembered choice, else ``Accept-Language``, else English."""
    chosen = requested_language() or i18n.matching_language(request.cookies.get(COOKIE, ""))
    if chosen:
        return chosen
    for tag, quality in request.accept_languages:  # the browser's order of preference; q=0: "not this one"
        found = i18n.matching_language(tag) if quality > 0 else None
        if found:
            return found
    return "en"


def this_requests_language() -> str:
    """The language chosen for this request when it arrived (``select_language``, once a request)."""
    return g.get("language") or select_language()


@functools.cache
def _script_messages(name: str) -> tuple[str, ...]:
    """The texts a script in ``static/`` marks with ``_("...")`` (Babel's JavaScript extractor)."""
    from babel.messages.extract import extract_javascript

    with open(STATIC_DIR / name, "rb") as file:
        found = [message[0] if isinstance(message, tuple) else message  # _("text", { fields }): the text
                 for _line, _function, message, _comments in extract_javascript(file, {"_": None}, [], {})]
    return tuple(dict.fromkeys(message for message in found if isinstance(message, str)))


def script_texts(name: str) -> dict[str, str]:
    """A script's texts in this request's language, English to translation (empty in English): the page hands
    them to the script, whose ``_()`` looks each one up and fills in its ``{fields}``.

    Args:
        name: the script's file in ``static/`` (``app.js``, ``live.js``).
    """
    translated = {message: i18n.gettext(message) for message in _script_messages(name)}
    return {message: text for message, text in translated.items() if text != message}


@functools.cache
def _catalog(language: str) -> support.Translations:
    return support.Translations.load(str(i18n.LOCALE_DIR), [language], i18n.DOMAIN)


class SuiteDomain(Domain):
    """Flask-Babel's catalog for the templates: the suite's, found by the suite's own name for this request's
    language (Babel reads ``zh_CN`` as ``zh_Hans_CN``, a folder the catalog is not in)."""

    def get_translations(self) -> support.Translations:
        return _catalog(this_requests_language())


def render_page(template: str, script: str) -> str:
    """A page (``templates/``, built on ``page.html``) in this request's language, with its script and the
    script's texts translated.

    Args:
        template: the page's template (``index.html``, ``live.html``).
        script: its script in ``static/`` (``app.js``, ``live.js``).
    """
    return render_template(template, script=script, texts=script_texts(script))


def page_context() -> dict[str, object]:
    """What every page's template reads: the language, its HTML tag, and the switch's languages."""
    return {"language": g.language, "language_tag": TAGS[g.language], "languages": NAMES}


def install(app: Flask) -> None:
    """Chooses each request's language (Flask-Babel), speaks it while the request is answered, and remembers
    a language chosen on the page's switch."""
    babel = Babel(app, locale_selector=this_requests_language)
    babel.domain_instance = SuiteDomain()  # the suite's catalog (deepdream/locale), by the suite's names
    app.context_processor(page_context)

    @app.before_request
    def answer_in_the_browsers_language() -> None:
        g.language = select_language()
        g.language_scope = ExitStack()
        g.language_scope.enter_context(i18n.answering_in(g.language))

    @app.after_request
    def remember_the_choice(response: Response) -> Response:
        response.headers["Content-Language"] = TAGS[g.get("language", "en")]
        response.vary.update(("Accept-Language", "Cookie"))
        chosen = requested_language()
        if chosen:
            response.set_cookie(COOKIE, chosen, max_age=COOKIE_DAYS * 24 * 3600, samesite="Lax")
        return response

    @app.teardown_request
    def stop_speaking_it(_error: BaseException | None) -> None:
        scope = g.pop("language_scope", None)
        if scope is not None:
            scope.close()
