"""The seeds' whole flows through the API's actions, with the seeds' values: seed 002's seven steps plus cancel,
set-paid (and its 422 on a paid invoice and on a draft) and change recipient; seed 003's create, cancel,
reactivate and a note with two files; seed 004's issued with e-mail details and paid with payment details,
inclusive prices and a whole-invoice discount. Each asserts the figures, the statuses and the rows (the
outbox's messages, the payments, the credit notes, the notes)."""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Document, DocumentNote, OutboxMessage, Payment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def outbox(document_id) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.document_id == int(document_id))
                              .order_by(OutboxMessage.id)).all()


def customer(api, **values) -> str:
    body = {"company": "Acme Inc", "email": "billing@acme.example", "address": {"country_code": "DE"}, **values}
    answer = api.post("/customers", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def issued_invoice(api, customer_id, **values) -> dict:
    answer = api.post("/invoices", json={"customer_id": customer_id, "status": "issued", "items": [
        {"description": "Consulting — March 2026", "quantity": 10, "unit_extratax_amount": 15000, "tax_rate": 19}],
        **values})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_seed_002_seven_steps_then_set_paid_and_its_422(api):
    o = f"?o={api.org.id}"
    # 1. find the customer by e-mail: not there yet
    assert api.get(f"/customers{o}&filter[email]=jane@example.com&include=address").get_json()["data"] == []
    # 2. create her, locale de, and her address as its own resource
    made = api.post(f"/customers{o}", json={"given_name": "Jane", "family_name": "Doe", "email": "jane@example.com",
                                            "company": "Acme Inc", "locale": "de", "mobile": "+4917612345678"})
    assert made.status_code == 201, made.get_json()
    customer_id = made.get_json()["id"]
    address = api.put(f"/customers/{customer_id}/address{o}", json={
        "street_address": "Hauptstraße 42", "zip_code": "50667", "city": "Köln", "country_code": "DE"})
    assert address.status_code == 200, address.get_json()
    # 3. the draft, net prices
    draft = api.post(f"/invoices{o}", json={"currency": "EUR", "customer_id": customer_id,
                                            "calculate_from_net": True})
    assert draft.status_code == 201, draft.get_json()
    doc_id = draft.get_json()["id"]
    assert draft.get_json()["status"] == "draft" and draft.get_json()["total_tax_included_amount"] == 0
    # 4. the items one by one, the totals after each
    first = api.post(f"/invoices/{doc_id}/items{o}", json={"title": "Consulting — March 2026", "quantity": 10,
                                                           "unit_price": "150.00", "tax_rate": 19})
    assert first.status_code == 201, first.get_json()
    after_one = api.get(f"/invoices/{doc_id}{o}").get_json()
    assert (after_one["total_extratax_amount"], after_one["total_tax_amount"],
            after_one["total_tax_included_amount"]) == (150000, 28500, 178500)
    second = api.post(f"/invoices/{doc_id}/items{o}", json={"title": "Travel", "quantity": 1, "unit_price": "80",
                                                            "tax_rate": 7})
    assert second.status_code == 201, second.get_json()
    after_two = api.get(f"/invoices/{doc_id}{o}").get_json()
    assert (after_two["total_extratax_amount"], after_two["total_tax_amount"],
            after_two["total_tax_included_amount"]) == (158000, 29060, 187060)
    assert {t["percentage"]: (t["taxable_amount"], t["tax_amount"]) for t in after_two["taxes"]} == {
        "19": (150000, 28500), "7": (8000, 560)}
    # set-paid on a draft: 422
    early = api.post(f"/invoices/{doc_id}/set-paid{o}", json={"send_notification": True})
    assert early.status_code == 422 and early.get_json()["code"] == "document_is_draft"
    assert db.session.scalars(select(Payment)).all() == []
    # finalize
    issued = api.post(f"/invoices/{doc_id}/finalize{o}", headers={"If-Match": second.headers["ETag"]})
    assert issued.status_code == 200, issued.get_json()
    number = issued.get_json()["document_number"]
    assert issued.get_json()["status"] == "issued" and issued.get_json()["payment_status"] == "OPEN"
    # 5. send: to the customer, in her language (de), the PDF attached
    sent = api.post(f"/invoices/{doc_id}/send{o}")
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["status"] == "issued" and sent.get_json()["customer_url"]
    [message] = outbox(doc_id)
    assert message.kind == "invoice" and message.to_addrs == "jane@example.com" and message.cc_addrs == ""
    assert message.subject == f"Rechnung {number} von {api.org.name}" and message.attach_pdf is True
    assert number in message.body_text and "1.870,60" in message.body_text
    assert db.session.get(Document, int(doc_id)).sent_at is not None
    # 6./7. set-paid with seed 002's sendNotification: one payment of what was due, a confirmation e-mail
    paid = api.post(f"/invoices/{doc_id}/set-paid{o}&sendNotification=true")
    assert paid.status_code == 200, paid.get_json()
    body = paid.get_json()
    assert body["payment_status"] == "PAID" and body["amount_paid"] == 187060 and body["amount_due"] == 0
    [payment] = db.session.scalars(select(Payment).where(Payment.document_id == int(doc_id))).all()
    assert (payment.amount, payment.paid_on, payment.method) == (187060, date.today(), "bank_transfer")
    confirmation = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "payment_confirmation"))
    assert confirmation is not None and confirmation.to_addrs == "jane@example.com"
    # set-paid on a paid invoice: 422, nothing recorded
    again = api.post(f"/invoices/{doc_id}/set-paid{o}", json={"send_notification": True})
    assert again.status_code == 422 and again.get_json()["code"] == "nothing_due"
    assert again.mimetype == "application/problem+json"
    assert len(db.session.scalars(select(Payment)).all()) == 1
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "payment_confirmation")).all() == [
        confirmation]


