"""E-invoices in the use cases: a customer's format checked where every way of saving one goes through, a draft's
choice and buyer reference (the header, a new document, seed 004's switch), what copies keep, and the download
(permission, drafts, quotes, formats), each refusal an ActionError that writes nothing."""
from __future__ import annotations

import pytest

from tests import einvoice_docs as E
from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import Contact, Document
from webapp.services import drafts as draft_service
from webapp.services import einvoice_xml
from webapp.usecases import Actor, customers, drafts, einvoices

ITEM = drafts.NewLine(description="Consulting", quantity=None, unit_price=None)


def actor_of(member) -> Actor:
    return Actor(org=member.org, user=member.user, role=member.role)


def header(doc: Document, **values) -> drafts.HeaderInput:
    return drafts.HeaderInput(currency=doc.currency, prices_include_tax=doc.prices_include_tax,
                              chosen_issue_date=None, service_date=None, service_period_end=None,
                              payment_terms_days=doc.payment_terms_days, **values)


def test_a_customers_format_is_checked_for_every_way_in(seller):
    saved = customers.save_customer(actor_of(seller), None, customers.CustomerInput(values={
        "company_name": "Amt", "country": "DE", "e_invoice_format": "xrechnung-cii", "buyer_reference": "991-1"}))
    assert (saved.contact.e_invoice_format, saved.contact.buyer_reference) == ("xrechnung-cii", "991-1")
    db.session.commit()
    with pytest.raises(ActionError) as refused:
        customers.save_customer(actor_of(seller), saved.contact.id, customers.CustomerInput(
            values={"e_invoice_format": "peppol"}))
    assert (refused.value.code, refused.value.field, refused.value.status) == ("invalid_e_invoice_format",
                                                                              "e_invoice_format", 422)
    db.session.rollback()
    assert db.session.get(Contact, saved.contact.id).e_invoice_format == "xrechnung-cii"


@pytest.mark.parametrize("preference, choice, switch, stored", [
    ("", None, None, None), ("", "customer", None, None), ("xrechnung-cii", "", None, ""),
    ("", None, True, "xrechnung-ubl"), ("facturx-cii", None, True, "facturx-cii"),
    ("", "xrechnung-cii", True, "xrechnung-cii"), ("facturx-cii", None, False, ""), ("", "", False, ""),
])
def test_the_choice_a_draft_stores(f, owner, preference, choice, switch, stored):
    contact = f.contact(owner.org, "K", e_invoice_format=preference)
    assert draft_service.e_invoice_choice(contact, choice, switch) == stored


@pytest.mark.parametrize("choice, switch, code", [
    ("peppol", None, "invalid_e_invoice_format"), ("xrechnung-ubl", False, "e_invoice_contradiction"),
    ("", True, "e_invoice_contradiction"),
])
def test_a_choice_that_is_unknown_or_contradicts_the_switch_is_refused(f, owner, choice, switch, code):
    with pytest.raises(ActionError) as refused:
        draft_service.e_invoice_choice(f.contact(owner.org, "K"), choice, switch)
    assert refused.value.code == code


def test_the_header_sets_the_choice_and_the_reference_and_leaves_them_when_not_given(seller, f):
    doc = f.draft(seller.org, E.customer(seller.org, "xrechnung-cii"))
    drafts.change_header(actor_of(seller), doc.id, doc.version, header(doc, buyer_reference=" 991-2 ",
                                                                       e_invoice_format="facturx-cii"))
    db.session.commit()
    assert (doc.buyer_reference, doc.e_invoice_format) == ("991-2", "facturx-cii")
    drafts.change_header(actor_of(seller), doc.id, doc.version, header(doc, notes="Thanks"))  # neither given
    db.session.commit()
    assert (doc.buyer_reference, doc.e_invoice_format) == ("991-2", "facturx-cii")
    drafts.change_header(actor_of(seller), doc.id, doc.version, header(doc, e_invoice_format="customer"))
    db.session.commit()
    assert doc.e_invoice_format is None and einvoice_xml.effective_format(doc) == "xrechnung-cii"
    version = doc.version
    with pytest.raises(ActionError) as refused:
        drafts.change_header(actor_of(seller), doc.id, doc.version, header(doc, e_invoice_format="peppol"))
    assert refused.value.field == "e_invoice_format"
    db.session.rollback()
    doc = db.session.get(Document, doc.id)
    assert (doc.e_invoice_format, doc.version) == (None, version)


