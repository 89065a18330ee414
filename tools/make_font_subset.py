"""Writes the bundled CJK font: Noto Sans CJK SC cut down to the characters of the suite's own translations.

matplotlib draws Chinese figure words only with a font that has their glyphs. A student's machine often has
one (``deepdream.i18n`` prefers Microsoft YaHei, PingFang SC, Noto Sans CJK SC, WenQuanYi...); for a machine
with none, the package carries this subset: every character of ``deepdream/locale/*/LC_MESSAGES/*.po``'s
translations and of the notebooks' code texts (``notebooks/locale/*/*.po``: their figure titles), ASCII and the
CJK punctuation, renamed so that it never stands in for a full system font of the same name. Its licence (SIL
Open Font License 1.1) goes beside it. Run it after a catalog gains characters; tests/test_i18n.py fails while a
translated string has a character the subset lacks.

Source: Debian's ``fonts-noto-cjk`` (``sudo apt-get install fonts-noto-cjk``), Noto Sans CJK SC Regular.

Usage:
  python tools/make_font_subset.py [--source /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from babel.messages.pofile import read_po
from fontTools import subset
from fontTools.ttLib import TTCollection

from deepdream import i18n

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LICENCE_SOURCE = Path("/usr/share/doc/fonts-noto-cjk/copyright")
SC_NAME = "Noto Sans CJK SC"
NOTEBOOK_CATALOGS = Path(__file__).resolve().parents[1] / "notebooks" / "locale"


def suite_characters() -> str:
    """Every character of the suite's translations, plus ASCII and the CJK punctuation."""
    found = set(chr(code) for code in range(0x20, 0x7F)) | set("，。：；？！（）、“”‘’《》【】…—·")
    for po in sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with open(po, "rb") as file:
            for message in read_po(file):
                if message.id and message.string:
                    found |= set(message.string)
    for po in sorted(NOTEBOOK_CATALOGS.glob("*/[0-9]*.po")):  # the code cells' texts: a figure title may say them
        with open(po, "rb") as file:
            for message in read_po(file):
                if message.id and message.string and message.context.endswith(":code"):
                    found |= set(message.string)
    return "".join(sorted(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args()
    collection = TTCollection(str(args.source))
    font = next(font for font in collection.fonts if font["name"].getDebugName(1) == SC_NAME)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=suite_characters())
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 16):
            names.setName(i18n.FONT_FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName(re.sub(r"\W", "", i18n.FONT_FAMILY), 6, record.platformID, record.platEncID, record.langID)
    i18n.FONT_FILE.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(i18n.FONT_FILE))
    notice = (f"{i18n.FONT_FILE.name}: a subset of {SC_NAME} Regular ({len(suite_characters())} characters), "
              f"renamed {i18n.FONT_FAMILY!r}, made by tools/make_font_subset.py.\n"
              f"The font's own copyright notice: {font['name'].getDebugName(0)}\n"
              "Licence: SIL Open Font License 1.1 (its full text is below, from Debian's fonts-noto-cjk).\n\n")
    licence = LICENCE_SOURCE.read_text(encoding="utf-8") if LICENCE_SOURCE.exists() else ""
    (i18n.FONT_FILE.parent / "NOTICE-fonts-noto-cjk.txt").write_text(notice + licence, encoding="utf-8")
    print(f"wrote {i18n.FONT_FILE} ({i18n.FONT_FILE.stat().st_size // 1024} KB, {len(suite_characters())} characters)")


if __name__ == "__main__":
    main()