def test_seed_002_set_paid_with_date_method_and_reference(api):
    doc = issued_invoice(api, customer(api))
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    paid = api.post(f"/invoices/{doc['id']}/set-paid", json={"paid_on": yesterday, "method": "card",
                                                             "reference": "STRIPE_ch_abc123"})
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["kpis"]["last_payment_date"] == yesterday
    payment = db.session.scalar(select(Payment).where(Payment.document_id == int(doc["id"])))
    assert (payment.amount, payment.method, payment.reference) == (178500, "card", "STRIPE_ch_abc123")
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "payment_confirmation")) is None
    future = api.post(f"/invoices/{issued_invoice(api, customer(api))['id']}/set-paid", json={
        "paid_on": (date.today() + timedelta(days=3)).isoformat()})
    assert future.status_code == 422 and future.get_json()["errors"][0]["pointer"] == "/paid_on"


def test_seed_002_cancel_makes_an_issued_credit_note(api):
    doc = issued_invoice(api, customer(api))
    cancelled = api.post(f"/invoices/{doc['id']}/cancel?o={api.org.id}")
    assert cancelled.status_code == 200, cancelled.get_json()
    body = cancelled.get_json()
    assert body["status"] == "cancelled" and body["payment_status"] == "CREDITED"
    assert body["amount_credited"] == 178500 and body["amount_due"] == 0
    [note_id] = body["credit_note_ids"]
    note = api.get(f"/invoices/{note_id}").get_json()
    assert note["kind"] == "credit_note" and note["status"] == "issued" and note["document_number"]
    assert note["related_id"] == doc["id"] and note["total_tax_included_amount"] == -178500
    assert body["kpis"]["credit_issued"] == 178500 and body["kpis"]["last_cancelled_on"] == date.today().isoformat()
    twice = api.post(f"/invoices/{doc['id']}/cancel")
    assert twice.status_code == 422 and twice.get_json()["code"] == "action_not_allowed"
    assert len(db.session.scalars(select(Document).where(Document.kind == "credit_note")).all()) == 1


