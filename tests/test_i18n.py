"""The module speaks the student's language: Chinese errors, progress labels and figure words, and no missing glyph."""

import io
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import deepdream_utils as dd
from deepdream import i18n, plots
from tests.helpers import PAGE_TEXTS, marked_texts

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def chinese():
    """The module in Chinese for one test, English again after it (matplotlib's fonts as they were)."""
    saved = dict(matplotlib.rcParams)
    dd.set_language("zh_CN")
    yield
    dd.set_language("en")
    matplotlib.rcParams.update(saved)


def test_a_missing_image_is_a_chinese_error(chinese, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'.*nothing\.jpg' 处没有图像。请检查路径"):
        dd.load_image(tmp_path / "nothing.jpg")


def test_an_image_too_small_for_the_layer_is_a_chinese_error(chinese, conv15):
    with pytest.raises(ValueError, match=r"图像为 20x10 像素，但层 conv2d_15 要求每边至少 27 像素"):
        dd.check_image_size(conv15, (10, 20))


def test_the_progress_bar_says_dreaming_in_chinese(chinese, conv15, capsys):
    dd.dream(conv15, dd.noise_image(32, 32, seed=0), steps=1, step_size=0.01, transforms=None)
    assert "生成梦境" in capsys.readouterr().out


def test_the_layer_losses_and_one_step_are_printed_in_chinese_and_a_callers_own_words_kept(chinese, conv15, capsys):
    image = dd.noise_image(32, 32, seed=0)
    dd.print_layer_losses(conv15, image)
    dd.print_layer_losses(conv15, image, when="梦境之后")
    dd.show_one_step(conv15, image, 0.01)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("初始图像，conv2d_15（权重 1）：损失 = ")
    assert lines[1].startswith("梦境之后，conv2d_15（权重 1）：损失 = ")
    assert lines[2].startswith("之前：损失 = ") and lines[3].startswith("走一步（步长 0.01）之后：损失 = ")


def test_a_figure_title_has_its_parameters_and_panel_names_in_chinese(chinese):
    image = np.zeros((8, 8, 3), np.float32)
    fig = dd.plot_comparison(image, image, {"steps": 10, "step_size": 0.01, "layers": "mixed3"}, title="01")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:2] == ["初始图像", "结果"] and fig._suptitle.get_text() == "01: 步数=10, 步长=0.01, 层=mixed3"


def test_english_is_the_default_and_the_environment_chooses(monkeypatch):
    for variable in (i18n.LANGUAGE_VARIABLE, *i18n.LOCALE_VARIABLES):
        monkeypatch.delenv(variable, raising=False)
    assert i18n.language_from_environment() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.language_from_environment() == "zh_CN"
    monkeypatch.setenv("LANGUAGE", "fr:zh_TW:en_GB")  # the first the suite speaks: English
    assert i18n.language_from_environment() == "en"
    monkeypatch.setenv(i18n.LANGUAGE_VARIABLE, "zh-Hans")
    assert i18n.language_from_environment() == "zh_CN"


def test_an_unknown_language_says_which_there_are():
    with pytest.raises(ValueError, match=r"language must be one of en, zh_CN, got 'fr'"):
        dd.set_language("fr")
    assert i18n.language() in i18n.LANGUAGES


def test_the_compiled_catalog_is_the_catalog():
    with open(i18n.catalog_file("zh_CN"), "rb") as file:
        catalog = read_po(file)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert (i18n.catalog_file("zh_CN").with_suffix(".mo")).read_bytes() == compiled.getvalue(), (
        "run: pybabel compile -d deepdream/locale -D deepdream")
    assert all(message.string and not message.fuzzy for message in catalog if message.id)


class _AnyValue(dict):
    """A placeholder's value for any name: a number, which every format of the catalog takes."""

    def __missing__(self, key):
        return 1


def test_every_translated_string_renders_with_the_bundled_font_and_no_missing_glyph(chinese):
    import matplotlib.pyplot as plt

    assert i18n.FONT_FILE.exists() and (i18n.FONT_FILE.parent / "NOTICE-fonts-noto-cjk.txt").exists()
    matplotlib.rcParams["font.sans-serif"] = [i18n.FONT_FAMILY, "DejaVu Sans"]  # as on a machine with no CJK font
    with open(i18n.catalog_file("zh_CN"), "rb") as file:
        strings = [message.string for message in read_po(file) if message.id]
    fig, ax = plt.subplots()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font")
        for text in strings:
            ax.set_title(text.format_map(_AnyValue()))
            fig.canvas.draw()
    plt.close(fig)


def test_the_bundled_font_has_every_character_of_the_notebooks_chinese_code_texts():
    from fontTools.ttLib import TTFont

    glyphs = TTFont(i18n.FONT_FILE).getBestCmap()
    for catalog in sorted((ROOT / "notebooks" / "locale" / "zh_CN").glob("[0-9]*.po")):
        with open(catalog, "rb") as file:
            texts = [message.string for message in read_po(file) if message.id and message.context.endswith(":code")]
        missing = sorted({character for text in texts for character in text if ord(character) not in glyphs
                          and not character.isspace()})
        assert texts and missing == [], f"{catalog.name}: {''.join(missing)}; run tools/make_font_subset.py"


def test_every_text_the_package_marks_for_the_catalog_has_its_chinese_entry():
    from deepdream import canaries, cli, course, grades, grading

    marked = marked_texts("**.py", *PAGE_TEXTS)
    marked |= {canaries.FLAG_MESSAGE, grades.UNSANDBOXED_NOTE, cli.__doc__.split("\n\n")[2], "re-inject",  # by name
               course.__doc__.split("\n")[0], grading.__doc__.split("\n")[0]}
    with open(i18n.catalog_file("zh_CN"), "rb") as file:
        translated = {message.id for message in read_po(file) if message.id and message.string}
    assert len(marked) >= 400 and sorted(marked - translated) == []  # 250 when written, 450 with the web pages


def test_every_translation_keeps_its_english_fields():
    fields = re.compile(r"\{[^{}]*\}")
    with open(i18n.catalog_file("zh_CN"), "rb") as file:
        differing = [(message.id, message.string) for message in read_po(file) if message.id
                     and sorted(fields.findall(message.id)) != sorted(fields.findall(message.string))]
    assert differing == []


def test_speaking_a_language_for_a_while_leaves_the_language_and_the_figures_fonts_as_they_were():
    import matplotlib.pyplot  # noqa: F401  (matplotlib's settings exist)

    def state():
        return i18n.language(), matplotlib.rcParams["font.sans-serif"], matplotlib.rcParams["axes.unicode_minus"]

    before = state()
    with i18n.speaking("zh_CN"):
        assert i18n.gettext("dreaming") == "生成梦境" and matplotlib.rcParams["axes.unicode_minus"] is False
    assert state() == before


def test_chinese_draws_with_a_system_cjk_font_first_then_the_bundled_one(chinese):
    families = matplotlib.rcParams["font.sans-serif"]
    bundled = families.index(i18n.FONT_FAMILY)
    assert all(name in i18n.SYSTEM_CJK_FONTS for name in families[:bundled])
    assert plots.format_params({"octaves": 4}) == "八度数=4"
