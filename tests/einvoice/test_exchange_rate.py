"""An invoice in another currency than the seller's with an exchange rate stated on it (EN 16931 BT-6 / BT-111): the
VAT total in the seller's currency, frozen at issue, is what every format states (CII: ram:TaxCurrencyCode and a
second ram:TaxTotalAmount; UBL: cbc:TaxCurrencyCode and a second cac:TaxTotal), and each passes the official rules
(EN 16931 1.3.16 for Factur-X, the KoSIT XRechnung configuration for XRechnung) with zero fatal findings; its credit
note converts at the invoice's rate. Built with tests/einvoice/test_matrix.py's recipes."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from lxml import etree

from tests.einvoice.test_matrix import FORMATS, NS, Case, make
from webapp.domain.money import from_minor
from webapp.services import einvoice, einvoice_xml
from webapp.services.einvoice_data import amount_text

RATE = Decimal("1.1712")  # 1 GBP = 1.1712 EUR

CASES = [
    Case("GBP invoice of a DE seller at a stated rate", currency="GBP", header=dict(exchange_rate=RATE),
         lines=[dict(description="Consulting", quantity="3", price="333.33"),
                dict(description="Books", quantity="7", price="12.99", rate="S7")]),
    Case("its full credit note", currency="GBP", header=dict(exchange_rate=RATE), credit="full",
         lines=[dict(description="Licence", quantity="1", price="1234.56")]),
    Case("a partial credit note (an amount)", currency="GBP", header=dict(exchange_rate=RATE), credit="amount"),
    Case("USD, prices include VAT, a discount", currency="USD", gross=True, discount="5",
         header=dict(exchange_rate=Decimal("0.923456")),
         lines=[dict(description="Hardware", quantity="2", price="499.99")]),
    Case("JPY at a rate with six decimals", currency="JPY", header=dict(exchange_rate=Decimal("0.006123")),
         lines=[dict(description="Licence", quantity="3", price="12345")]),
]


@pytest.fixture(scope="module")
def validator():
    v = einvoice.validator()
    v.warm_up()
    return v


def accounting_figures(xml: bytes, fmt: str, currency: str) -> tuple[list[str], list[str], list[str]]:
    """(BT-6 as stated, BT-111 as stated, BT-110 as stated) of an e-invoice whose document currency is ``currency``."""
    root = etree.fromstring(xml)
    if fmt == "xrechnung-ubl":
        codes = root.xpath("/*/cbc:TaxCurrencyCode/text()", namespaces=NS)
        totals = root.xpath("/*/cac:TaxTotal", namespaces=NS)
        amount = "cbc:TaxAmount[@currencyID=$c]/text()"
        in_own = [t for total in totals for t in total.xpath(amount, namespaces=NS, c=currency)]
        other = [t for total in totals if not total.xpath("cac:TaxSubtotal", namespaces=NS)
                 for t in total.xpath("cbc:TaxAmount[@currencyID!=$c]/text()", namespaces=NS, c=currency)]
        return codes, other, in_own
    settlement = "//ram:ApplicableHeaderTradeSettlement/"
    codes = root.xpath(settlement + "ram:TaxCurrencyCode/text()", namespaces=NS)
    summation = settlement + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount"
    other = root.xpath(summation + "[@currencyID!=$c]/text()", namespaces=NS, c=currency)
    in_own = root.xpath(summation + "[@currencyID=$c]/text()", namespaces=NS, c=currency)
    return codes, other, in_own


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_format_states_the_frozen_vat_in_the_sellers_currency_and_passes_the_rules(case, validator):
    org, documents = make(case)
    assert org.currency == "EUR"
    invoice = documents[0]
    for doc in documents:
        # frozen at issue: the document's VAT total at its rate, rounded half-up to the cent (a credit note: the
        # invoice's rate, its negative VAT)
        assert doc.exchange_rate == case.header["exchange_rate"] == invoice.exchange_rate
        expected = (from_minor(doc.tax_total, doc.currency) * doc.exchange_rate).quantize(Decimal("0.01"),
                                                                                         ROUND_HALF_UP)
        assert (doc.tax_total_accounting, doc.accounting_currency) == (int(expected * 100), "EUR")
        assert doc.tax_total_accounting != 0 and (doc.tax_total_accounting > 0) == (doc.tax_total > 0)
        sign = -1 if doc.kind == "credit_note" else 1
        stated = amount_text(from_minor(doc.tax_total_accounting, "EUR") * sign, "EUR")
        assert Decimal(stated) > 0
        for fmt in FORMATS:
            xml = einvoice_xml.build(doc, org, fmt)
            report = validator.validate(xml, xrechnung=fmt != "facturx-cii")
            fatal = [(f.rule_id, f.message[:200], f.location) for f in report.fatal]
            assert report.supported and not fatal, f"{case.name} / {doc.kind} / {fmt}: {fatal}"
            codes, accounting, in_document_currency = accounting_figures(xml, fmt, doc.currency)
            assert codes == ["EUR"], (case.name, fmt)
            assert accounting == [stated], (case.name, fmt)
            assert in_document_currency == [amount_text(from_minor(doc.tax_total, doc.currency) * sign, doc.currency)]


@pytest.mark.parametrize("currency, header", [("GBP", {}), ("EUR", {})], ids=["GBP without a rate", "EUR"])
def test_without_a_rate_or_in_the_sellers_currency_no_format_names_a_tax_currency(currency, header, validator):
    org, (doc,) = make(Case("plain", currency=currency, header=header))
    assert (doc.exchange_rate, doc.tax_total_accounting, doc.accounting_currency) == (None, None, None)
    for fmt in FORMATS:
        xml = einvoice_xml.build(doc, org, fmt)
        assert b"TaxCurrencyCode" not in xml
        codes, accounting, in_document_currency = accounting_figures(xml, fmt, doc.currency)
        assert (codes, accounting) == ([], []) and len(in_document_currency) == 1
        assert not validator.validate(xml, xrechnung=fmt != "facturx-cii").fatal


def test_the_rules_refuse_a_tax_currency_without_its_vat_total(validator):
    """The check is real: the same XML without BT-111 fails the official rules (BR-53 and the syntax rules)."""
    org, (doc,) = make(CASES[0])
    for fmt in FORMATS:
        root = etree.fromstring(einvoice_xml.build(doc, org, fmt))
        path = ("/*/cac:TaxTotal[not(cac:TaxSubtotal)]" if fmt == "xrechnung-ubl" else
                "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount[@currencyID='EUR']")
        (node,) = root.xpath(path, namespaces=NS)
        node.getparent().remove(node)
        report = validator.validate(etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
                                    xrechnung=fmt != "facturx-cii")
        assert "BR-53" in {f.rule_id for f in report.fatal}, (fmt, [f.rule_id for f in report.fatal])
