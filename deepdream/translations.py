"""The notebooks in the class's language: one English source, a gettext catalog per notebook, one rendering.

Each notebook's markdown cells are the entries of its catalog (``notebooks/locale/<language>/<notebook>.po``,
read and written with Babel), one per cell, with ``<notebook>:<cell id>`` as the context. ``update`` brings a
catalog in step with its notebook: a new cell gets an empty entry, a changed cell keeps its old translation
marked fuzzy (with the English it translated as the previous text), and the entry of a removed cell goes.
``render`` makes the translated notebook (``notebooks/<language>/<notebook>.ipynb``): every cell in the same
place with the same id, type and metadata (nbgrader's too, so the same hidden tests grade it); a markdown cell
in its translation; a code cell the same code, its language literal (``dd.set_language("en")``) the
rendering's own, and the texts a student reads in it translated: each comment and each string literal with
words in it (``code_texts``) is an entry of its own, with ``<notebook>:<cell id>:code`` as the context. A text
that is code in disguise (a dictionary key, a file name) is "translated" as itself. ``problems`` lists what
keeps a rendering from being used: untranslated and fuzzy entries, translations that lost a code span, a link,
an image or a formula of the English, and code cells whose code, once comments and string literals are set
aside, is not the English code (``code_skeleton``).

    python -m deepdream.translations            # update every catalog, render every notebook (make translations)
    python -m deepdream.translations --check    # say what is missing or stale, change nothing
"""

from __future__ import annotations

import argparse
import ast
import copy
import datetime
import io
import re
import sys
import tokenize
from collections import Counter
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from deepdream.paths import REPO_ROOT

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"  # the English notebooks, in a checkout

LANGUAGES = ("zh_CN",)  # the renderings made; English is the source
SOURCE_LANGUAGE = "en"
FIRST_WRITTEN = datetime.datetime(2026, 12, 4, tzinfo=datetime.timezone.utc)  # the catalogs' dates: fixed, so
# that updating an unchanged catalog changes no byte
LANGUAGE_CALL = re.compile(r'dd\.set_language\("([A-Za-z_]+)"\)')  # the one code difference of a rendering
KEPT = {  # what a translation keeps exactly as the English has it
    "code spans": re.compile(r"`[^`\n]+`"),
    "links and images": re.compile(r"\]\(([^)\s]+)"),
    "formulas": re.compile(r"\$[^$\n]+\$"),
    "HTML tags": re.compile(r"<[a-zA-Z/][^>\n]*>"),
}


def catalog_path(notebook: Path, language: str) -> Path:
    """Where a notebook's catalog for ``language`` lives."""
    return Path(notebook).parent / "locale" / language / f"{Path(notebook).stem}.po"


def rendering_path(notebook: Path, language: str) -> Path:
    """Where a notebook's rendering in ``language`` lives."""
    return Path(notebook).parent / language / Path(notebook).name


def _context(notebook: Path, cell) -> str:
    return f"{Path(notebook).stem}:{cell.id}" + (":code" if cell.cell_type == "code" else "")


WORDS = re.compile(r"[^\W\d_]{2}")  # two letters in a row: a text with words in it
NBGRADER_MARK = re.compile(r"#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)")  # nbgrader's region markers: never translated
FIELD = re.compile(r"\{[^{}]*\}")  # an f-string's replacement field, kept exactly by a translation


