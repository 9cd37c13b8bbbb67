import pytest

from webapp.domain import identifiers as ids


@pytest.mark.parametrize("value,country,expected", [
    ("DE 136 695 976", "FR", "DE136695976"),   # the prefix decides
    ("136695976", "DE", "DE136695976"),        # no prefix: the country decides
    ("094014201", "GR", "EL094014201"),
    ("GB980780684", "GB", "GB980780684"),
    ("", "DE", ""),
])
def test_valid_vat_ids(value, country, expected):
    assert ids.normalize_vat_id(value, country) == expected


@pytest.mark.parametrize("value,country,message", [
    ("DE136695977", "DE", "not a valid VAT ID for DE"),
    ("XX123456", "DE", "XX is not a country"),
    ("12345", "US", "no VAT IDs to check for US"),
    ("<script>", "DE", "letters and digits only"),
    ("12345", "", "with its country prefix"),
])
def test_invalid_vat_ids(value, country, message):
    with pytest.raises(ValueError, match=message):
        ids.normalize_vat_id(value, country)


def test_iban_bic_country_currency_locale():
    assert ids.normalize_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert ids.format_iban("DE89370400440532013000") == "DE89 3704 0044 0532 0130 00"
    assert ids.normalize_bic("cobadeffxxx") == "COBADEFFXXX"
    assert ids.normalize_country("fr") == "FR"
    assert ids.normalize_currency("jpy") == "JPY"
    assert ids.normalize_locale("de_AT") == "de_AT"
    for fn, bad in [(ids.normalize_iban, "DE89370400440532013001"), (ids.normalize_bic, "XYZ"),
                    (ids.normalize_country, "ZZ"), (ids.normalize_currency, "ABC"), (ids.normalize_locale, "tlh")]:
        with pytest.raises(ValueError):
            fn(bad)