def test_a_new_document_with_the_switch_and_a_reference(seller):
    contact = E.customer(seller.org, "", buyer_reference="")
    doc = drafts.create_document(actor_of(seller), drafts.DocumentInput(
        contact_id=contact.id, lines=(ITEM,), buyer_reference="991-3", is_e_invoice=True))
    db.session.commit()
    assert (doc.buyer_reference, doc.e_invoice_format) == ("991-3", "xrechnung-ubl")
    with pytest.raises(ActionError) as refused:
        drafts.create_document(actor_of(seller), drafts.DocumentInput(
            contact_id=contact.id, lines=(ITEM,), is_e_invoice=False, e_invoice_format="xrechnung-cii"))
    assert [e.field for e in refused.value.errors] == ["is_e_invoice"]


def test_a_copy_keeps_the_invoices_own_choice_and_follows_the_customer_otherwise(seller, f):
    from webapp.services import issuing

    contact = E.customer(seller.org, "xrechnung-ubl")
    follows = f.issued(seller.org, contact_=contact)  # the customer's format and reference, frozen
    own = f.draft(seller.org, contact)
    own.e_invoice_format, own.buyer_reference = "xrechnung-cii", "991-own"
    issuing.issue(seller.org, seller.user, own)
    db.session.commit()
    contact.e_invoice_format, contact.buyer_reference = "facturx-cii", "991-new"
    db.session.commit()
    first = drafts.duplicate(actor_of(seller), follows.id)
    second = drafts.duplicate(actor_of(seller), own.id)
    db.session.commit()
    assert (first.e_invoice_format, first.buyer_reference) == ("xrechnung-ubl", E.LEITWEG_ID)  # differ from now
    assert (second.e_invoice_format, second.buyer_reference) == ("xrechnung-cii", "991-own")
    contact.e_invoice_format, contact.buyer_reference = "xrechnung-ubl", E.LEITWEG_ID
    db.session.commit()
    third = drafts.duplicate(actor_of(seller), follows.id)  # the same as the customer's now: follow the customer
    db.session.commit()
    assert (third.e_invoice_format, third.buyer_reference) == (None, "")


def test_the_download_is_the_stored_xml_and_refuses_drafts_quotes_and_unknown_formats(seller, login_as, f):
    doc = f.issued(seller.org, contact_=E.customer(seller.org, "xrechnung-cii"))
    row = E.stored_row(doc, "xrechnung-cii")
    bookkeeper = login_as("bookkeeper", org=seller.org)
    got = einvoices.download(actor_of(bookkeeper), doc.id)  # every role reads it; default: the customer's
    assert (got.data, got.format, got.filename, got.mimetype) == (row.xml, "xrechnung-cii",
                                                                   f"{doc.number}-xrechnung-cii.xml", "application/xml")
    for document_id, fmt, code in ((doc.id, "peppol", "unknown_e_invoice_format"),
                                   (f.draft(seller.org).id, None, "document_is_draft")):
        with pytest.raises(ActionError) as refused:
            einvoices.download(actor_of(seller), document_id, fmt)
        assert (refused.value.code, refused.value.status) == (code, 422)
    stranger = login_as("owner")
    with pytest.raises(ActionError) as refused:
        einvoices.download(actor_of(stranger), doc.id, "xrechnung-ubl")
    assert refused.value.code == "not_found"
