"""The notebooks in Chinese: one English source, a catalog per notebook, renderings kept in step by these tests."""

import ast
import csv
import io
import shutil
from pathlib import Path

import nbformat
import pytest
from babel.messages.pofile import write_po

from deepdream import translations

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = translations.english_notebooks(ROOT / "notebooks")
NAMES = [path.name for path in ENGLISH]
GLOSSARY = ROOT / "notebooks" / "locale" / "zh_CN" / "glossary.tsv"


def _cells(path: Path) -> list:
    return nbformat.read(path, as_version=4).cells


def _without_comments_and_strings(source: str) -> str:
    """The code's AST dump with every string literal emptied (comments are not in an AST), an f-string's fields
    kept in any order (Chinese may put them elsewhere)."""
    lines = [line[:len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]  # an IPython magic: not Python, and the same in both
    tree = ast.parse("\n".join(lines))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
        if isinstance(node, ast.JoinedStr):
            node.values = sorted((value for value in node.values if isinstance(value, ast.FormattedValue)),
                                 key=ast.dump)
    return ast.dump(tree)


def test_every_notebook_has_a_chinese_catalog_with_every_markdown_cell_translated_and_no_orphan():
    assert len(ENGLISH) == 7
    for notebook in ENGLISH:
        assert translations.problems(notebook, "zh_CN") == []


@pytest.mark.parametrize("name", NAMES)
def test_the_chinese_notebook_is_the_fresh_rendering_of_the_english_and_its_catalog(name):
    english = ROOT / "notebooks" / name
    fresh = translations.render(english, "zh_CN")
    saved = nbformat.read(translations.rendering_path(english, "zh_CN"), as_version=4)
    assert [(c.id, c.cell_type, c.source) for c in saved.cells] == [(c.id, c.cell_type, c.source) for c in fresh.cells]
    assert saved.metadata["language"] == "zh_CN"


@pytest.mark.parametrize("name", NAMES)
def test_chinese_code_cells_are_the_english_code_and_every_cell_keeps_its_id_type_and_grading_marks(name):
    english = _cells(ROOT / "notebooks" / name)
    chinese = _cells(ROOT / "notebooks" / "zh_CN" / name)
    assert [(c.id, c.cell_type, c.metadata.get("nbgrader")) for c in chinese] == [
        (c.id, c.cell_type, c.metadata.get("nbgrader")) for c in english]
    for ours, theirs in zip(english, chinese):
        if ours.cell_type == "code":
            assert _without_comments_and_strings(theirs.source) == _without_comments_and_strings(ours.source)
        else:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in theirs.source), (name, ours.id)


def test_the_code_comparison_sees_a_changed_name_or_field_but_not_a_translated_string_or_comment():
    code = 'print(f"{len(x)} layers of {n}")  # how many\nfig = plot(x, title="Dreams")'
    for same in (_without_comments_and_strings, translations.code_skeleton):
        assert same(code) == same('print(f"{n} 的 {len(x)} 层")  # 数量\nfig = plot(x, title="梦境")')
        assert same(code) != same(code.replace("title=", "suptitle="))
        assert same(code) != same(code.replace("{n}", "{m}"))


def test_a_code_cells_texts_are_its_comments_and_worded_strings_not_names_keys_or_nbgrader_marks():
    source = ('LAYER = "mixed3"  # the layer we dream\n'
              '### BEGIN SOLUTION\n'
              'print("Größe", "zwei Wörter", f"{LAYER}: {n} steps", "std")\n'
              '### END SOLUTION\n'
              'def f():\n    """One step, by hand."""\n')
    texts = translations.code_texts(source)
    assert [text for _, _, text in texts] == ["# the layer we dream", '"zwei Wörter"', 'f"{LAYER}: {n} steps"',
                                              '"""One step, by hand."""']
    assert all(source[start:end] == text for start, end, text in texts)  # character offsets, after an umlaut too
    magic = '# install it, once\n%pip install -q {suite[0]}\nprint("not Python: left alone")'  # a magic
    assert translations.code_texts(magic) == [(0, 18, "# install it, once")]
    feed = 'a = 1  # form\x0cfeed here\nb = "two words"\n'  # a form feed: no line break to Python
    assert [text for _, _, text in translations.code_texts(feed)] == ["# form\x0cfeed here", '"two words"']
    joined = 'x = ("two words "  # between the parts\n     "more words")\n'  # one literal, a comment inside
    assert [text for _, _, text in translations.code_texts(joined)] == [joined[5:-2]]


