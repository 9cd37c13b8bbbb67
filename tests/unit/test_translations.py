"""The message catalogs: every customer-facing text is translated, and the compiled .mo files are current."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "fr")


def extracted_ids() -> set[str]:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_n": None, "lazy_gettext": None}
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        ids.add(message if isinstance(message, str) else message[0])
    return {i for i in ids if i}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated_and_the_compiled_catalog_is_current(language):
    directory = ROOT / "translations" / language / "LC_MESSAGES"
    with open(directory / "messages.po", "rb") as fh:
        po = read_po(fh, locale=language)
    with open(directory / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    missing = extracted_ids() - translated.keys()
    assert not missing, f"untranslated in {language} (run make translations and translate): {sorted(missing)}"
    compiled = {m.id: m.string for m in mo if m.id}
    assert compiled == translated, "the .mo file is out of date: run make translations"


def test_placeholders_survive_translation():
    import re

    for language in LANGUAGES:
        with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
            for m in read_po(fh, locale=language):
                if m.id:
                    pattern = r"%\(\w+\)s|\{\w+\}"
                    assert sorted(re.findall(pattern, m.id)) == sorted(re.findall(pattern, m.string)), (language, m.id)
