"""The VAT categories L (Canary Islands IGIC), M (Ceuta and Melilla IPSI) and B (transferred VAT, split payment)
end to end: what their e-invoices carry (the CEN rules BR-AF-*, BR-AG-*, BR-B-*), and the issues the rules refuse
with the fix in words. The matrix (``test_matrix``) checks their documents in every format."""
from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select

from tests.einvoice import test_matrix as M
from webapp.domain.einvoice import RULE_FIXES
from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document
from webapp.services import einvoice_xml, pdf

CASES = {c.name: c for c in M.CASES}
IGIC = CASES["Canary Islands IGIC (L), two rates and a charge"]
IPSI = CASES["Ceuta and Melilla IPSI (M), 10 %, 4 % and 0 %, an allowance"]
SPLIT = CASES["Italian split payment (B) to a public buyer"]


def _breakdown(xml: bytes) -> list[dict]:
    root = etree.fromstring(xml)
    return [{"category": g.findtext("ram:CategoryCode", namespaces=M.NS),
             "rate": g.findtext("ram:RateApplicablePercent", namespaces=M.NS),
             "base": g.findtext("ram:BasisAmount", namespaces=M.NS),
             "tax": g.findtext("ram:CalculatedAmount", namespaces=M.NS),
             "reason": g.findtext("ram:ExemptionReason", namespaces=M.NS),
             "reason_code": g.findtext("ram:ExemptionReasonCode", namespaces=M.NS)}
            for g in root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=M.NS)]


def _seller_vat_id(xml: bytes) -> list[str]:
    return etree.fromstring(xml).xpath("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
                                       "/text()", namespaces=M.NS)


def test_igic_states_its_own_rates_without_an_exemption_reason_and_names_the_seller_vat_id():
    org, (doc,) = M.make(IGIC)
    xml = einvoice_xml.build(doc, org, "facturx-cii")
    # 3 x 180 + 12.00 charge at 7 %, 4 x 24.50 at 3 %
    assert _breakdown(xml) == [
        {"category": "L", "rate": "7", "base": "552.00", "tax": "38.64", "reason": None, "reason_code": None},
        {"category": "L", "rate": "3", "base": "98.00", "tax": "2.94", "reason": None, "reason_code": None}]
    assert _seller_vat_id(xml) == ["ESA12345674"]
    assert etree.fromstring(xml).xpath("//ram:BuyerTradeParty//ram:CountrySubDivisionName/text()",
                                       namespaces=M.NS) == ["Santa Cruz de Tenerife"]
    assert (doc.tax_total, doc.gross_total) == (4158, 69158)


def test_ipsi_takes_a_zero_rate_and_no_exemption_reason():
    org, (doc,) = M.make(IPSI)
    xml = einvoice_xml.build(doc, org, "xrechnung-cii")
    # 2 x 349 - 15.00 allowance at 10 %, 3 x 45 at 4 %, 20 x 1.10 at 0 %
    assert _breakdown(xml) == [
        {"category": "M", "rate": "10", "base": "683.00", "tax": "68.30", "reason": None, "reason_code": None},
        {"category": "M", "rate": "4", "base": "135.00", "tax": "5.40", "reason": None, "reason_code": None},
        {"category": "M", "rate": "0", "base": "22.00", "tax": "0.00", "reason": None, "reason_code": None}]
    assert _seller_vat_id(xml) == ["ESB52000007"]


def test_split_payment_is_italian_vat_with_its_note_on_the_pdf_and_no_exemption_reason_in_the_xml():
    org, (doc,) = M.make(SPLIT)
    xml = einvoice_xml.build(doc, org, "facturx-cii")
    assert _breakdown(xml) == [
        {"category": "B", "rate": "22", "base": "1140.00", "tax": "250.80", "reason": None, "reason_code": None},
        {"category": "B", "rate": "10", "base": "90.00", "tax": "9.00", "reason": None, "reason_code": None}]
    countries = etree.fromstring(xml).xpath("//ram:CountryID/text()", namespaces=M.NS)
    assert countries and set(countries) == {"IT"}  # BR-B-01: a domestic Italian invoice
    assert _seller_vat_id(xml) == ["IT00743110157"]
    html = pdf.render_document_html(doc, org)
    assert "(B)" in html and "Scissione dei pagamenti, art. 17-ter DPR 633/1972." in html


def _issued_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Document).where(Document.number.is_not(None)))


@pytest.mark.parametrize("case,rule", [
    # BR-B-02: split payment and standard-rated VAT on one invoice (to a customer who receives Factur-X)
    (M.Case("split payment mixed with standard rate", seller_country="IT", seller=M.ITALIAN_SELLER,
            buyer={**M.ITALIAN_PUBLIC_BUYER, "e_invoice_format": "facturx-cii"}, buyer_reference="UFY9MH",
            lines=[dict(description="Servizi", quantity="1", price="100", rate="B22"),
                   dict(description="Altro", quantity="1", price="50", rate="S19")]), "BR-B-02"),
    # BR-B-01: split payment to a buyer outside Italy (who receives XRechnung)
    (M.Case("split payment to a German buyer", seller_country="IT", seller=M.ITALIAN_SELLER,
            buyer={"e_invoice_format": "xrechnung-ubl"},
            lines=[dict(description="Servizi", quantity="1", price="100", rate="B22")]), "BR-B-01"),
])
def test_split_payment_outside_its_rules_is_refused_at_issue_with_the_fix(case, rule, monkeypatch):
    issue, drafts = M.issuing.issue, []

    def issue_the_saved_draft(org, actor, doc):
        db.session.commit()  # the draft as the editor leaves it
        drafts.append((doc.id, doc.gross_total))
        return issue(org, actor, doc)

    monkeypatch.setattr(M.issuing, "issue", issue_the_saved_draft)
    before = _issued_count()
    with pytest.raises(ActionError) as refused:
        M.make(case)
    assert refused.value.code == "e_invoice_invalid"
    assert RULE_FIXES[rule] in refused.value.english
    db.session.rollback()
    assert _issued_count() == before
    [(doc_id, gross)] = drafts
    doc = db.session.get(Document, doc_id)
    assert (doc.status, doc.number, doc.gross_total) == ("draft", None, gross)


def test_a_credit_note_of_a_zero_vat_group_states_zero_not_minus_zero():
    case = CASES["partial credit note (lines) of a reverse charge invoice"]
    org, (_invoice, note) = M.make(case)
    for fmt in M.FORMATS:
        xml = einvoice_xml.build(note, org, fmt).decode()
        assert "-0.00" not in xml and ">0.00<" in xml
    assert note.tax_total == 0 and note.net_total == -24000
    assert Decimal(note.tax_breakdown[0]["rate"]) == 0
