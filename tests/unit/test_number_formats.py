"""How numbers are shown (``webapp/i18n.py``): lists and totals group the digits, inputs do not; prices keep their
decimals; the choice of the member's locale is one function."""
from decimal import Decimal
from types import SimpleNamespace

import pytest

from webapp.domain.numbers import parse_decimal
from webapp.i18n import format_number, format_price, locale_for


@pytest.mark.parametrize("value,locale,min_places,grouping,expected", [
    ("1299.5", "de_DE", 0, True, "1.299,5"), ("1299.5", "de_DE", 0, False, "1299,5"),
    ("89.9", "de_DE", 2, False, "89,90"), ("2.0000", "de_DE", 0, False, "2"), ("1.5000", "de_DE", 0, False, "1,5"),
    ("0.012500", "de_DE", 2, False, "0,0125"), ("-3.5", "de_DE", 2, False, "-3,50"),
    ("1299", "en", 2, False, "1299.00"), ("1299", "en", 2, True, "1,299.00"), ("5.5", "de_DE", 0, True, "5,5"),
    ("12345678901.123456", "de_DE", 2, False, "12345678901,123456"),  # no decimal dropped or rounded
])
def test_format_number(value, locale, min_places, grouping, expected):
    assert format_number(Decimal(value), locale, min_places, grouping=grouping) == expected


@pytest.mark.parametrize("text,locale", [("89,90", "de_DE"), ("1299,5", "de_DE"), ("0,0125", "de_DE"),
                                         ("1299.00", "en"), ("1234567,891", "fr_FR")])
def test_what_an_input_shows_reads_back_as_the_same_number(text, locale):
    value = parse_decimal(text, 6, locale=locale)
    assert parse_decimal(format_number(value, locale, 2, grouping=False), 6, locale=locale) == value


@pytest.mark.parametrize("value,currency,locale,expected", [
    ("1299", "EUR", "de_DE", "1.299,00\xa0€"), ("0.0125", "EUR", "de_DE", "0,0125\xa0€"),
    ("1299.5", "EUR", "en", "€1,299.50"), ("1299", "JPY", "de_DE", "1.299\xa0¥"),
])
def test_format_price_keeps_every_decimal_and_at_least_the_currencys(value, currency, locale, expected):
    assert format_price(Decimal(value), currency, locale) == expected


def test_the_members_locale_is_the_organizations():
    assert locale_for(SimpleNamespace(locale="de_DE")) == "de_DE"
    assert locale_for(SimpleNamespace(locale="")) == "en" and locale_for(None) == "en"