def test_seed_002_change_recipient(api):
    first, other = customer(api), customer(api, company="Other GmbH", email="ap@other.example")
    doc = issued_invoice(api, first)
    moved = api.post(f"/invoices/{doc['id']}/change-recipient", json={"customer_id": other,
                                                                      "reason": "Wrong company"})
    assert moved.status_code == 201, moved.get_json()
    copy = moved.get_json()
    assert moved.headers["Location"].endswith(f"/api/v1/invoices/{copy['id']}")
    assert copy["status"] == "draft" and copy["customer_id"] == other and copy["related_id"] == doc["id"]
    assert copy["customer_name"] == "Other GmbH" and copy["total_tax_included_amount"] == 178500
    assert [i["description"] for i in copy["items"]] == ["Consulting — March 2026"]
    original = api.get(f"/invoices/{doc['id']}").get_json()
    assert original["status"] == "cancelled" and original["credit_note_ids"] == [copy["credit_note_id"]]
    note = db.session.get(Document, int(copy["credit_note_id"]))
    assert note.kind == "credit_note" and note.status == "issued" and note.notes == "Wrong company"
    same = api.post(f"/invoices/{copy['id']}/change-recipient", json={"customer_id": other})
    assert same.status_code == 422 and same.get_json()["code"] == "document_is_draft"
    missing = api.post(f"/invoices/{doc['id']}/change-recipient", json={"customer_id": "999999"})
    assert missing.status_code in (404, 422)


