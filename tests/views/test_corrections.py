"""Credit notes (full, lines, amount), cancelling, another recipient, reactivating."""
import io
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Document, DocumentLine, TaxRate


def rich_invoice(f, org):
    """Two VAT rates, a line discount, a percent discount and a charge: every figure matters."""
    from webapp.services import documents

    doc = f.draft(org, f.contact(org, "Kunde AG", email="k@example.com", locale="en"),
                  lines=[("Bread", "3", "4.35"), ("Cake", "2", "19.99"), ("Coffee", "7", "2.10")])
    seven = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.percent == Decimal("7")))
    documents.update_line(doc, doc.lines[0], {"discount_percent": Decimal("10")}, rate=seven, set_rate=True)
    documents.update_header(doc, {"discount_percent": Decimal("3")})
    charge = documents.add_adjustment(org, doc, "charge")
    documents.update_adjustment(doc, charge, "Delivery", Decimal("4.90"), seven)
    db.session.commit()
    documents.issue(org, next(m.user for m in org.memberships if m.role == "owner"), doc)
    db.session.commit()
    return doc


def issue_note(client, note_id):
    note = db.session.get(Document, note_id)
    return client.post(f"/invoices/{note_id}/issue", data={"version": note.version})


def reload(doc):
    db.session.expire_all()
    return db.session.get(Document, doc.id)


def test_a_full_credit_note_negates_every_figure_and_the_amount_due_becomes_zero(owner, f):
    invoice = rich_invoice(f, owner.org)
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full", "reason": "Wrong order"})
    assert r.status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert note.status == "draft" and note.related_id == invoice.id
    assert issue_note(owner.client, note.id).status_code == 303
    note, invoice = reload(note), reload(invoice)
    assert note.status == "issued" and note.number.startswith("CN-")
    for name in ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total"):
        assert getattr(note, name) == -getattr(invoice, name), name
    assert [ln.net_amount for ln in note.lines] == [-ln.net_amount for ln in invoice.lines]
    assert note.tax_breakdown == [{**g, "base": -g["base"], "tax": -g["tax"]} for g in invoice.tax_breakdown]
    assert invoice.credited_total == invoice.gross_total and invoice.amount_due == 0
    assert invoice.payment_state == "credited"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(note.pdf)).pages)
    assert "Credit note" in text and f"Corrects invoice {invoice.number}" in text and "Wrong order" in text
    # nothing is left to credit
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"})
    assert r.status_code == 422 and "Nothing is left to credit" in r.data.decode()


def test_chosen_lines_and_quantities_and_the_limits(owner, f):
    invoice = rich_invoice(f, owner.org)
    bread, cake, _ = invoice.lines
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "lines", f"q{cake.id}": "1"})
    assert r.status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert [(ln.source_line_id, ln.quantity) for ln in note.lines] == [(cake.id, Decimal("-1"))]
    issue_note(owner.client, note.id)
    assert reload(invoice).credited_total == -reload(note).gross_total > 0
    # one cake left: two are refused, the typed quantities stay in the form
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "lines", f"q{cake.id}": "2",
                                                                  f"q{bread.id}": "1"})
    html = r.data.decode()
    assert r.status_code == 422 and "at most 1 can still be credited" in html and f'name="q{cake.id}" value="2"' in html
    for bad, message in (("-1", "not negative"), ("abc", "not a number"), ("", "at least one line")):
        r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "lines", f"q{cake.id}": bad})
        assert r.status_code == 422 and message in r.data.decode(), bad
    assert db.session.scalar(select(func.count()).select_from(Document).where(Document.kind == "credit_note")) == 1


def test_an_amount_credit_and_over_crediting(owner, f):
    invoice = rich_invoice(f, owner.org)
    group = f"{invoice.tax_breakdown[0]['category']}|{invoice.tax_breakdown[0]['rate']}"
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "amount", "amount": "5.00", "group": group,
                                                                  "reason": "Goodwill"})
    assert r.status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert note.lines[0].description == "Goodwill" and note.net_total == -500
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "amount", "amount": "99999", "group": group})
    assert r.status_code == 422 and "remains creditable" in r.data.decode()
    r = owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "amount", "amount": "5", "group": "X|1"})
    assert r.status_code == 422 and "Choose one of the invoice" in r.data.decode()


