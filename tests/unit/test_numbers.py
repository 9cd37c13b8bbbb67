import re
from decimal import Decimal

import pytest

from webapp.domain.numbers import parse_decimal


@pytest.mark.parametrize("text,expected", [("12.5", "12.5"), ("12,50", "12.50"), (" -3 ", "-3"), ("0.0001", "0.0001"),
                                           (".5", "0.5"), ("1 000", "1000")])
def test_parses_exactly(text, expected):
    value = parse_decimal(text)
    assert value == Decimal(expected) and isinstance(value, Decimal)


@pytest.mark.parametrize("text,message", [("", "Enter a number"), ("1.00001", "at most 4 decimal"),
                                          ("12a", "not a number"), ("1,000.50", "either a point or a comma"),
                                          ("1e5", "not a number"), ("NaN", "not a number"), ("Infinity", "not a number"),
                                          ("9999999999999", "too large")])
def test_refuses(text, message):
    with pytest.raises(ValueError, match=message):
        parse_decimal(text)


def test_negative_can_be_refused():
    with pytest.raises(ValueError, match="not negative"):
        parse_decimal("-1", allow_negative=False)


# --- in the member's locale (Babel's strict parsing), the plain form accepted too ------------------------------

@pytest.mark.parametrize("locale,text,expected", [
    ("de_DE", "1.299,00", "1299.00"), ("de_DE", "1299,00", "1299.00"), ("de_DE", "1299.00", "1299.00"),
    ("de_DE", "89,90", "89.90"), ("de_DE", "-1.299,50", "-1299.50"), ("de_DE", "1.299.000", "1299000"),
    ("de_DE", "12.5", "12.5"), ("de_DE", "1.2995", "1.2995"), ("de_DE", "0,5", "0.5"), ("de_DE", "1,299", "1.299"),
    ("de_AT", "1.299,00", "1299.00"),
    ("en", "1,299.00", "1299.00"), ("en", "1299.00", "1299.00"), ("en", "1299,00", "1299.00"), ("en", "1.299", "1.299"),
    ("en_US", "12,345,678.9", "12345678.9"),
    ("fr_FR", "1\u202f299,00", "1299.00"), ("fr_FR", "1 299,00", "1299.00"), ("fr_FR", "1\u00a0299,5", "1299.5"),
    ("de_CH", "1\u2019299.50", "1299.50"),
    ("xx_YY", "12,5", "12.5"),  # an unknown locale reads the plain form only
])
def test_parses_in_the_locale_and_in_the_plain_form(locale, text, expected):
    value = parse_decimal(text, 4, locale=locale)
    assert value == Decimal(expected) and isinstance(value, Decimal)
    assert value.as_tuple() == Decimal(expected).as_tuple()  # exact: the decimals as typed, no float on the way


@pytest.mark.parametrize("locale,text,message", [
    # the decision: a number both forms read, as different numbers, is refused, never guessed (a factor of 1000)
    ("de_DE", "1.299", "1.299 can be read two ways: write 1299 or 1,299."),
    ("de_DE", "10.000", "10.000 can be read two ways: write 10000 or 10."),
    ("en", "1,299", "1,299 can be read two ways: write 1299 or 1.299."),
    ("de_DE", "1,2,3", "1,2,3 is not a number."),
    ("en", "1,2,3", "1,2,3 is not a number."),
    ("de_DE", "1,299.00", "Write the number as 1.299,00 or 1299.00."),
    ("en", "1.299,00", "Write the number as 1,299.00 or 1299.00."),
    ("de_DE", "1e5", "not a number"), ("de_DE", "NaN", "not a number"), ("de_DE", "Infinity", "not a number"),
    ("de_DE", "1_000", "not a number"), ("en", "1E+3", "not a number"),
    ("de_DE", "1,00001", "at most 4 decimal"), ("de_DE", "1.000.000.000.000,00", "too large"),
    ("de_DE", "", "Enter a number"),
])
def test_refuses_in_the_locale(locale, text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_decimal(text, 4, locale=locale)


def test_negative_is_refused_in_the_locale_too():
    with pytest.raises(ValueError, match="not negative"):
        parse_decimal("-1.299,00", allow_negative=False, locale="de_DE")
