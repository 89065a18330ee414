"""The suite's messages in the student's language: gettext catalogs, the language in use, the CJK font.

English is the source; ``deepdream/locale/<language>/LC_MESSAGES/deepdream.po`` translates it (compiled to
``deepdream.mo`` beside it with ``pybabel compile -d deepdream/locale -D deepdream``; a test keeps the two in
step). ``set_language("zh_CN")`` (the notebooks' ``dd.set_language``) makes the messages Chinese: errors,
progress labels, the quality indicators' names and the words of figure titles. Without a call, the language
is ``DEEPDREAM_LANG``, else the locale variables a shell sets (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG``), else English. For Chinese, matplotlib draws with a system CJK font when there is one, and with the
bundled subset of Noto Sans SC (``data/fonts``, OFL) for the suite's own strings when there is none.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as gnu_gettext
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from deepdream.paths import DATA_DIR, PACKAGE_DIR

LOCALE_DIR = PACKAGE_DIR / "locale"
DOMAIN = "deepdream"
LANGUAGES = ("en", "zh_CN")  # English first: the source
LANGUAGE_VARIABLE = "DEEPDREAM_LANG"
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's order
FONT_FILE = DATA_DIR / "fonts" / "NotoSansSC-suite-subset.otf"  # tools/make_font_subset.py
FONT_FAMILY = "Noto Sans SC (deepdream subset)"
SYSTEM_CJK_FONTS = ("Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei")  # preferred, when installed
_state: dict[str, str | None] = {"language": None}  # the process's; None: from the environment, on first use
# A web request's language, where one is being answered (``deepdream.web.locales``): it outranks the process's,
# so that each browser reads the API's messages in its own language.
_request_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("deepdream_request_language",
                                                                              default=None)


def matching_language(value: str) -> str | None:
    """The suite's language for a language tag or locale value (``zh-CN``, ``zh_CN.UTF-8``, ``zh-Hans``,
    ``en_US``...), or None when it has none for it (an empty value included)."""
    tag = str(value).split(".")[0].split("@")[0].replace("-", "_").lower()
    if tag.startswith("zh") and not tag.startswith(("zh_tw", "zh_hk", "zh_hant")):
        return "zh_CN"
    if tag.startswith("en") or tag in ("c", "posix"):
        return "en"
    return None


def language_from_environment() -> str:
    """``DEEPDREAM_LANG``, else the first locale variable the suite has a language for, else English."""
    chosen = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    if chosen:
        return matching_language(chosen) or "en"
    for variable in LOCALE_VARIABLES:
        for value in os.environ.get(variable, "").split(":"):
            found = matching_language(value)
            if found:
                return found
    return "en"


def set_language(language: str | None = None) -> None:
    """Speaks ``language`` from now on (``"en"`` or ``"zh_CN"``; None: from the environment).

    Args:
        language: the language's code; ``zh``, ``zh-CN`` and ``zh_CN.UTF-8`` all mean ``zh_CN``.
    """
    if language is None:
        chosen = language_from_environment()
    else:
        chosen = matching_language(language) if isinstance(language, str) else None
        if chosen is None:
            raise ValueError(gettext("language must be one of {languages}, got {language!r}.").format(
                languages=", ".join(LANGUAGES), language=language))
    _state["language"] = chosen
    if chosen == "zh_CN":
        use_cjk_font()


def language() -> str:
    """The language in use: a web request's, where one is being answered, else the process's (chosen from the
    environment on first use)."""
    answering = _request_language.get()
    if answering is not None:
        return answering
    if _state["language"] is None:
        set_language(None)
    return str(_state["language"])


@contextlib.contextmanager
def answering_in(language: str) -> Iterator[None]:
    """Speaks ``language`` in this context only (a thread's web request), whatever the process speaks.

    Args:
        language: one of ``LANGUAGES``.
    """
    token = _request_language.set(language)
    try:
        yield
    finally:
        _request_language.reset(token)


@functools.cache
def _translation(language: str) -> gnu_gettext.NullTranslations:
    """A language's catalog, read once."""
    return gnu_gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Speaks ``language`` inside the ``with`` block and the language in use before it after (a course's
    grading speaks the course's language, whatever the instructor's shell)."""
    fonts = ("font.sans-serif", "font.family", "axes.unicode_minus")  # what use_cjk_font changes, if it ran
    drawn = {key: sys.modules["matplotlib"].rcParams[key] for key in fonts} if "matplotlib" in sys.modules else None
    before = _state["language"]
    set_language(language)
    try:
        yield
    finally:
        if before is None:
            _state["language"] = None  # chosen from the environment again on first use
        else:
            set_language(str(before))
        if drawn is not None:
            sys.modules["matplotlib"].rcParams.update(drawn)


def gettext(message: str) -> str:
    """``message`` in the language in use (itself when it has no translation); modules import it as ``_``."""
    return _translation(language()).gettext(message)


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for it)
    """Marks ``message`` for the catalog and returns it as it is: for texts defined once and said later, in the
    language in use then (``gettext(field.help)``)."""
    return message


def use_cjk_font() -> list[str]:
    """Makes matplotlib draw Chinese: the system CJK fonts it finds first, then the bundled subset.

    Returns:
        matplotlib's sans-serif families, in the order it now tries them.
    """
    from matplotlib import font_manager, rcParams

    if FONT_FILE.exists() and FONT_FAMILY not in {font.name for font in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(FONT_FILE))
    installed = {font.name for font in font_manager.fontManager.ttflist}
    families = [name for name in SYSTEM_CJK_FONTS if name in installed] + [FONT_FAMILY]
    kept = [name for name in rcParams["font.sans-serif"] if name not in families]
    rcParams["font.sans-serif"] = families + kept
    rcParams["font.family"] = "sans-serif"
    rcParams["axes.unicode_minus"] = False  # the CJK fonts lack the Unicode minus: a hyphen instead
    return list(rcParams["font.sans-serif"])


def catalog_file(language: str) -> Path:
    """The ``.po`` file of a language's messages."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
