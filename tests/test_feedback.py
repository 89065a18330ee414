"""nbgrader's feedback pages in the course's language, and offline."""

import re

import jinja2
import pytest

from deepdream import feedback

ENGLISH_WORDS = ["Score:", ">Test cell<", "Coding free-response", "Written response", ">Task<", ">Comment<",
                 "Late submission penalty", "(Top)", "Student's answer", "Student's task", "Grade cell:", ">Task:",
                 "Comments:"]


def test_the_chinese_template_says_every_word_in_chinese_and_keeps_nbgraders_markup():
    source = (feedback.nbgrader_template() / "index.html.j2").read_text(encoding="utf-8")
    assert all(word in source for word in ENGLISH_WORDS)  # what the suite expects of nbgrader's template
    chinese = feedback.translated_template(source, "zh_CN")
    assert [word for word in ENGLISH_WORDS if word in chinese] == []
    assert "(得分: {{" in chinese and ">测试单元格</a>" in chinese and "<b>评语:</b>" in chinese
    assert re.findall(r"<[^>]*>|\{\{[^}]*\}\}|\{%[^%]*%\}", chinese) == re.findall(
        r"<[^>]*>|\{\{[^}]*\}\}|\{%[^%]*%\}", source)  # every tag and template expression as it was
    jinja2.Environment().parse(chinese)


def test_an_english_course_keeps_nbgraders_own_template(tmp_path):
    assert feedback.template_options(tmp_path, "en") == [] and list(tmp_path.iterdir()) == []


def test_a_chinese_course_gets_the_translated_template_and_the_options_that_use_it(tmp_path):
    options = feedback.template_options(tmp_path, "zh_CN")
    assert options == ["--HTMLExporter.template_name=feedback_zh_CN",
                       f"--HTMLExporter.extra_template_basedirs={tmp_path}"]
    assert {path.name for path in (tmp_path / "feedback_zh_CN").iterdir()} == {"index.html.j2", "conf.json"}
    assert "测试单元格" in (tmp_path / "feedback_zh_CN" / "index.html.j2").read_text(encoding="utf-8")


def test_a_template_without_the_expected_words_is_refused_with_what_to_update():
    with pytest.raises(RuntimeError, match="update deepdream/feedback.py's WORDS for this nbgrader version"):
        feedback.translated_template("<html><body>{{ super() }}</body></html>", "zh_CN")


def test_a_page_loses_the_scripts_it_would_load_from_the_internet_and_keeps_its_own(tmp_path):
    page = tmp_path / "01.html"
    page.write_text('<head><script src="https://cdn.example/mathjax.js"></script>\n<script>let a = 1;</script>'
                    "</head><p>得分</p>", encoding="utf-8")
    feedback.without_network(page)
    assert page.read_text(encoding="utf-8") == "<head><script>let a = 1;</script></head><p>得分</p>"
