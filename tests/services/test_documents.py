"""Drafts, issuing and the rule that issued invoices never change."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Document, DocumentLine, TaxRate
from webapp.models.document import ImmutableDocumentError
from webapp.services import drafts, issuing, state
from webapp.domain.errors import ActionError


@pytest.fixture
def org(f):
    return f.complete_org(f.organization())


def owner_of(org):
    return next(m.user for m in org.memberships if m.role == "owner")


def test_draft_totals_follow_every_change(org, f):
    doc = f.draft(org, lines=[("Bread", "3", "3.3333")])
    assert (doc.net_total, doc.tax_total, doc.gross_total) == (1000, 190, 1190)
    line = doc.lines[0]
    drafts.update_line(doc, line, {"discount_percent": Decimal("10")})
    assert (doc.net_total, doc.gross_total) == (900, 1071) and line.net_amount == 900
    reduced = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.percent == Decimal("7")))
    drafts.update_line(doc, line, {}, rate=reduced, set_rate=True)
    assert doc.tax_total == 63 and doc.tax_breakdown == [
        {"category": "S", "rate": "7", "base": 900, "tax": 63, "note": ""}]
    charge = drafts.add_adjustment(org, doc, "charge")
    drafts.update_adjustment(doc, charge, "Shipping", Decimal("4.90"), reduced)
    assert doc.charge_total == 490 and doc.net_total == 1390
    drafts.update_header(doc, {"discount_percent": Decimal("10")})  # on all lines
    assert doc.allowance_total == 90 and doc.net_total == 1300


def test_issue_freezes_number_dates_parties_and_totals(org, f):
    customer = f.contact(org, "Kunde AG", street="Weg 2", city="Köln", vat_id="DE136695976")
    doc = f.draft(org, customer)
    drafts.update_header(doc, {"payment_terms_days": 30})
    reduced = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.percent == Decimal("19")))
    number = issuing.issue(org, owner_of(org), doc)
    db.session.commit()
    assert number == f"INV-{date.today().year}-0001"
    assert doc.issue_date == date.today() and doc.due_date == date.today() + timedelta(days=30)
    assert doc.seller["legal_name"] == org.legal_name and doc.buyer["name"] == "Kunde AG"
    assert doc.buyer["city"] == "Köln" and doc.gross_total == 2380
    assert db.session.get(TaxRate, reduced.id).first_used_at is not None
    # later changes to the organization and the customer do not touch the issued invoice
    org.legal_name, customer.company_name, customer.city = "Renamed GmbH", "Other AG", "Bonn"
    customer.refresh_search()
    db.session.commit()
    db.session.expire_all()
    frozen = db.session.get(Document, doc.id)
    assert frozen.seller["legal_name"] != "Renamed GmbH" and frozen.buyer["name"] == "Kunde AG"
    assert frozen.buyer["city"] == "Köln" and frozen.buyer_name == "Kunde AG"


@pytest.mark.parametrize("problem,setup,message", [
    ("no lines", lambda f, org: f.draft(org, lines=()), "Add at least one line."),
    ("no description", lambda f, org: f.draft(org, lines=(("", "1", "1"),)), "Line 1 needs a description."),
])
def test_issue_is_refused_with_a_clear_message(org, f, problem, setup, message):
    doc = setup(f, org)
    with pytest.raises(ActionError, match=message):
        issuing.issue(org, owner_of(org), doc)
    db.session.rollback()
    assert db.session.get(Document, doc.id).status == "draft"


def test_issue_needs_the_company_details(f):
    org = f.organization()  # no address, no VAT ID
    doc = f.draft(org)
    with pytest.raises(ActionError, match="Complete your company details first: .*street"):
        issuing.issue(org, owner_of(org), doc)


def test_issue_needs_a_customer(org, f):
    doc = f.draft(org)
    doc.contact_id = None
    with pytest.raises(ActionError, match="Choose the customer."):
        issuing.issue(org, owner_of(org), doc)


def test_every_service_refuses_to_change_an_issued_invoice(org, f):
    doc = f.issued(org)
    line = doc.lines[0]
    product = f.product(org, "Thing")
    before = (doc.gross_total, doc.number, line.quantity)
    attempts = {
        "update_header": lambda: drafts.update_header(doc, {"notes": "changed"}),
        "set_contact": lambda: drafts.set_contact(doc, f.contact(org, "Else")),
        "add_line": lambda: drafts.add_line(org, doc),
        "update_line": lambda: drafts.update_line(doc, line, {"quantity": Decimal("9")}),
        "apply_product": lambda: drafts.apply_product(doc, line, product),
        "remove_line": lambda: drafts.remove_line(doc, line),
        "move_line": lambda: drafts.move_line(doc, line, 1),
        "add_adjustment": lambda: drafts.add_adjustment(org, doc, "charge"),
        "delete_draft": lambda: drafts.delete_draft(org, owner_of(org), doc),
        "issue": lambda: issuing.issue(org, owner_of(org), doc),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ActionError, match="issued"):
            attempt()
        db.session.rollback()
    doc = db.session.get(Document, doc.id)
    assert (doc.gross_total, doc.number, doc.lines[0].quantity) == before


def test_even_direct_writes_to_an_issued_invoice_are_refused(org, f):
    doc = f.issued(org)
    doc.gross_total = 1
    with pytest.raises(ImmutableDocumentError):
        db.session.flush()
    db.session.rollback()
    line = db.session.scalar(select(DocumentLine).where(DocumentLine.document_id == doc.id))
    line.quantity = Decimal("100")
    with pytest.raises(ImmutableDocumentError):
        db.session.flush()
    db.session.rollback()
    db.session.add(DocumentLine(document_id=doc.id, description="sneaky", quantity=Decimal("1"),
                                unit_price=Decimal("1")))
    with pytest.raises(ImmutableDocumentError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Document, doc.id))
    with pytest.raises(ImmutableDocumentError):
        db.session.flush()
    db.session.rollback()
    # a draft may change freely
    draft = f.draft(org)
    draft.notes = "fine"
    db.session.flush()


def test_a_customer_with_invoices_can_be_archived_not_deleted(org, f):
    from webapp.services import contacts
    from webapp.services.contacts import ActionError

    customer = f.contact(org, "Keeper GmbH")
    f.draft(org, customer)
    with pytest.raises(ActionError, match="has documents"):
        contacts.delete_contact(org, owner_of(org), customer)


def test_duplicate_makes_a_new_draft_with_the_same_lines(org, f):
    doc = f.issued(org, lines=[("A", "1", "5.00"), ("B", "2", "7.50")])
    copy = drafts.duplicate(org, owner_of(org), doc)
    db.session.commit()
    assert copy.status == "draft" and copy.number is None and copy.related_id == doc.id
    assert [(x.description, x.quantity) for x in copy.lines] == [("A", Decimal("1")), ("B", Decimal("2"))]
    assert copy.gross_total == doc.gross_total


def test_stale_version_is_refused(org, f):
    doc = f.draft(org)
    with pytest.raises(ActionError, match="Someone else changed this draft"):
        state.check_version(doc, doc.version - 1)
    state.check_version(doc, doc.version)


def test_issued_invoices_cannot_go_back_to_draft_or_lose_lines(org, f):
    doc = f.issued(org)
    doc.status = "draft"
    with pytest.raises(ImmutableDocumentError, match="cannot become draft"):
        db.session.flush()
    db.session.rollback()
    other = f.draft(org)
    line = db.session.scalar(select(DocumentLine).where(DocumentLine.document_id == doc.id))
    line.document_id = other.id  # take a line out of the issued invoice
    with pytest.raises(ImmutableDocumentError, match="lines cannot change"):
        db.session.flush()
    db.session.rollback()


def test_large_amounts_fit_and_absurd_ones_are_refused(org, f):
    doc = f.draft(org, lines=[("Building", "1", "22000000.00")])
    issuing.issue(org, owner_of(org), doc)
    db.session.commit()
    assert db.session.get(Document, doc.id).gross_total == 2_618_000_000  # 26.18 million euros, in cents
    huge = f.draft(org)
    with pytest.raises(ActionError, match="too large"):
        drafts.update_line(huge, huge.lines[0], {"quantity": Decimal("999999999999"),
                                                    "unit_price": Decimal("999999999999")})
    db.session.rollback()


def test_an_edited_tax_rate_reaches_the_drafts_not_the_issued(org, f):
    from webapp.services import catalog, drafts, issuing

    rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.percent == Decimal("7")))
    issued_doc = f.draft(org)
    drafts.update_line(issued_doc, issued_doc.lines[0], {}, rate=rate, set_rate=True)
    issuing.issue(org, owner_of(org), issued_doc)
    db.session.commit()
    rate2 = f.draft(org)
    other = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.percent == Decimal("0"),
                                                    TaxRate.category == "Z"))
    drafts.update_line(rate2, rate2.lines[0], {}, rate=other, set_rate=True)
    db.session.commit()
    catalog.update_tax_rate(org, owner_of(org), other, name="Zero", percent=Decimal("0"), category="Z",
                            exemption_note="", is_default=False)
    new_rate = catalog.create_tax_rate(org, owner_of(org), name="Twelve", percent=Decimal("12"), category="S")
    db.session.commit()
    drafts.update_line(rate2, rate2.lines[0], {}, rate=new_rate, set_rate=True)
    catalog.update_tax_rate(org, owner_of(org), new_rate, name="Twelve", percent=Decimal("13"), category="S",
                            exemption_note="", is_default=False)
    db.session.commit()
    drafts.update_header(rate2, {"notes": "touch"})  # any change recomputes with the current rate
    assert rate2.lines[0].tax_percent == Decimal("13") and rate2.tax_total == 260
    assert db.session.get(Document, issued_doc.id).lines[0].tax_percent == Decimal("7")
