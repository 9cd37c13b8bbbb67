"""The message catalogs: every customer-facing text is translated, and the compiled .mo files are current."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "fr")


def extraction_keywords() -> dict:
    """Babel's default keywords and the Makefile's ``-k`` options of ``make translations`` (one list)."""
    from babel.messages.extract import DEFAULT_KEYWORDS
    from babel.messages.frontend import parse_keywords

    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "pybabel extract" in line)
    return {**DEFAULT_KEYWORDS, **parse_keywords(re.findall(r"-k (\S+)", line))}


def extracted_ids() -> set[str]:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = extraction_keywords()
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
    def key(m):  # a plural is extracted by its singular
        return m.id[0] if isinstance(m.id, (tuple, list)) else m.id

    def string(m):
        return tuple(m.string) if isinstance(m.string, (tuple, list)) else m.string

    def done(m):
        return all(m.string) if isinstance(m.string, (tuple, list)) else bool(m.string)

    translated = {key(m): string(m) for m in po if m.id and done(m) and not m.fuzzy}
    missing = extracted_ids() - translated.keys()
    assert not missing, f"untranslated in {language} (run make translations and translate): {sorted(missing)}"
    compiled = {key(m): string(m) for m in mo if m.id}
    assert compiled == translated, "the .mo file is out of date: run make translations"


def test_placeholders_survive_translation():
    import re

    for language in LANGUAGES:
        with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
            for m in read_po(fh, locale=language):
                if not m.id:
                    continue
                pattern = r"%\(\w+\)[sd]|\{\w+\}"
                ids = m.id if isinstance(m.id, tuple) else (m.id,)
                strings = m.string if isinstance(m.string, tuple) else (m.string,)
                wanted = sorted(set(re.findall(pattern, ids[-1])))  # a plural's forms all carry the plural's
                for string in strings:
                    assert sorted(set(re.findall(pattern, string))) == wanted or (
                        len(ids) > 1 and set(re.findall(pattern, string)) <= set(wanted)), (language, m.id, string)


# --- nothing a member reads is left out of the catalogs ----------------------------------------------------------

TEMPLATES = ROOT / "templates"
# words that read the same in every language the app speaks
UNTRANSLATED_WORDS = {"Tallybook", "IBAN", "BIC", "PDF", "CSV", "EUR", "SEPA", "QR", "OK", "URL", "SMTP", "ID", "API",
                      "HTML", "XML", "PNG", "JPEG", "GiroCode", "EPC", "Factur", "ZUGFeRD", "XRechnung", "UTC", "CC",
                      "BCC", "E", "Leitweg", "VAT", "hx"}
# attributes whose value a member reads (or hears)
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "hx-confirm", "data-confirm", "label", "aria-description",
                   "data-label", "data-empty", "data-saving", "data-saved", "data-error"}
EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
PROSE_WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")


def _reads_as_text(text: str) -> bool:
    words = [w for w in PROSE_WORD.findall(text) if w not in UNTRANSLATED_WORDS]
    return bool(words)


NOT_READ_TAGS = ("script", "style", "code", "kbd", "samp")  # code, names of settings and tokens stay as they are


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in NOT_READ_TAGS:
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and _reads_as_text(value.replace("\x00", " ")):
                self.found.append(f'{name}="{value.replace(chr(0), "…")}"')
            if name == "value" and tag in ("input", "button") and dict(attrs).get("type") in ("submit", "button") \
                    and value and _reads_as_text(value.replace("\x00", " ")):
                self.found.append(f'value="{value}"')

    def handle_endtag(self, tag):
        if tag in NOT_READ_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _reads_as_text(data.replace("\x00", " ")):
            self.found.append(" ".join(data.replace("\x00", "…").split()))


# calls whose string arguments are not read as text (names, URLs, formats), or are the translation itself
NOT_TEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "lazy_gettext", "url_for", "static_url", "format",
                  "strftime", "dict", "attr", "icon", "startswith", "endswith", "split", "replace"}
LOOKS_LIKE_TEXT = re.compile(r"[A-Z][a-z]|[a-z][.?!:…]$|[a-z] [a-z]")
NOT_TEXT = re.compile(r"[a-z0-9_\-]+( [a-z0-9_\-]+)*|.*[%{}/=#<>\\].*|https?:.*")


def _constants(node, out: list[str], ignored: bool = False) -> None:
    from jinja2 import nodes

    if isinstance(node, nodes.Const) and isinstance(node.value, str) and not ignored:
        value = node.value.strip()
        if LOOKS_LIKE_TEXT.search(value) and not NOT_TEXT.fullmatch(value) and _reads_as_text(value):
            out.append(repr(node.value))
        return
    if isinstance(node, nodes.Call):
        name = node.node.name if isinstance(node.node, nodes.Name) else (
            node.node.attr if isinstance(node.node, nodes.Getattr) else "")
        ignored = ignored or name in NOT_TEXT_CALLS
    if isinstance(node, (nodes.Compare, nodes.Getitem, nodes.Getattr, nodes.Test, nodes.Include, nodes.Import,
                         nodes.FromImport, nodes.Extends, nodes.Pair)):
        if isinstance(node, nodes.Pair):  # a dict's key is a name, its value may be text
            _constants(node.value, out, ignored)
            return
        ignored = True
    if isinstance(node, nodes.Filter) and node.name in ("join", "replace", "format", "default_if_none", "truncate"):
        _constants(node.node, out, ignored)
        return
    for child in node.iter_child_nodes():
        _constants(child, out, ignored)


def untranslated_in(path: Path) -> list[str]:
    """Text in a template a reader sees that is not wrapped in _() / gettext: HTML text, read attributes and string
    constants that read as prose (a heuristic: capitalized words, sentences)."""
    from jinja2 import Environment

    source = path.read_text()
    finder = _TextFinder()
    finder.feed(EXPRESSION.sub("\x00", source))
    finder.close()
    env = Environment(extensions=["jinja2.ext.i18n"])
    constants: list[str] = []
    _constants(env.parse(source), constants)
    return finder.found + constants


def test_every_text_of_every_template_is_marked_for_translation():
    found = {str(p.relative_to(TEMPLATES)): untranslated_in(p) for p in sorted(TEMPLATES.rglob("*.html"))}
    found = {name: texts for name, texts in found.items() if texts}
    assert not found, "wrap these in _() and run make translations:\n" + "\n".join(
        f"{name}: {texts}" for name, texts in found.items())


# --- messages written in Python ---------------------------------------------------------------------------------

# the argument holding the message: ActionError(code, message), Text(message), flash(message) ...
MESSAGE_ARGUMENT = {"ActionError": 1, "Text": 0, "TransitionError": 0, "Forbidden": 0, "ValidationError": 0,
                    "flash": 0, "ClickException": None}
TRANSLATING_CALLS = {"_", "gettext", "ngettext", "lazy_gettext", "_l", "Text"}
EXTRACTED_BY_KEYWORD = {"ActionError", "Text", "TransitionError", "Forbidden"}  # literal strings are extracted


def _name(func) -> str:
    import ast

    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def untranslated_python(path: Path) -> list[str]:
    """Messages a member reads that are built in a way the catalogs cannot hold: f-strings, concatenations and
    % formatting of a message (write a template with {name} placeholders), plain strings flashed or raised as a
    form error, form labels, validator messages and choices not wrapped in lazy_gettext."""
    import ast

    tree = ast.parse(path.read_text())
    found = []
    has_forms = any(isinstance(n, ast.ClassDef) and any(_name(b).endswith("Form") for b in n.bases)
                    for n in ast.walk(tree))

    def bad(node, what):
        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        index = MESSAGE_ARGUMENT.get(name)
        if index is not None and len(node.args) > index:
            arg = node.args[index]
            if isinstance(arg, (ast.JoinedStr, ast.BinOp)):
                bad(arg, f"{name}() with a built message: use a template with {{name}} placeholders")
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str) and name not in EXTRACTED_BY_KEYWORD:
                bad(arg, f"{name}() with a plain string: wrap it in _()")
            elif isinstance(arg, ast.Call) and _name(arg.func) in TRANSLATING_CALLS and arg.args and isinstance(
                    arg.args[0], (ast.JoinedStr, ast.BinOp)):
                bad(arg, "a translated f-string: use placeholders")
        if not has_forms:
            continue
        if name.endswith("Field") and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            bad(node, f"{name}({node.args[0].value!r}): wrap the label in lazy_gettext")
        for keyword in node.keywords:
            value = keyword.value
            if keyword.arg in ("label", "message", "description", "render_kw_placeholder") and isinstance(
                    value, ast.Constant) and isinstance(value.value, str) and value.value:
                bad(value, f"{keyword.arg}={value.value!r}: wrap it in lazy_gettext")
            if keyword.arg == "choices" and isinstance(value, (ast.List, ast.Tuple)):
                for item in value.elts:
                    if isinstance(item, ast.Tuple) and len(item.elts) == 2 and isinstance(item.elts[1], ast.Constant) \
                            and isinstance(item.elts[1].value, str) and PROSE_WORD.search(item.elts[1].value):
                        bad(item, f"choice {item.elts[1].value!r}: wrap it in lazy_gettext")
    return found


def test_every_message_written_in_python_can_be_translated():
    found = [f for path in sorted((ROOT / "webapp").rglob("*.py")) for f in untranslated_python(path)]
    assert not found, "\n".join(found)
