"""Custom fields for invoices on the web: defined beside the customers' fields ("Applies to"), shown on the
invoice page, changed in the draft's editor (plain form and htmx), read only once issued."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import CustomField, DocumentFieldValue


def values_of(doc) -> dict:
    return {r.field.key: (r.value_text, r.value_number, r.value_date) for r in db.session.scalars(
        select(DocumentFieldValue).where(DocumentFieldValue.document_id == doc.id))}


def test_fields_page_defines_fields_for_invoices_with_one_key_space(owner, f):
    c = owner.client
    page = c.get("/customers/fields")
    assert page.status_code == 200 and 'name="applies_to"' in page.data.decode()
    r = c.post("/customers/fields", data={"label": "Cost center", "key": "cost_center", "type": "text",
                                          "applies_to": "invoice"})
    assert r.status_code == 303
    field = db.session.scalar(select(CustomField).where(CustomField.key == "cost_center"))
    assert field.applies_to == "invoice" and field.org_id == owner.org.id
    assert c.post("/customers/fields", data={"label": "Tier", "key": "tier", "type": "text"}).status_code == 303
    assert db.session.scalar(select(CustomField).where(CustomField.key == "tier")).applies_to == "customer"
    # one key, one field, whichever it applies to
    taken = c.post("/customers/fields", data={"label": "Again", "key": "cost_center", "type": "text"})
    assert taken.status_code == 422 and "already uses this key" in taken.data.decode()
    bad = c.post("/customers/fields", data={"label": "X", "key": "x1", "type": "text", "applies_to": "payments"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.data.decode()
    assert db.session.scalar(select(func.count()).select_from(CustomField)) == 2
    listed = c.get("/customers/fields").data.decode()
    assert "Cost center" in listed and "Invoices" in listed
    # the customer form does not offer an invoice field
    assert "cf_cost_center" not in c.get("/customers/new").data.decode()
    assert "cf_tier" in c.get("/customers/new").data.decode()


def test_the_draft_editor_and_the_invoice_page_set_and_show_the_values(owner, f):
    f.custom_field(owner.org, "cost_center", applies_to="invoice", label="Cost center")
    f.custom_field(owner.org, "weight", type="number", applies_to="invoice", label="Weight")
    f.custom_field(owner.org, "gift", type="checkbox", applies_to="invoice", label="Gift")
    f.custom_field(owner.org, "delivered_on", type="date", applies_to="invoice", label="Delivered on")
    doc = f.draft(owner.org)
    c = owner.client
    editor = c.get(f"/invoices/{doc.id}/edit").data.decode()
    assert 'name="ca_cost_center"' in editor and 'id="custom-attributes"' in editor
    r = c.post(f"/invoices/{doc.id}/attributes", data={"version": doc.version, "back": "edit",
                                                        "ca_cost_center": "CC-7", "ca_weight": "12.5",
                                                        "ca_gift": "true", "ca_delivered_on": "2026-11-30"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/invoices/{doc.id}/edit")
    assert values_of(doc) == {"cost_center": ("CC-7", None, None), "weight": (None, Decimal("12.5"), None),
                              "gift": ("true", None, None), "delivered_on": (None, None, date(2026, 11, 30))}
    db.session.refresh(doc)
    # htmx: the region comes back with the draft's new version out of band; an unticked box is False
    r = c.post(f"/invoices/{doc.id}/attributes", data={"current_version": doc.version, "back": "edit",
                                                        "ca_cost_center": "CC-8", "ca_weight": "3"},
               headers={"HX-Request": "true"})
    assert r.status_code == 200
    body = r.data.decode()
    assert body.lstrip().startswith('<article id="custom-attributes">')
    db.session.refresh(doc)
    assert f'id="doc-version" name="current_version" value="{doc.version}" hx-swap-oob="true"' in body
    assert values_of(doc)["cost_center"] == ("CC-8", None, None) and "gift" not in values_of(doc)
    # a bad value: 422 with the message, nothing changed
    r = c.post(f"/invoices/{doc.id}/attributes", data={"current_version": doc.version, "back": "edit",
                                                        "ca_weight": "heavy"}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and "Weight: a number" in r.data.decode()
    assert values_of(doc)["weight"] == (None, Decimal("3"), None)
    # a stale version is refused
    r = c.post(f"/invoices/{doc.id}/attributes", data={"version": 1, "ca_cost_center": "old"})
    assert r.status_code == 303 and values_of(doc)["cost_center"] == ("CC-8", None, None)

    page = c.get(f"/invoices/{doc.id}").data.decode()
    assert 'value="CC-8"' in page  # the draft's page: the form


def test_an_issued_invoice_shows_its_values_read_only_and_keeps_them(owner, f):
    from webapp.services import attributes, issuing

    field = f.custom_field(owner.org, "cost_center", applies_to="invoice", label="Cost center")
    doc = f.draft(owner.org)
    attributes.replace(doc, {"cost_center": "CC-1"}, [field])
    issuing.issue(owner.org, owner.user, doc)
    db.session.commit()
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert "Cost center" in page and "CC-1" in page and 'name="ca_cost_center"' not in page
    r = owner.client.post(f"/invoices/{doc.id}/attributes", data={"version": doc.version, "ca_cost_center": "CC-2"})
    assert r.status_code == 303 and values_of(doc) == {"cost_center": ("CC-1", None, None)}
    # the field stays while issued invoices carry it
    assert owner.client.post(f"/customers/fields/{field.id}/delete").status_code == 303
    assert db.session.get(CustomField, field.id) is not None


def test_staff_edit_bookkeepers_only_read(owner, f, login_as):
    f.custom_field(owner.org, "cost_center", applies_to="invoice", label="Cost center")
    doc = f.draft(owner.org)
    keeper = login_as("bookkeeper", org=owner.org)
    assert keeper.client.post(f"/invoices/{doc.id}/attributes", data={"version": doc.version,
                                                                      "ca_cost_center": "X"}).status_code == 403
    assert 'name="ca_cost_center"' not in keeper.client.get(f"/invoices/{doc.id}").data.decode()
    staff = login_as("staff", org=owner.org)
    assert staff.client.post(f"/invoices/{doc.id}/attributes", data={"version": doc.version,
                                                                     "ca_cost_center": "S-1"}).status_code == 303
    assert values_of(doc) == {"cost_center": ("S-1", None, None)}
    other = login_as("owner")
    assert other.client.post(f"/invoices/{doc.id}/attributes", data={"version": doc.version,
                                                                     "ca_cost_center": "X"}).status_code == 404
    assert values_of(doc) == {"cost_center": ("S-1", None, None)}
