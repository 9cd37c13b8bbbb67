import re
from decimal import Decimal
from sqlalchemy import select
from webapp.extensions import db
from webapp.models import Document, TaxRate
from tests.views.test_payments import reload
from tests.regressions.test_review import issue_last_note

def test_one_vat_group_credited_twice(owner, f):
    from webapp.services import documents
    org = owner.org
    doc = f.draft(org, f.contact(org, "K"), lines=[("Std", "1", "100.00"), ("Food", "1", "100.00")])
    seven = db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.percent == Decimal("7")))
    documents.update_line(doc, doc.lines[1], {}, rate=seven, set_rate=True)
    db.session.commit()
    documents.issue(org, owner.user, doc); db.session.commit()
    inv = reload(doc)
    print(inv.tax_breakdown, inv.gross_total)
    g19 = next(f"{g['category']}|{g['rate']}" for g in inv.tax_breakdown if Decimal(g['rate']) == 19)
    assert owner.client.post(f"/invoices/{inv.id}/credit", data={"mode": "amount", "amount": "100", "group": g19}).status_code == 303
    issue_last_note(owner.client)
    r = owner.client.post(f"/invoices/{inv.id}/credit", data={"mode": "amount", "amount": "80", "group": g19})
    print("2nd 19% credit:", r.status_code)
    issue_last_note(owner.client)
    inv = reload(inv)
    credited19 = sum(-g["base"] for n in db.session.scalars(select(Document).where(Document.kind == "credit_note", Document.status == "issued")) for g in n.tax_breakdown if Decimal(g["rate"]) == 19)
    print("19% base invoiced 10000, credited", credited19, "credited_total", inv.credited_total)
    r = owner.client.post(f"/invoices/{inv.id}/cancel", follow_redirects=True)
    print("cancel:", re.findall(r"(?:credit note must|credits more|is cancelled)[^<]*", r.data.decode()))
    assert credited19 <= 10000
