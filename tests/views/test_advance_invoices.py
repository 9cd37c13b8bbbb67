"""Advance invoices in the editor: the header's box marks a draft an advance invoice (htmx and without JavaScript);
a final invoice's draft lists the customer's issued advance invoices in its currency and deducts the ticked ones
(htmx: the section, the totals with the deductions and the amount due, the version); a refused choice changes nothing;
the invoice page, the PDF and the API show the same. SQLite and PostgreSQL."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.einvoice.test_advance import buyer, invoice
from webapp.extensions import db
from webapp.models import Document, DocumentDeduction
from webapp.usecases import Actor

HX = {"HX-Request": "true"}


def actor_of(owner) -> Actor:
    return Actor(org=owner.org, user=owner.user, role="owner")


def reload(doc) -> Document:
    db.session.expire_all()
    return db.session.get(Document, doc.id)


def header_data(doc, **values) -> dict:
    return {"current_version": doc.version, "currency": doc.currency, "payment_terms": "14", **values}


def test_the_header_box_marks_an_advance_invoice(owner):
    contact = buyer(owner.org)
    doc = invoice(actor_of(owner), contact, "100.00", issue=False)
    page = owner.client.get(f"/invoices/{doc.id}/edit")
    assert page.status_code == 200 and 'name="advance"' in page.data.decode()
    r = owner.client.post(f"/invoices/{doc.id}/header", data=header_data(doc, advance="y"), headers=HX)
    assert r.status_code == 200, r.data.decode()[:500]
    assert reload(doc).advance is True
    # the deductions section follows out of band (an advance invoice deducts none): empty
    assert 'id="invoice-deductions" hx-swap-oob="true"' in r.data.decode()
    # unticked (a box that is not sent), without JavaScript: back to the editor
    r = owner.client.post(f"/invoices/{doc.id}/header", data=header_data(reload(doc)))
    assert r.status_code == 303 and reload(doc).advance is False
    # a quote has no such box
    quote = invoice(actor_of(owner), contact, "100.00", issue=False)
    quote.kind = "quote"
    db.session.commit()
    assert 'name="advance"' not in owner.client.get(f"/invoices/{quote.id}/edit").data.decode()


def test_a_final_invoice_draft_deducts_the_ticked_advance_invoices(owner):
    actor = actor_of(owner)
    contact = buyer(owner.org)
    first = invoice(actor, contact, "1000.00", advance=True)
    second = invoice(actor, contact, "500.00", advance=True)
    other_customer = invoice(actor, buyer(owner.org, "Other AG"), "100.00", advance=True)
    final = invoice(actor, contact, "4000.00", issue=False)
    page = owner.client.get(f"/invoices/{final.id}/edit").data.decode()
    section = page[page.index('id="invoice-deductions"'):]
    section = section[:section.index("</section>")]
    assert "Deduct advance invoices" in section and first.number in section and second.number in section
    assert other_customer.number not in section
    r = owner.client.post(f"/invoices/{final.id}/deductions", headers=HX,
                          data={"current_version": final.version, "advance_id": [str(first.id), str(second.id)]})
    assert r.status_code == 200, r.data.decode()[:500]
    html = r.data.decode()
    assert len(re.findall(r'name="advance_id" value="\d+" checked', html)) == 2
    assert re.search(r'id="invoice-totals"[^>]*hx-swap-oob="true"', html)
    assert f"Less advance invoice {first.number}" in html and re.search("−1\\.190,00\\s€", html)  # de
    assert re.search(r'id="total-payable">2\.975,00\s€', html)
    final = reload(final)
    assert [d.advance_id for d in final.deductions] == [first.id, second.id]
    assert final.deducted_total == 178500 and final.payable_total == 297500
    # untick one
    r = owner.client.post(f"/invoices/{final.id}/deductions", headers=HX,
                          data={"current_version": final.version, "advance_id": [str(second.id)]})
    assert r.status_code == 200 and [d.advance_id for d in reload(final).deductions] == [second.id]
    # a stale version, or another customer's advance invoice (a forged form): refused, nothing changed
    final = reload(final)
    for data in ({"current_version": final.version - 1, "advance_id": [str(first.id)]},
                 {"current_version": final.version, "advance_id": [str(other_customer.id)]}):
        r = owner.client.post(f"/invoices/{final.id}/deductions", headers=HX, data=data)
        assert r.status_code == 409
        assert [d.advance_id for d in reload(final).deductions] == [second.id]
    assert "another customer" in r.data.decode()
    # issued from the editor: the page shows the deduction and what is due
    r = owner.client.post(f"/invoices/{final.id}/issue", data={"version": reload(final).version})
    assert r.status_code in (302, 303), r.data.decode()[:500]
    final = reload(final)
    assert final.status == "issued" and final.prepaid_total == 59500 and final.amount_due == 476000 - 59500
    show = owner.client.get(f"/invoices/{final.id}").data.decode()
    assert f"Less advance invoice {second.number}" in show and re.search("4\\.165,00\\s€", show)
    assert db.session.scalar(select(func.count()).select_from(DocumentDeduction)) == 1
    # the advance invoice's page is titled so; in German too
    assert f"Advance invoice {second.number}" in owner.client.get(f"/invoices/{second.id}").data.decode()
    german = owner.client.get(f"/invoices/{second.id}", headers={"Accept-Language": "de"}).data.decode()
    assert f"Abschlagsrechnung {second.number}" in german


def test_a_draft_that_deducts_cannot_become_an_advance_invoice(owner, api_as):
    actor = actor_of(owner)
    contact = buyer(owner.org)
    first = invoice(actor, contact, "100.00", advance=True)
    final = invoice(actor, contact, "1000.00", issue=False, deduct=(first,))
    r = owner.client.post(f"/invoices/{final.id}/header", data=header_data(final, advance="y"), headers=HX)
    assert r.status_code == 422
    assert "An advance invoice cannot deduct other advance invoices." in r.data.decode()
    after = reload(final)
    assert after.advance is False and after.version == final.version and len(after.deductions) == 1
    # the API names the field
    api = api_as("owner", org=owner.org)
    answer = api.patch(f"/invoices/{final.id}", json={"is_advance": True})
    assert answer.status_code == 422
    assert [(e["code"], e["pointer"]) for e in answer.get_json()["errors"]] == [("advance_deducts", "/is_advance")]
    assert reload(final).advance is False