def code_texts(source: str) -> list[tuple[int, int, str]]:
    """The texts a student reads in a code cell, in order: ``(start, end, text)`` with character offsets, for
    each comment (``# ...``, not nbgrader's region markers) and each string literal with words and a space in
    it, quotes and prefix included (``f"Same noise, {STEPS} steps"``). A cell that is not plain Python (an
    IPython magic) gives its comments only."""
    lines = io.StringIO(source, newline="").readlines()  # split as tokenize and ast split: \n, \r\n, \r only
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(row: int, column: int, in_bytes: bool) -> int:
        line = lines[row - 1] if row - 1 < len(lines) else ""
        return starts[row - 1] + (len(line.encode()[:column].decode(errors="ignore")) if in_bytes else column)

    texts = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if (token.type == tokenize.COMMENT and WORDS.search(token.string)
                    and not NBGRADER_MARK.match(token.string)):
                texts.append((offset(*token.start, False), offset(*token.end, False), token.string))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return texts
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip |= {id(child) for child in ast.walk(node) if child is not node}
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, (ast.Constant, ast.JoinedStr)):
            continue
        words = node.value if isinstance(node, ast.Constant) else "".join(
            part.value for part in node.values if isinstance(part, ast.Constant))
        if isinstance(words, str) and WORDS.search(words) and (" " in words or "\n" in words):
            start = offset(node.lineno, node.col_offset, True)
            end = offset(node.end_lineno, node.end_col_offset, True)
            texts.append((start, end, source[start:end]))
    strings = [(start, end) for start, end, text in texts if not text.startswith("#")]
    return sorted(text for text in texts if not (text[2].startswith("#") and any(  # a comment inside a string's
        start < text[0] < end for start, end in strings)))  # span (between concatenated parts) goes with it


class _Skeleton(ast.NodeTransformer):
    def visit_Constant(self, node):
        return ast.Constant("") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node):  # the fields only, in any order: a translation may move them
        fields = [self.visit(part) for part in node.values if isinstance(part, ast.FormattedValue)]
        return ast.Tuple(sorted(fields, key=ast.dump), ast.Load())


def code_skeleton(source: str) -> str:
    """A code cell's code with its comments and string literals set aside (an f-string's fields kept, in any
    order): equal for a cell and its translation. IPython's magics count as the calls they stand for."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError as error:
        return f"<not Python: {error.msg}, line {error.lineno}>"
    return ast.dump(_Skeleton().visit(tree))


def translated_code(source: str, context: str, translated: dict[tuple[str, str], str]) -> str:
    """``source`` with each of its texts (``code_texts``) replaced by its translation, where there is one."""
    for start, end, text in reversed(code_texts(source)):
        if (context, text) in translated:
            source = source[:start] + translated[context, text] + source[end:]
    return source


def read_catalog(path: Path, language: str) -> Catalog:
    """The catalog at ``path``, or an empty one for ``language`` if there is none yet."""
    if not Path(path).exists():
        return Catalog(locale=language, project="deepdream-suite notebooks", fuzzy=False,
                       creation_date=FIRST_WRITTEN, revision_date=FIRST_WRITTEN)
    with open(path, "rb") as file:
        return read_po(file, locale=language)


def update(notebook: Path, language: str) -> Catalog:
    """Brings ``notebook``'s catalog for ``language`` in step with its markdown cells, and writes it.

    Returns:
        The catalog as written.
    """
    notebook = Path(notebook)
    old = read_catalog(catalog_path(notebook, language), language)
    new = Catalog(locale=language, project="deepdream-suite notebooks", version="1", fuzzy=False,
                  creation_date=old.creation_date, revision_date=old.revision_date,
                  last_translator="the course's translators", language_team=f"{language} <none>",
                  header_comment=f"# {notebook.name} in {language}: one entry per markdown cell, one per text of a "
                                 "code cell (python -m deepdream.translations).")
    for cell in nbformat.read(notebook, as_version=4).cells:
        context = _context(notebook, cell)
        if cell.cell_type == "code":
            _update_code_entries(new, old, context, cell.source)
            continue
        if cell.cell_type != "markdown":
            continue
        before = next((message for message in old if message.id and message.context == context), None)
        if before is None:
            new.add(cell.source, "", context=context)
        elif before.id == cell.source:
            new.add(cell.source, before.string, context=context, flags=before.flags,
                    previous_id=before.previous_id, auto_comments=before.auto_comments)
        else:  # the English changed: its old translation is kept to start from, marked stale
            flags = set(before.flags) | ({"fuzzy"} if before.string else set())
            new.add(cell.source, before.string, context=context, flags=flags,
                    previous_id=[before.id] if before.string else [])
    path = catalog_path(notebook, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        write_po(file, new, width=0, include_previous=True, omit_header=False)
    return new


def _update_code_entries(new: Catalog, old: Catalog, context: str, source: str) -> None:
    """A code cell's entries, one per text: a text that changed keeps the translation of the text that was in
    its place, marked stale; a new one gets an empty entry."""
    before = [message for message in old if message.id and message.context == context]
    texts = list(dict.fromkeys(text for _, _, text in code_texts(source)))
    for index, text in enumerate(texts):
        same = next((message for message in before if message.id == text), None)
        if same is not None:
            new.add(text, same.string, context=context, flags=same.flags, previous_id=same.previous_id)
        elif index < len(before) and before[index].string and before[index].id not in texts:
            new.add(text, before[index].string, context=context, flags={"fuzzy"}, previous_id=[before[index].id])
        else:
            new.add(text, "", context=context)


def render(notebook: Path, language: str, catalog: Catalog | None = None) -> nbformat.NotebookNode:
    """``notebook`` in ``language``: markdown from its catalog (the English where an entry is missing or stale),
    code the same but for the language it sets."""
    notebook = Path(notebook)
    catalog = catalog if catalog is not None else read_catalog(catalog_path(notebook, language), language)
    usable = [message for message in catalog if message.id and message.string and not message.fuzzy]
    translated = {message.context: message.string for message in usable if not message.context.endswith(":code")}
    code = {(message.context, message.id): message.string for message in usable if message.context.endswith(":code")}
    rendering = copy.deepcopy(nbformat.read(notebook, as_version=4))
    for cell in rendering.cells:
        context = _context(notebook, cell)
        if cell.cell_type == "markdown":
            cell.source = joined_cjk_lines(translated[context]) if context in translated else cell.source
        elif cell.cell_type == "code":
            source = translated_code(cell.source, context, code)
            cell.source = LANGUAGE_CALL.sub(f'dd.set_language("{language}")', source)
            cell.outputs, cell.execution_count = [], None
    rendering.metadata["language"] = language
    return rendering


def write_rendering(notebook: Path, language: str, catalog: Catalog | None = None) -> Path:
    """Writes ``notebook``'s rendering in ``language`` if its sources changed, keeping each unchanged code
    cell's outputs (``make dreams`` makes new ones); returns its path."""
    target = rendering_path(notebook, language)
    rendering = render(notebook, language, catalog)
    if target.exists():
        saved = nbformat.read(target, as_version=4)
        if _sources(saved) == _sources(rendering):
            return target
        _keep_outputs(rendering, saved)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(rendering, target)
    return target


CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"  # CJK punctuation, ideographs, full-width forms
SOFT_BREAK = re.compile(rf"(?<=[{CJK}])\n(?=[{CJK}])")
BLOCK_LINE = re.compile(r"^\s*(#|\||>|[-*+] |\d+\. |```)")


def joined_cjk_lines(text: str) -> str:
    """Markdown whose line breaks between two Chinese characters inside a paragraph are removed: Markdown shows
    such a break as a space, which Chinese text does not have. Headings, tables, lists and code keep theirs."""
    lines, fenced = text.split("\n"), False
    joined: list[str] = []
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        previous = joined[-1] if joined else ""
        if (joined and not fenced and SOFT_BREAK.search(previous[-1:] + "\n" + line[:1])
                and not BLOCK_LINE.match(line) and not previous.lstrip().startswith(("#", "|"))):
            joined[-1] = previous + line
        else:
            joined.append(line)
    return "\n".join(joined)


def kept_parts(text: str) -> dict[str, Counter]:
    """The code spans, link targets, formulas and HTML tags of a markdown text, counted."""
    return {name: Counter(pattern.findall(text)) for name, pattern in KEPT.items()}


def problems(notebook: Path, language: str) -> list[str]:
    """What is missing or stale in ``notebook``'s catalog for ``language`` (empty when its rendering is whole)."""
    notebook = Path(notebook)
    path = catalog_path(notebook, language)
    if not path.exists():
        return [f"{path}: no catalog; run `make translations`"]
    catalog = read_catalog(path, language)
    english = nbformat.read(notebook, as_version=4)
    cells = {_context(notebook, cell): cell.source for cell in english.cells if cell.cell_type == "markdown"}
    found = _code_problems(notebook, path, catalog, english, language)
    entries = {message.context: message for message in catalog if message.id and not message.context.endswith(":code")}
    for context in entries.keys() - cells.keys():
        found.append(f"{path}: {context}: no such markdown cell in {notebook.name} (an orphan entry)")
    for context, source in cells.items():
        message = entries.get(context)
        unusable = _unusable(message if message is not None and message.id == source else None,
                             "not in step with the English; run `make translations`")
        if unusable:
            found.append(f"{path}: {context}: {unusable}")
        else:
            english, translation = kept_parts(source), kept_parts(message.string)
            for name in KEPT:
                if english[name] != translation[name]:
                    lost = sorted((english[name] - translation[name]) + (translation[name] - english[name]))
                    found.append(f"{path}: {context}: the {name} differ from the English: {lost}")
    return found