def _code_entry(catalog, cell_id: str, containing: str):
    return next(m for m in catalog if m.context == f"03_mountain_single_layer:{cell_id}:code" and containing in m.id)


def test_a_changed_code_text_is_stale_and_a_translation_that_breaks_the_code_is_refused(one_notebook):
    book = nbformat.read(one_notebook, as_version=4)
    cell = next(c for c in book.cells if c.cell_type == "code" and 'f"start: {start.shape[1]}x' in c.source)
    cell.source = cell.source.replace("pixels", "px")
    nbformat.write(book, one_notebook)
    path = translations.catalog_path(one_notebook, "zh_CN")
    catalog = translations.update(one_notebook, "zh_CN")
    changed = _code_entry(catalog, cell.id, "px")
    assert changed.fuzzy and changed.string and "pixels" in changed.previous_id[0]  # the old translation kept
    assert translations.problems(one_notebook, "zh_CN") == [
        f"{path}: 03_mountain_single_layer:{cell.id}:code: {changed.id[:50]!r}: stale (fuzzy): the English changed, "
        "translate it again"]
    changed.flags.discard("fuzzy")
    changed.string = changed.string.replace("{start.shape[0]}", "{start.shape[2]}")  # a field changed
    with open(path, "wb") as file:
        write_po(file, catalog, width=0)
    found = translations.problems(one_notebook, "zh_CN")
    assert any("the f-string fields differ from the English" in problem for problem in found), found
    assert any(f"{cell.id}:code: the translated cell is not the English code" in problem for problem in found), found


@pytest.fixture
def one_notebook(tmp_path):
    """A copy of notebook 03 and its catalog in a folder of their own."""
    shutil.copy(ROOT / "notebooks" / "03_mountain_single_layer.ipynb", tmp_path)
    (tmp_path / "locale" / "zh_CN").mkdir(parents=True)
    shutil.copy(translations.catalog_path(ROOT / "notebooks" / "03_mountain_single_layer.ipynb", "zh_CN"),
                tmp_path / "locale" / "zh_CN")
    return tmp_path / "03_mountain_single_layer.ipynb"


def _edit_markdown(notebook: Path, index: int, change) -> str:
    book = nbformat.read(notebook, as_version=4)
    cell = [c for c in book.cells if c.cell_type == "markdown"][index]
    cell.source = change(cell.source)
    nbformat.write(book, notebook)
    return cell.id


def test_an_english_cell_that_changes_makes_its_entry_stale_until_it_is_translated_again(one_notebook):
    cell_id = _edit_markdown(one_notebook, 1, lambda text: text + "\n\nOne more sentence.")
    translations.update(one_notebook, "zh_CN")
    found = translations.problems(one_notebook, "zh_CN")
    assert found == [f"{translations.catalog_path(one_notebook, 'zh_CN')}: 03_mountain_single_layer:{cell_id}: "
                     "stale (fuzzy): the English changed, translate it again"]
    catalog = translations.read_catalog(translations.catalog_path(one_notebook, "zh_CN"), "zh_CN")
    entry = next(m for m in catalog if m.context == f"03_mountain_single_layer:{cell_id}")
    assert entry.fuzzy and entry.string.startswith("## ")  # the old translation kept to start from
    rendered = translations.render(one_notebook, "zh_CN")
    assert next(c for c in rendered.cells if c.id == cell_id).source.endswith("One more sentence.")


def test_a_removed_cell_leaves_no_orphan_and_a_new_one_an_empty_entry(one_notebook):
    book = nbformat.read(one_notebook, as_version=4)
    removed = [c for c in book.cells if c.cell_type == "markdown"][2]
    book.cells.remove(removed)
    book.cells.append(nbformat.v4.new_markdown_cell("## A new section"))
    nbformat.write(book, one_notebook)
    catalog = translations.update(one_notebook, "zh_CN")
    contexts = [m.context for m in catalog if m.id]
    assert f"03_mountain_single_layer:{removed.id}" not in contexts
    assert translations.problems(one_notebook, "zh_CN") == [
        f"{translations.catalog_path(one_notebook, 'zh_CN')}: 03_mountain_single_layer:{book.cells[-1].id}: "
        "not translated"]


