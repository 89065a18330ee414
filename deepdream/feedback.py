"""The feedback pages nbgrader writes for each graded notebook: offline, and in the course's language.

``nbgrader generate_feedback`` renders every graded notebook with its own ``feedback`` template, whose few
words (Score, Test cell, Comments...) are English. For a course in another language, ``template_options``
writes a copy of that template with its words translated by the suite's catalog (``deepdream.i18n``), and
returns the nbgrader options that use it; the student's notebook, its outputs and the reasons are left as they
are. ``without_network`` drops the scripts a page would load from the internet, so that it opens offline.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from deepdream.i18n import gettext as _
from deepdream.i18n import speaking

TEMPLATE = "feedback"  # nbgrader's template name, in its formgrader's templates folder
WORDS = [  # the template's English words, in their markup, and how each is said; the last group keeps the markup
    (r"(\(|\n\s*)Score: ", lambda: _("Score") + ": "),
    (r"(>)Test cell(</a>)", lambda: _("Test cell")),
    (r"(>)Coding free-response(</a>)", lambda: _("Coding free-response")),
    (r"(>)Written response(</a>)", lambda: _("Written response")),
    (r"(>)Task(</a>)", lambda: _("Task")),
    (r"(>)Comment(</a>)", lambda: _("Comment")),
    (r"(>)Late submission penalty( )", lambda: _("Late submission penalty")),
    (r"(>)\(Top\)(</a>)", lambda: "(" + _("back to the top") + ")"),
    (r"(>)Student's answer(</span>)", lambda: _("Student's answer")),
    (r"(>)Student's task(</span>)", lambda: _("Student's task")),
    (r"(>)Grade cell: (<code>)", lambda: _("Grade cell") + ": "),
    (r"(>)Task: (<code>)", lambda: _("Task") + ": "),
    (r"(<b>)Comments:(</b>)", lambda: _("Comments") + ":"),
]


def nbgrader_template() -> Path:
    """nbgrader's own feedback template folder (``index.html.j2`` and ``conf.json``)."""
    import nbgrader

    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates" / TEMPLATE


def translated_template(source: str, language: str) -> str:
    """nbgrader's feedback template ``source`` with its words in ``language``.

    Raises:
        RuntimeError: a word is no longer where the suite expects it (nbgrader changed its template).
    """
    missing = None
    with speaking(language):
        for pattern, said in WORDS:
            source, count = re.subn(pattern, lambda found, said=said: found.group(1) + said() + (
                found.group(2) if found.re.groups > 1 else ""), source)
            if not count:
                missing = pattern
                break
    if missing:  # said in the language in use, not the pages'
        raise RuntimeError(_("nbgrader's feedback template has no {pattern!r} any more: update "
                             "deepdream/feedback.py's WORDS for this nbgrader version").format(pattern=missing))
    return source


def template_options(folder: Path, language: str) -> list[str]:
    """The ``nbgrader generate_feedback`` options that write its pages in ``language`` (none for English),
    with the translated template written in ``folder``."""
    if language == "en":
        return []
    name = f"{TEMPLATE}_{language}"
    target = Path(folder) / name
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(nbgrader_template() / "conf.json", target / "conf.json")
    source = (nbgrader_template() / "index.html.j2").read_text(encoding="utf-8")
    (target / "index.html.j2").write_text(translated_template(source, language), encoding="utf-8")
    return [f"--HTMLExporter.template_name={name}", f"--HTMLExporter.extra_template_basedirs={Path(folder)}"]


def without_network(page: Path) -> None:
    """Drops the scripts a feedback page would load from the internet (nbconvert's MathJax from a CDN; the
    notebooks write no formulas), so that it opens offline, as everything in the suite does."""
    html = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>\s*', "", html), encoding="utf-8")
