import pytest
from sqlalchemy import select
from webapp.extensions import db
from webapp.models import Document
from tests.views.test_corrections import rich_invoice, issue_note, reload

@pytest.fixture
def owner(owner):
    owner.org.prices_include_tax = True
    db.session.commit()
    return owner

def test_full_inclusive(owner, f):
    invoice = rich_invoice(f, owner.org)
    assert invoice.prices_include_tax
    owner.client.post(f"/invoices/{invoice.id}/credit", data={"mode": "full"})
    note = db.session.scalar(select(Document).where(Document.kind == "credit_note"))
    issue_note(owner.client, note.id)
    note, invoice = reload(note), reload(invoice)
    for name in ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total"):
        assert getattr(note, name) == -getattr(invoice, name), name
    assert invoice.amount_due == 0