def test_a_translation_that_loses_a_code_span_or_a_link_is_refused(one_notebook):
    path = translations.catalog_path(one_notebook, "zh_CN")
    catalog = translations.read_catalog(path, "zh_CN")
    first = next(m for m in catalog if m.id and "](" in m.id and "`" in m.id)
    first.string = first.string.replace("`", "", 2).replace("](https://", "](http://", 1)
    with open(path, "wb") as file:
        write_po(file, catalog, width=0)
    found = translations.problems(one_notebook, "zh_CN")
    assert any("the code spans differ from the English" in problem for problem in found), found
    assert any("the links and images differ from the English" in problem for problem in found), found


def test_updating_an_unchanged_catalog_changes_no_byte(one_notebook):
    path = translations.catalog_path(one_notebook, "zh_CN")
    before = path.read_bytes()
    translations.update(one_notebook, "zh_CN")
    assert path.read_bytes() == before


def _glossary() -> list[dict]:
    lines = [line for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines)), fieldnames=["english", "chinese", "note"],
                               delimiter="\t"))


@pytest.mark.parametrize("english, chinese", [("single-channel features", "单通道特征"),
                                              ("multi-channel features", "多通道特征")])
def test_the_rubrics_terms_for_the_two_readings_translate_the_notebooks_english(english, chinese):
    assert {"english": english, "chinese": chinese} in [{k: row[k] for k in ("english", "chinese")}
                                                       for row in _glossary()]
    used = 0
    for notebook in ENGLISH:
        catalog = translations.read_catalog(translations.catalog_path(notebook, "zh_CN"), "zh_CN")
        for message in catalog:
            if message.id and english in message.id.lower():
                used += 1
                assert chinese in message.string, (notebook.name, message.context)
    assert used >= 1


@pytest.mark.parametrize("name, terms", [("01_noise_single_layer", ["噪音图像"]),
                                         ("02_noise_multi_layer", ["噪音图像"]),
                                         ("03_mountain_single_layer", ["背景图像"]),
                                         ("04_mountain_multi_layer", ["背景图像"]),
                                         ("05_mountain_octaves_tiled", ["背景图像", "提高图像生成质量"])])
def test_each_graded_notebook_opens_with_the_rubrics_own_words_for_its_line(name, terms):
    glossary = {row["chinese"] for row in _glossary()}
    first = _cells(ROOT / "notebooks" / "zh_CN" / f"{name}.ipynb")[0].source
    assert first.startswith(f"# {name[:2]} · ") and "评分档" in first
    for term in terms:
        assert term in glossary and term in first, term


def test_the_renderings_are_left_out_of_nbval_their_english_sources_are_executed():
    options = (ROOT / "pytest.ini").read_text()
    assert "--ignore=notebooks/zh_CN" in options


def test_make_translations_says_what_is_missing_and_check_changes_nothing(one_notebook, capsys):
    _edit_markdown(one_notebook, 0, lambda text: text + "\n\nNew.")
    catalog = translations.catalog_path(one_notebook, "zh_CN")
    before = catalog.read_bytes()
    assert translations.main(["--check", "--folder", str(one_notebook.parent)]) == 1
    assert catalog.read_bytes() == before and "not in step with the English" in capsys.readouterr().err
    assert translations.main(["--folder", str(one_notebook.parent)]) == 0
    assert "stale (fuzzy)" in capsys.readouterr().err
    assert translations.rendering_path(one_notebook, "zh_CN").exists()


def test_a_line_break_between_two_chinese_characters_is_removed_but_headings_lists_and_code_keep_theirs():
    text = "## 标题\n第一行\n第二行，`x`\n\n- 列表项\n续行\n- 第二项\n```\n代码\n代码\n```\nEnglish\n中文"
    assert translations.joined_cjk_lines(text) == (
        "## 标题\n第一行第二行，`x`\n\n- 列表项续行\n- 第二项\n```\n代码\n代码\n```\nEnglish\n中文")
