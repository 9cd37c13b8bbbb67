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