def _unusable(message, missing: str) -> str | None:
    """Why an entry cannot be used (``missing`` when there is none for the English as it is), or None."""
    if message is None:
        return missing
    if not message.string:
        return "not translated"
    return "stale (fuzzy): the English changed, translate it again" if message.fuzzy else None


def _code_problems(notebook: Path, path: Path, catalog: Catalog, english: nbformat.NotebookNode,
                   language: str) -> list[str]:
    """``problems`` for the code cells: each text's entry, and each translated cell's code."""
    wanted = {(_context(notebook, cell), text) for cell in english.cells if cell.cell_type == "code"
              for _, _, text in code_texts(cell.source)}
    entries = {(message.context, message.id): message for message in catalog
               if message.id and message.context.endswith(":code")}
    found = [f"{path}: {context}: {text[:50]!r}: no such text in its code cell (an orphan entry)"
             for context, text in sorted(entries.keys() - wanted)]
    for context, text in sorted(wanted):
        message, where = entries.get((context, text)), f"{path}: {context}: {text[:50]!r}"
        unusable = _unusable(message, "not in the catalog; run `make translations`")
        if unusable:
            found.append(f"{where}: {unusable}")
        elif sorted(FIELD.findall(text)) != sorted(FIELD.findall(message.string)):
            found.append(f"{where}: the f-string fields differ from the English: {message.string!r}")
    rendering = render(notebook, language, catalog)
    for ours, theirs in zip(english.cells, rendering.cells):
        if ours.cell_type == "code" and code_skeleton(ours.source) != code_skeleton(theirs.source):
            found.append(f"{path}: {_context(notebook, ours)}: the translated cell is not the English code "
                         "(a translated text broke it: its quotes, prefix or fields)")
    return found


def english_notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The English source notebooks, in course order."""
    return sorted(Path(folder).glob("[0-9]*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deepdream.translations", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="say what is missing or stale, change nothing")
    parser.add_argument("--folder", type=Path, default=NOTEBOOKS_DIR, help="the English notebooks' folder")
    args = parser.parse_args(argv)
    found = []
    for language in LANGUAGES:
        for notebook in english_notebooks(args.folder):
            if not args.check:
                write_rendering(notebook, language, update(notebook, language))
            found += problems(notebook, language)
    for problem in found:
        print(problem, file=sys.stderr)
    print(f"{len(found)} entr{'y' if len(found) == 1 else 'ies'} to translate or fix" if found else
          "every translation is whole and in step")
    return 1 if found and args.check else 0


def _sources(notebook: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    return [(cell.id, cell.cell_type, cell.source) for cell in notebook.cells]


def _keep_outputs(rendering: nbformat.NotebookNode, saved: nbformat.NotebookNode) -> None:
    """Gives each unchanged code cell of a new rendering the outputs the saved rendering has for it."""
    before = {cell.id: cell for cell in saved.cells if cell.cell_type == "code"}
    for cell in rendering.cells:
        old = before.get(cell.id)
        if cell.cell_type == "code" and old is not None and old.source == cell.source:
            cell.outputs, cell.execution_count = old.outputs, old.execution_count


if __name__ == "__main__":
    sys.exit(main())
