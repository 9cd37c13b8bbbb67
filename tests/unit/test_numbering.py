from datetime import date

import pytest

from webapp.domain.numbering import NumberFormatError, parse_format


@pytest.mark.parametrize("pattern,seq,on,expected", [
    ("INV-{YYYY}-{SEQ:4}", 1, date(2026, 3, 5), "INV-2026-0001"),
    ("{YY}{MM}/{SEQ:3}", 42, date(2027, 11, 1), "2711/042"),
    ("R{SEQ:2}", 12345, date(2026, 1, 1), "R12345"),  # never cut
    ("A {YYYY}.{SEQ:1}", 7, date(2026, 1, 1), "A 2026.7"),
])
def test_render(pattern, seq, on, expected):
    assert parse_format(pattern).render(seq, on) == expected


@pytest.mark.parametrize("pattern,reset,message", [
    ("", False, "Enter a number format"),
    ("INV-{YYYY}", False, "exactly one running number"),
    ("INV-{SEQ:4}-{SEQ:2}", False, "exactly one running number"),
    ("INV-{DD}-{SEQ:4}", False, "Unknown token {DD}"),
    ("INV-{SEQ:0}", False, "Unknown token {SEQ:0}"),
    ("INV-{SEQ:10}", False, "Unknown token {SEQ:10}"),
    ("INV-{{SEQ:4}}", False, "Unbalanced brace"),
    ("INV-{SEQ:4", False, "Unbalanced brace"),
    ("<b>{SEQ:4}", False, "letters, digits"),
    ("INV-{MM}-{SEQ:4}", True, "must contain {YYYY} or {YY}"),
    ("X" * 61 + "{SEQ:4}", False, "at most 60"),
])
def test_bad_formats(pattern, reset, message):
    with pytest.raises(NumberFormatError, match=message.replace("{", r"\{").replace("}", r"\}")):
        parse_format(pattern, reset)
