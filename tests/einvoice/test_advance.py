"""Advance (down-payment) invoices and the final invoice that deducts them (services/deductions.py): the ledger
(prepaid_total counted in paid_total, so amount_due is what remains), the refusals at choice and at issue (nothing
changed), the PDF's rows, and the e-invoices (BT-3 386, BT-113, BT-115, BG-3 per advance invoice) in all three
formats, validated by the official rules with zero fatal findings."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select

from tests import factories as F
from tests.einvoice.test_matrix import FORMATS, NS, figures
from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Document, DocumentDeduction, DocumentEInvoice, Payment
from webapp.services import einvoice, einvoice_xml, payments
from webapp.usecases import Actor
from webapp.usecases import corrections as correction_usecases
from webapp.usecases import drafts as draft_usecases
from webapp.usecases import issuing as issuing_usecases
from webapp.usecases import payments as payment_usecases


def seller():
    org = F.complete_org(F.organization())
    org.email, org.phone, org.contact_name = "billing@seller.example", "+49 30 1234567", "Jana Buchhalter"
    db.session.commit()
    owner = next(m.user for m in org.memberships if m.role == "owner")
    return org, Actor(org=org, user=owner, role="owner")


def buyer(org, name="Buyer GmbH", **values):
    return F.contact(org, name, email="ap@buyer.example", street="Kundenweg 2", postal_code="20095", city="Hamburg",
                     buyer_reference="Kostenstelle 4711", **values)


def invoice(actor, contact, price: str, advance: bool = False, currency: str = "EUR", issue: bool = True,
            deduct=()) -> Document:
    """An invoice of one line of ``price`` net at 19 % (an advance invoice with ``advance``), deducting ``deduct``."""
    data = draft_usecases.DocumentInput(
        contact_id=contact.id, currency=currency, is_advance=advance, deducted_advance_ids=tuple(d.id for d in deduct),
        lines=(draft_usecases.NewLine(description="Advance on the kitchen" if advance else "Kitchen, complete",
                                      quantity=Decimal(1), unit_price=Decimal(price), tax_percent=Decimal(19)),))
    doc = draft_usecases.create_document(actor, data)
    db.session.commit()
    if issue:
        issuing_usecases.issue(actor, doc.id, doc.version)
        db.session.commit()
    return db.session.get(Document, doc.id)


def rows() -> tuple:
    """What a refusal must leave as it was."""
    return (db.session.scalar(select(func.count()).select_from(DocumentDeduction)),
            db.session.scalar(select(func.count()).select_from(Document).where(Document.status != "draft")),
            db.session.scalar(select(func.count()).select_from(Payment)),
            tuple(db.session.execute(select(Document.id, Document.status, Document.paid_total, Document.prepaid_total,
                                            Document.credited_total).order_by(Document.id)).all()))


@pytest.fixture(scope="module")
def validator():
    v = einvoice.validator()
    v.warm_up()
    return v


def test_an_advance_invoice_is_type_386_and_titled_so(validator):
    org, actor = seller()
    advance = invoice(actor, buyer(org), "1000.00", advance=True)
    assert advance.advance and advance.number and advance.gross_total == 119000 and advance.amount_due == 119000
    for fmt in FORMATS:
        xml = einvoice_xml.build(advance, org, fmt)
        report = validator.validate(xml, xrechnung=fmt != "facturx-cii")
        assert report.ok, (fmt, [(f.rule_id, f.message[:120]) for f in report.fatal])
        root = etree.fromstring(xml)
        code = root.xpath("//*[local-name()='ExchangedDocument']/ram:TypeCode/text()" if "cii" in fmt else "/*/cbc:InvoiceTypeCode/text()",
                          namespaces=NS)
        assert code == ["386"]
    assert "Abschlagsrechnung " + advance.number in pdf_text(advance.pdf)  # the customer's language: German
    for locale, title in (("en", "Advance invoice"), ("fr", "Facture d'acompte")):
        other = invoice(actor, buyer(org, locale=locale), "10.00", advance=True)
        assert f"{title} {other.number}" in pdf_text(other.pdf)
    ordinary = invoice(actor, buyer(org, locale="en"), "10.00")
    assert f"Invoice {ordinary.number}" in pdf_text(ordinary.pdf) and "Advance" not in pdf_text(ordinary.pdf)


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


def test_a_final_invoice_deducts_two_advances(validator):
    org, actor = seller()
    contact = buyer(org)
    first = invoice(actor, contact, "1000.00", advance=True)
    second = invoice(actor, contact, "500.00", advance=True)
    final = invoice(actor, contact, "4000.00", deduct=(first, second))
    assert final.status == "issued" and not final.advance
    assert final.gross_total == 476000 and final.prepaid_total == 119000 + 59500
    assert final.paid_total == 178500 and final.amount_due == 476000 - 178500
    assert payments.paid_total(final) == final.paid_total and payments.payments_of(final) == []
    assert [(d.advance_id, d.amount, d.tax_amount) for d in final.deductions] == [(first.id, 119000, 19000),
                                                                                  (second.id, 59500, 9500)]
    assert final.payment_state == "partially_paid"
    # the PDF: the deductions, the amount due, the transfer of what is due
    text = " ".join(pdf_text(final.pdf).split())
    on = first.issue_date.strftime("%d.%m.%Y")
    assert (f"Abzüglich Abschlagsrechnung {first.number} vom {on} (inkl. 190,00 € USt.) −1.190,00 €" in text
            and f"Abzüglich Abschlagsrechnung {second.number} vom {on} (inkl. 95,00 € USt.) −595,00 €" in text), text
    assert "Offener Betrag 2.975,00 €" in text and "Bitte überweisen Sie 2.975,00 €" in text
    # the QR code asks for what is due after the deductions
    from webapp.services.pdf import epc_qr_data_uri

    assert epc_qr_data_uri(final) is not None
    from webapp.domain.epc import epc_payload

    assert "EUR2975.00" in epc_payload(name="x", iban="DE89370400440532013000", bic="", amount=Decimal("2975.00"),
                                       reference="x")
    # the e-invoices: BT-113, BT-115, one preceding reference per advance invoice
    for fmt in FORMATS:
        xml = einvoice_xml.build(final, org, fmt)
        report = validator.validate(xml, xrechnung=fmt != "facturx-cii")
        assert report.ok, (fmt, [(f.rule_id, f.message[:120]) for f in report.fatal])
        root = etree.fromstring(xml)
        if "cii" in fmt:
            prepaid = root.xpath("//ram:TotalPrepaidAmount/text()", namespaces=NS)
            # CII D16B has room for one preceding invoice (BG-3); the others are supporting documents (BG-24)
            refs = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument/"
                              "ram:IssuerAssignedID/text()", namespaces=NS)
            assert refs == [first.number]
            refs += root.xpath("//ram:ApplicableHeaderTradeAgreement/ram:AdditionalReferencedDocument"
                               "[ram:TypeCode='916']/ram:IssuerAssignedID/text()", namespaces=NS)
            assert root.xpath("//ram:AdditionalReferencedDocument/ram:Name/text()", namespaces=NS) == [
                f"Abschlagsrechnung {second.number} vom {second.issue_date.strftime('%d.%m.%Y')}"]
            code = root.xpath("//*[local-name()='ExchangedDocument']/ram:TypeCode/text()", namespaces=NS)
        else:
            prepaid = root.xpath("/*/cac:LegalMonetaryTotal/cbc:PrepaidAmount/text()", namespaces=NS)
            refs = root.xpath("/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()", namespaces=NS)
            code = root.xpath("/*/cbc:InvoiceTypeCode/text()", namespaces=NS)
        assert prepaid == ["1785.00"] and refs == [first.number, second.number] and code == ["380"]
        found = figures(xml, "UBL" if fmt == "xrechnung-ubl" else "CII")
        assert found["gross"] == "4760.00" and found["due"] == "2975.00"
    # the stored Factur-X (validated at issue) says the same
    stored = db.session.scalar(select(DocumentEInvoice).where(DocumentEInvoice.document_id == final.id,
                                                              DocumentEInvoice.format == "facturx-cii"))
    assert b"<ram:TotalPrepaidAmount>1785.00</ram:TotalPrepaidAmount>" in stored.xml
    assert b"<ram:DuePayableAmount>2975.00</ram:DuePayableAmount>" in stored.xml
    # the advance invoices stay as they were (their own amounts due, untouched)
    assert db.session.get(Document, first.id).amount_due == 119000


def test_voiding_a_payment_on_the_final_invoice_keeps_the_prepaid_part():
    org, actor = seller()
    contact = buyer(org)
    first = invoice(actor, contact, "1000.00", advance=True)
    final = invoice(actor, contact, "2000.00", deduct=(first,))
    assert final.amount_due == 238000 - 119000
    _, payment = payment_usecases.record_payment(actor, final.id, payment_usecases.PaymentInput(
        amount=Decimal("500.00"), paid_on=date.today(), key="k-1"))
    db.session.commit()
    final = db.session.get(Document, final.id)
    assert final.paid_total == 169000 and final.amount_due == 69000
    # a refund above what was paid in money is refused (the advance is no payment to refund here)
    with pytest.raises(ActionError) as refused:
        payment_usecases.record_payment(actor, final.id, payment_usecases.PaymentInput(
            amount=Decimal("600.00"), refund=True, paid_on=date.today(), key="k-2"))
    assert refused.value.code == "refund_exceeds_paid"
    db.session.rollback()
    payment_usecases.void_payment(actor, final.id, payment.id, "bounced")
    db.session.commit()
    final = db.session.get(Document, final.id)
    assert final.paid_total == 119000 == payments.paid_total(final) and final.prepaid_total == 119000
    assert final.amount_due == 119000
    # paying the rest settles it
    payment_usecases.mark_paid(actor, final.id, payment_usecases.MarkPaid(key="k-3"))
    db.session.commit()
    final = db.session.get(Document, final.id)
    assert final.amount_due == 0 and final.payment_state == "paid"
    assert db.session.scalar(select(func.sum(Payment.amount)).where(Payment.document_id == final.id,
                                                                    Payment.voided_at.is_(None))) == 119000


def refused(call, code: str) -> ActionError:
    """``call`` is refused with ``code`` and changes nothing."""
    before = rows()
    with pytest.raises(ActionError) as error:
        call()
    db.session.rollback()
    assert error.value.code == code, (error.value.code, str(error.value))
    assert rows() == before
    return error.value


def test_refusals_when_choosing_change_nothing():
    org, actor = seller()
    contact, other = buyer(org), buyer(org, "Other AG")
    advance = invoice(actor, contact, "100.00", advance=True)
    foreign = invoice(actor, other, "100.00", advance=True)
    in_chf = invoice(actor, contact, "100.00", advance=True, currency="CHF")
    draft_advance = invoice(actor, contact, "100.00", advance=True, issue=False)
    ordinary = invoice(actor, contact, "100.00")
    final = invoice(actor, contact, "1000.00", issue=False)

    def choose(*docs):
        return lambda: draft_usecases.choose_deductions(actor, final.id, None, [d.id for d in docs])

    assert "another customer" in str(refused(choose(advance, foreign), "advance_other_customer"))
    assert "CHF" in str(refused(choose(in_chf), "advance_other_currency"))
    refused(choose(draft_advance), "advance_not_issued")
    refused(choose(ordinary), "not_an_advance_invoice")
    # another organization's advance invoice is not found
    org2, actor2 = seller()
    elsewhere = invoice(actor2, buyer(org2), "100.00", advance=True)
    refused(choose(elsewhere), "advance_not_found")
    # an advance invoice deducts nothing, and one that deducts cannot become an advance invoice
    refused(lambda: draft_usecases.choose_deductions(actor, draft_advance.id, None, [advance.id]), "advance_deducts")
    draft_usecases.choose_deductions(actor, final.id, None, [advance.id])
    db.session.commit()
    header = draft_usecases.HeaderInput(currency="EUR", prices_include_tax=False, chosen_issue_date=None,
                                        service_date=None, service_period_end=None, payment_terms_days=14,
                                        is_advance=True)
    refused(lambda: draft_usecases.change_header(actor, final.id, None, header), "advance_deducts")
    # what the editor offers: the customer's issued advance invoices in the currency
    from webapp.services import deductions

    assert [d.id for d in deductions.candidates(db.session.get(Document, final.id))] == [advance.id]


def test_refusals_at_issue_change_nothing():
    org, actor = seller()
    contact = buyer(org)
    big = invoice(actor, contact, "2000.00", advance=True)
    small = invoice(actor, contact, "100.00", advance=True)
    # more than the total: refused at issue (the lines may still change before)
    final = invoice(actor, contact, "1000.00", issue=False, deduct=(big,))
    error = refused(lambda: issuing_usecases.issue(actor, final.id, None), "deductions_exceed_total")
    assert "2380.00 EUR" in str(error) and "1190.00 EUR" in str(error)
    # deducted by another invoice meanwhile: the first one issued takes it
    one = invoice(actor, contact, "1000.00", issue=False, deduct=(small,))
    two = invoice(actor, contact, "1000.00", issue=False, deduct=(small,))
    issuing_usecases.issue(actor, one.id, None)
    db.session.commit()
    error = refused(lambda: issuing_usecases.issue(actor, two.id, None), "advance_already_deducted")
    assert db.session.get(Document, one.id).number in str(error)
    # and it is no longer offered, nor can it be chosen
    from webapp.services import deductions

    assert small.id not in [d.id for d in deductions.candidates(db.session.get(Document, two.id))]
    refused(lambda: draft_usecases.choose_deductions(actor, two.id, None, [small.id]), "advance_already_deducted")


def test_a_deducted_advance_cannot_be_credited_or_cancelled_until_its_final_invoice_is():
    org, actor = seller()
    contact = buyer(org)
    advance = invoice(actor, contact, "100.00", advance=True)
    final = invoice(actor, contact, "1000.00", deduct=(advance,))
    assert final.paid_total == 11900
    error = refused(lambda: correction_usecases.cancel(actor, advance.id), "advance_deducted")
    assert final.number in str(error)
    refused(lambda: correction_usecases.create_credit_note(actor, advance.id, correction_usecases.CreditInput("full")),
            "advance_deducted")
    # cancelling the final invoice releases the advance invoice: deducted no more, and it can be cancelled
    correction_usecases.cancel(actor, final.id)
    db.session.commit()
    final = db.session.get(Document, final.id)
    assert final.status == "cancelled" and final.paid_total == 0 == payments.paid_total(final)
    assert final.prepaid_total == 11900 and final.amount_due == 0  # as issued; settled by the credit note
    again = invoice(actor, contact, "500.00", deduct=(advance,))
    assert again.prepaid_total == 11900
    refused(lambda: correction_usecases.cancel(actor, advance.id), "advance_deducted")
