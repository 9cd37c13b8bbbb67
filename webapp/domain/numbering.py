"""Document number formats such as ``INV-{YYYY}-{SEQ:4}``.

Tokens: ``{YYYY}`` four-digit year, ``{YY}`` two-digit year, ``{MM}`` month,
``{SEQ:n}`` the running number padded to n digits (1-9; longer numbers are not
cut). Exactly one ``{SEQ:n}`` is required. A series that resets every year must
show the year, or numbers would repeat.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from webapp.domain.errors import Text

TOKEN_RE = re.compile(r"\{([^{}]*)\}")
SEQ_RE = re.compile(r"SEQ:([1-9])")
SIMPLE_TOKENS = {"YYYY", "YY", "MM"}
LITERAL_RE = re.compile(r"^[A-Za-z0-9\-_/.# ]*$")
MAX_LENGTH = 60
# the tokens as messages name them (values of the messages: never translated)
TOKEN_NAMES = {"year": "{YYYY}", "short_year": "{YY}", "month": "{MM}", "seq": "{SEQ:n}"}


class NumberFormatError(ValueError):
    """The format string is not a valid document number format. ``text`` is the message (a ``Text``): ``str()``
    gives it in the reader's language. Tokens go in as values, so a template's braces are placeholders only."""

    def __init__(self, text: Text):
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class NumberFormat:
    pattern: str

    def render(self, seq: int, on: date) -> str:
        def replace(match: re.Match) -> str:
            token = match.group(1)
            if token == "YYYY":
                return f"{on.year:04d}"
            if token == "YY":
                return f"{on.year % 100:02d}"
            if token == "MM":
                return f"{on.month:02d}"
            width = int(SEQ_RE.fullmatch(token).group(1))
            return f"{seq:0{width}d}"

        return TOKEN_RE.sub(replace, self.pattern)

    @property
    def shows_year(self) -> bool:
        return "{YYYY}" in self.pattern or "{YY}" in self.pattern


def parse_format(pattern: str, reset_yearly: bool = False) -> NumberFormat:
    """Check ``pattern`` and return it as a NumberFormat, or raise NumberFormatError."""
    pattern = (pattern or "").strip()
    if not pattern:
        raise NumberFormatError(Text("Enter a number format, e.g. {example}.", example="INV-{YYYY}-{SEQ:4}"))
    if len(pattern) > MAX_LENGTH:
        raise NumberFormatError(Text("A number format has at most {max} characters.", max=MAX_LENGTH))
    seq_count = 0
    for match in TOKEN_RE.finditer(pattern):
        token = match.group(1)
        if token in SIMPLE_TOKENS:
            continue
        if SEQ_RE.fullmatch(token):
            seq_count += 1
            continue
        raise NumberFormatError(Text("Unknown token {token}. Use {year}, {short_year}, {month} and {seq} with n from 1 to 9.",
                                     token=f"{{{token}}}", **TOKEN_NAMES))
    literal = TOKEN_RE.sub("", pattern)
    if "{" in literal or "}" in literal:
        raise NumberFormatError(Text("Unbalanced brace: tokens look like {year} or {seq}.", year="{YYYY}", seq="{SEQ:4}"))
    if not LITERAL_RE.match(literal):
        raise NumberFormatError(Text("Use only letters, digits, spaces and - _ / . # besides the tokens."))
    if seq_count != 1:
        raise NumberFormatError(Text("The format needs exactly one running number token {seq}, e.g. {example}.",
                                     seq="{SEQ:n}", example="{SEQ:4}"))
    fmt = NumberFormat(pattern)
    if reset_yearly and not fmt.shows_year:
        raise NumberFormatError(Text("A series that restarts every year must contain {year} or {short_year}, or numbers "
                                     "would repeat.", year="{YYYY}", short_year="{YY}"))
    return fmt