def test_two_drafts_cannot_together_credit_more_than_the_invoice(owner, f):
    invoice = rich_invoice(f, owner.org)
    for _ in range(2):
        owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"})
    first, second = db.session.scalars(select(Document).where(Document.kind == "credit_note").order_by(Document.id))
    assert issue_note(owner.client, first.id).status_code == 303
    r = owner.client.post(f"/invoices/{second.id}/issue", data={"version": second.version}, follow_redirects=True)
    assert "remains creditable" in r.data.decode()
    assert reload(second).status == "draft" and reload(invoice).credited_total == reload(invoice).gross_total


def test_a_paid_invoice_credited_owes_the_customer_and_takes_a_refund(owner, f):
    from tests.views.test_payments import pay

    invoice = rich_invoice(f, owner.org)
    gross = invoice.gross_total
    pay(owner.client, invoice.id, f"{gross / 100:.2f}")
    owner.client.post(f"/invoices/{invoice.id}/cancel", data={"reason": "Returned"})
    invoice = reload(invoice)
    assert invoice.status == "cancelled" and invoice.amount_due == -gross and invoice.payment_state == "overpaid"
    page = owner.client.get(f"/invoices/{invoice.id}").data.decode()
    assert "Owed to the customer" in page
    assert pay(owner.client, invoice.id, f"{gross / 100:.2f}", kind="refund").status_code == 303
    assert reload(invoice).amount_due == 0


def test_cancel_change_recipient_and_reactivate(owner, f):
    invoice = rich_invoice(f, owner.org)
    other = f.contact(owner.org, "Neue GmbH")
    r = owner.client.post(f"/invoices/{invoice.id}/change-recipient", data={"contact_id": other.id})
    assert r.status_code == 303
    invoice = reload(invoice)
    assert invoice.status == "cancelled" and invoice.amount_due == 0
    copy = db.session.scalar(select(Document).where(Document.kind == "invoice", Document.status == "draft"))
    assert copy.contact_id == other.id and copy.related_id == invoice.id and copy.gross_total == invoice.gross_total
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert note.status == "issued" and note.gross_total == -invoice.gross_total
    # a cancelled invoice cannot be cancelled or credited again; it can be reactivated as a new draft
    r = owner.client.post(f"/invoices/{invoice.id}/cancel", follow_redirects=True)
    assert "cancelled invoice cannot be cancelled" in r.data.decode()
    r = owner.client.post(f"/invoices/{invoice.id}/reactivate")
    assert r.status_code == 303
    drafts = db.session.scalars(select(Document).where(Document.kind == "invoice", Document.status == "draft")).all()
    assert len(drafts) == 2 and reload(invoice).status == "cancelled"
    page = owner.client.get(f"/invoices/{invoice.id}").data.decode()
    assert note.number in page and "Reactivate as new draft" in page


def test_staff_cannot_correct_and_strangers_get_404(owner, f, login_as):
    invoice = rich_invoice(f, owner.org)
    staff = login_as("staff", org=owner.org)
    assert staff.client.post(f"/invoices/{invoice.id}/cancel").status_code == 403
    assert staff.client.get(f"/invoices/{invoice.id}/credit").status_code == 403
    bookkeeper = login_as("bookkeeper", org=owner.org)
    assert bookkeeper.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"}).status_code == 303
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    assert staff.client.post(f"/invoices/{note.id}/issue", data={"version": note.version}).status_code == 403
    stranger = login_as("owner")
    for url in (f"/invoices/{invoice.id}/credit", f"/invoices/{invoice.id}/change-recipient"):
        assert stranger.client.get(url).status_code == 404
    for url in (f"/invoices/{invoice.id}/cancel", f"/invoices/{invoice.id}/reactivate", f"/invoices/{note.id}/issue"):
        assert stranger.client.post(url).status_code == 404
    assert reload(invoice).status == "issued" and reload(note).status == "draft"


def test_cancelling_a_partly_credited_invoice_credits_exactly_what_remains(owner, f):
    invoice = rich_invoice(f, owner.org)
    group = f"{invoice.tax_breakdown[1]['category']}|{invoice.tax_breakdown[1]['rate']}"
    owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "amount", "amount": "3.33", "group": group})
    first = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    issue_note(owner.client, first.id)
    assert owner.client.post(f"/invoices/{invoice.id}/cancel").status_code == 303
    invoice = reload(invoice)
    assert invoice.status == "cancelled" and invoice.credited_total == invoice.gross_total and invoice.amount_due == 0
    notes = db.session.scalars(select(Document).where(Document.kind == "credit_note").order_by(Document.id)).all()
    assert len(notes) == 2 and all(n.status == "issued" for n in notes)
    assert db.session.scalar(select(func.count()).select_from(DocumentLine)
                             .where(DocumentLine.document_id == notes[1].id)) == len(invoice.tax_breakdown)