def test_seed_003_create_cancel_reactivate_and_a_note_with_two_files(api):
    account = customer(api, company="Seed Three Pty")
    created = api.post("/invoices", json={
        "currency": "EUR", "customer_id": account, "price_tax_inclusive": True, "invoice_note": "INVOICE_NOTE",
        "customer_purchase_order_id": "PO-4711", "status": "issued",
        "items": [{"description": "Package A", "quantity": "2", "unit_price": "119.00", "tax_rate": 19}]})
    assert created.status_code == 201, created.get_json()
    invoice = created.get_json()
    assert invoice["price_tax_inclusive"] is True and invoice["notes"] == "INVOICE_NOTE"
    assert invoice["customer_reference"] == "PO-4711"
    assert (invoice["total_tax_included_amount"], invoice["total_extratax_amount"], invoice["total_tax_amount"]) == (
        23800, 20000, 3800)
    # cancel (no body)
    cancelled = api.post(f"/invoices/{invoice['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["kpis"]["last_cancelled_on"] == date.today().isoformat()
    # reactivate: a new draft with the same content, linked; the cancelled invoice and its credit note stay
    again = api.post(f"/invoices/{invoice['id']}/reactivate")
    assert again.status_code == 201, again.get_json()
    copy = again.get_json()
    assert again.headers["Location"].endswith(f"/invoices/{copy['id']}")
    assert copy["status"] == "draft" and copy["related_id"] == invoice["id"] and copy["id"] != invoice["id"]
    assert copy["total_tax_included_amount"] == 23800 and copy["notes"] == "INVOICE_NOTE"
    after = api.get(f"/invoices/{invoice['id']}").get_json()
    # the moment of the reactivation, as a day in the organization's time zone (not the machine's: an hour a
    # day they differ)
    from datetime import datetime

    from webapp.domain.timezones import zone

    local_today = datetime.now(zone(api.org.time_zone)).date().isoformat()
    assert after["status"] == "cancelled" and after["kpis"]["last_reactivated_on"] == local_today
    assert cancelled.get_json()["kpis"]["last_reactivated_on"] is None and copy["kpis"]["last_reactivated_on"] is None
    assert db.session.get(Document, int(cancelled.get_json()["credit_note_ids"][0])).status == "issued"
    reissued = api.post(f"/invoices/{copy['id']}/finalize")
    assert reissued.status_code == 200 and reissued.get_json()["document_number"] != invoice["document_number"]
    # a note with two files, multipart as seed 003 sends it
    answer = api.post(f"/invoices/{invoice['id']}/notes", content_type="multipart/form-data", data={
        "note": "Proof of delivery attached",
        "file": [(io.BytesIO(PDF), "delivery receipt.pdf"), (io.BytesIO(PNG), "signature.png")]})
    assert answer.status_code == 201, answer.get_json()
    made = answer.get_json()  # ONE note with both files
    assert made["body"] == "Proof of delivery attached"
    assert [(f["filename"], f["size"], f["content_type"]) for f in made["files"]] == [
        ("delivery receipt.pdf", len(PDF), "application/pdf"), ("signature.png", len(PNG), "image/png")]
    [row] = db.session.scalars(select(DocumentNote).where(DocumentNote.document_id == int(invoice["id"]))).all()
    assert (row.body, [(f.file_name, f.file_size) for f in row.files]) == (
        "Proof of delivery attached", [("delivery receipt.pdf", len(PDF)), ("signature.png", len(PNG))])
    # files added to the note afterwards (seed 003: /invoices/{id}/notes/{note}), then listed with it
    more = api.post(f"/invoices/{invoice['id']}/notes/{made['id']}/files", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(PDF), "approval.pdf")})
    assert more.status_code == 201, more.get_json()
    assert [f["filename"] for f in more.get_json()["files"]] == ["delivery receipt.pdf", "signature.png", "approval.pdf"]
    [listed] = api.get(f"/invoices/{invoice['id']}/notes").get_json()["data"]
    assert listed["id"] == made["id"] and len(listed["files"]) == 3
    download = api.get(listed["files"][1]["url"].split("/api/v1", 1)[1])
    assert download.status_code == 200 and download.data == PNG and download.mimetype == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_seed_004_issued_with_email_details_and_paid_with_payment_details(api):
    recipient = customer(api, company="Booker BV", email="jane@booker.example")
    items = [{"description": "Booking", "quantity": 2, "unit_tax_included_amount": 11900, "tax_rate": 19}]
    issued = api.post("/invoices", json={
        "customer_id": recipient, "status": "issued", "items": items, "memo": "Thanks!",
        "discount": {"type": "percentage", "value": "10"},
        "email_details": {"subject": "Your invoice {number}", "body": "Dear {customer_name}, see {link}"}})
    assert issued.status_code == 201, issued.get_json()
    body = issued.get_json()
    # 238.00 gross, 10 % off: 214.20 gross = 180.00 net + 34.20 VAT
    assert body["status"] == "issued" and body["price_tax_inclusive"] is True
    assert (body["total_tax_included_amount"], body["total_extratax_amount"], body["total_tax_amount"]) == (
        21420, 18000, 3420)
    [message] = outbox(body["id"])
    assert message.to_addrs == "jane@booker.example" and message.subject == f"Your invoice {body['document_number']}"
    assert message.attach_pdf is True and body["customer_url"].split("/p/")[1] in message.body_text
    assert message.body_text.startswith("Dear Booker BV, see ")

    paid = api.post("/invoices", headers={"Idempotency-Key": "order-1001"}, json={
        "customer_id": recipient, "status": "paid", "items": items,
        "payment_details": {"reference": "tr_123", "method": "card"},
        "email_details": {"to": ["books@booker.example"], "cc": ["jane@booker.example"], "attach_pdf": False}})
    assert paid.status_code == 201, paid.get_json()
    body = paid.get_json()
    assert body["payment_status"] == "PAID" and body["amount_paid"] == 23800 and body["amount_due"] == 0
    payment = db.session.scalar(select(Payment).where(Payment.document_id == int(body["id"])))
    assert (payment.amount, payment.method, payment.reference) == (23800, "card", "tr_123")
    [message] = outbox(body["id"])
    assert (message.to_addrs, message.cc_addrs, message.attach_pdf) == (
        "books@booker.example", "jane@booker.example", False)
    assert message.subject == f"Rechnung {body['document_number']} von {api.org.name}"  # the customer speaks German
    replay = api.post("/invoices", headers={"Idempotency-Key": "order-1001"}, json={
        "customer_id": recipient, "status": "paid", "items": items,
        "payment_details": {"reference": "tr_123", "method": "card"},
        "email_details": {"to": ["books@booker.example"], "cc": ["jane@booker.example"], "attach_pdf": False}})
    assert replay.status_code == 201 and replay.get_json()["id"] == body["id"]
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 2


def test_seed_004_a_refused_email_refuses_the_whole_request(api):
    before = db.session.scalars(select(Document)).all()
    answer = api.post("/invoices", json={
        "customer_id": customer(api), "status": "issued",
        "items": [{"description": "Booking", "quantity": 1, "unit_extratax_amount": 100}],
        "email_details": {"to": ["not-an-address"], "subject": "Hi {nubmer}"}})
    assert answer.status_code == 422, answer.get_json()
    assert {e["pointer"]: e["code"] for e in answer.get_json()["errors"]} == {
        "/email_details/to": "invalid_email", "/email_details/subject": "unknown_placeholder"}
    assert db.session.scalars(select(Document)).all() == before
    assert db.session.scalars(select(OutboxMessage)).all() == []
    draft = api.post("/invoices", json={"customer_id": customer(api), "email_details": {}})
    assert draft.status_code == 422 and draft.get_json()["code"] == "email_details_need_issued"
