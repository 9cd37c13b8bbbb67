from decimal import Decimal

from webapp.domain.epc import epc_payload


def test_exact_epc_payload():
    payload = epc_payload(name="Sonnenschein Bäckerei GmbH", iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX",
                          amount=Decimal("378.78"), reference="INV-2026-0001")
    assert payload == ("BCD\n002\n1\nSCT\nCOBADEFFXXX\nSonnenschein Bäckerei GmbH\nDE89370400440532013000\n"
                       "EUR378.78\n\n\nINV-2026-0001")


def test_no_code_without_iban_or_for_nothing_to_pay():
    assert epc_payload(name="X", iban="", amount=Decimal("1"), reference="R") is None
    assert epc_payload(name="X", iban="DE89370400440532013000", amount=Decimal("0"), reference="R") is None
    assert epc_payload(name="X", iban="DE89370400440532013000", amount=Decimal("1000000000"), reference="R") is None
