"""The input VAT of a period (issue 17): the booked purchases' VAT per rate by the suppliers' dates, supplier
credit notes against it; drafts, sales and other periods left out."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from webapp.extensions import db
from webapp.models import TaxRate
from webapp.queries.vat import vat_per_rate
from webapp.services import drafts, issuing, purchases


def purchase(org, user, supplier, on: date, lines, book=True, kind="invoice"):
    rates = {r.percent.normalize(): r for r in db.session.query(TaxRate).filter_by(org_id=org.id)}
    doc = purchases.new_purchase(org, user, supplier, kind)
    doc.chosen_issue_date = on
    for price, percent in lines:
        line = drafts.add_line(org, doc)
        drafts.update_line(doc, line, {"description": "x", "quantity": Decimal(1 if kind == "invoice" else -1),
                                       "unit_price": Decimal(price)}, rate=rates[Decimal(percent)], set_rate=True)
    db.session.commit()
    if book:
        issuing.issue(org, user, doc)
        db.session.commit()
    return doc


def test_the_input_vat_of_a_period_per_rate(owner, f):
    org, user = owner.org, owner.user
    supplier = f.contact(org, company="Großhandel Nord")
    purchase(org, user, supplier, date(2026, 10, 5), [("100.00", 19), ("50.00", 7)])
    purchase(org, user, supplier, date(2026, 11, 20), [("200.00", 19)])
    purchase(org, user, supplier, date(2026, 11, 21), [("40.00", 19)], kind="credit_note")
    purchase(org, user, supplier, date(2026, 11, 22), [("999.00", 19)], book=False)  # a draft
    purchase(org, user, supplier, date(2026, 9, 30), [("500.00", 19)])  # the quarter before
    f.issued(org)  # a sale: output VAT, not input
    rows = vat_per_rate(org.id, "purchases", date(2026, 10, 1), date(2026, 12, 31))
    assert [(r.category, r.rate, r.base, r.tax, r.documents) for r in rows] == [
        ("S", Decimal(19), 10000 + 20000 - 4000, 1900 + 3800 - 760, 3), ("S", Decimal(7), 5000, 350, 1)]
    page = owner.client.get("/purchases/vat?from=2026-10-01&to=2026-12-31").get_data(as_text=True)
    total = page.split('id="input-vat-total-EUR">')[1].split("<")[0]
    assert total.replace("\xa0", " ") in ("52,90 €", "€52.90")  # 19 % 49.40 + 7 % 3.50
    assert owner.client.get("/purchases/vat?from=2027-01-01&to=2027-01-31").get_data(as_text=True).count(
        'id="no-input-vat"') == 1
    refused = owner.client.get("/purchases/vat?from=yesterday")
    assert refused.status_code == 422 and "is not a date" in refused.get_data(as_text=True)
