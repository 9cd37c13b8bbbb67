"""/api/v1/invoices/{id}/...: the document actions one by one - send (the dialog's defaults, the checks, one
message per Idempotency-Key), credit notes (full, lines, amount; finalized on their own), quotes (accept,
decline, convert), notes (JSON, multipart, refused files change nothing), the customer's link (get, renew,
revoke) and the roles."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.api.test_seed_flows import PDF, PNG, customer, issued_invoice, outbox
from webapp.extensions import db
from webapp.models import Document, DocumentNote, DocumentNoteFile, OutboxMessage


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_send_takes_the_dialogs_defaults_and_the_organizations_template(api):
    api.org.invoice_email_subject = "{company}: invoice {number}"
    api.org.invoice_email_body = "Hello {customer_name},\n\n{total} by {due_date}.\n{link}"
    api.org.invoice_email_attach_pdf = False
    db.session.commit()
    doc = issued_invoice(api, customer(api))
    sent = api.post(f"/invoices/{doc['id']}/send", json={})
    assert sent.status_code == 200, sent.get_json()
    [message] = outbox(doc["id"])
    assert message.to_addrs == "billing@acme.example" and message.attach_pdf is False
    assert message.subject == f"{api.org.name}: invoice {doc['document_number']}"
    assert message.body_text.startswith("Hello Acme Inc,") and "/p/" in message.body_text
    # everything given: to, cc, subject, message, the PDF
    again = api.post(f"/invoices/{doc['id']}/send", json={
        "to": ["a@shop.example", "B@Shop.example"], "cc": ["boss@shop.example"], "subject": "Invoice {number}",
        "message": "See {link}", "attach_pdf": True})
    assert again.status_code == 200, again.get_json()
    last = outbox(doc["id"])[-1]
    assert (last.to_addrs, last.cc_addrs, last.subject, last.attach_pdf) == (
        "a@shop.example, B@shop.example", "boss@shop.example", f"Invoice {doc['document_number']}", True)


def test_send_refuses_bad_input_with_pointers_and_queues_nothing(api):
    doc = issued_invoice(api, customer(api))
    answer = api.post(f"/invoices/{doc['id']}/send", json={"to": ["nobody"], "cc": ["x@"], "subject": "",
                                                           "body": "Dear {customer}"})
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert {e["pointer"]: e["code"] for e in answer.get_json()["errors"]} == {
        "/to": "invalid_email", "/cc": "invalid_email", "/subject": "subject_required", "/body": "unknown_placeholder"}
    too_many = api.post(f"/invoices/{doc['id']}/send", json={"to": [f"a{i}@x.example" for i in range(11)]})
    assert too_many.status_code == 422 and too_many.get_json()["errors"][0]["pointer"] == "/to"
    unknown = api.post(f"/invoices/{doc['id']}/send", json={"bcc": ["x@y.example"]})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["pointer"] == "/bcc"
    # a customer without an address and no `to`: the use case's refusal
    silent = issued_invoice(api, customer(api, email=""))
    nobody = api.post(f"/invoices/{silent['id']}/send")
    assert nobody.status_code == 422 and nobody.get_json()["errors"][0] == {
        "code": "recipient_required", "detail": "Enter the recipient's e-mail address.", "pointer": "/to"}
    draft = api.post("/invoices", json={"customer_id": customer(api), "items": [
        {"description": "x", "unit_extratax_amount": 100}]}).get_json()
    refused = api.post(f"/invoices/{draft['id']}/send")
    assert refused.status_code == 422 and refused.get_json()["code"] == "document_is_draft"
    assert count(OutboxMessage) == 0


def test_send_with_one_idempotency_key_queues_one_message(api):
    doc = issued_invoice(api, customer(api))
    first = api.post(f"/invoices/{doc['id']}/send", headers={"Idempotency-Key": "send-1"}, json={"subject": "Hi"})
    replay = api.post(f"/invoices/{doc['id']}/send", headers={"Idempotency-Key": "send-1"}, json={"subject": "Hi"})
    assert first.status_code == replay.status_code == 200 and first.get_json() == replay.get_json()
    other = api.post(f"/invoices/{doc['id']}/send", headers={"Idempotency-Key": "send-1"}, json={"subject": "Yo"})
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    [message] = outbox(doc["id"])
    assert message.idempotency_key == "send-1" and message.subject == "Hi"
    assert api.post(f"/invoices/{doc['id']}/send").status_code == 200 and len(outbox(doc["id"])) == 2


def test_credit_notes_full_lines_and_amount_then_finalized_on_their_own(api):
    doc = api.post("/invoices", json={"customer_id": customer(api), "status": "issued", "items": [
        {"description": "Hours", "quantity": 10, "unit_extratax_amount": 10000, "tax_rate": 19},
        {"description": "Book", "quantity": 2, "unit_extratax_amount": 2000, "tax_rate": 7}]}).get_json()
    hours, book = [i["id"] for i in doc["items"]]
    lines = api.post(f"/invoices/{doc['id']}/credit-notes", json={
        "mode": "lines", "reason": "Two hours too many", "lines": [{"item_id": hours, "quantity": "2"}]})
    assert lines.status_code == 201, lines.get_json()
    note = lines.get_json()
    assert lines.headers["Location"].endswith(f"/invoices/{note['id']}")
    assert (note["kind"], note["status"], note["related_id"], note["notes"]) == (
        "credit_note", "draft", doc["id"], "Two hours too many")
    assert note["total_extratax_amount"] == -20000 and note["total_tax_amount"] == -3800
    issued = api.post(f"/invoices/{note['id']}/finalize")
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["status"] == "issued" and issued.get_json()["document_number"]
    invoice = api.get(f"/invoices/{doc['id']}").get_json()
    assert invoice["amount_credited"] == 23800 and invoice["credit_note_ids"] == [note["id"]]
    amount = api.post(f"/invoices/{doc['id']}/credit-notes", json={"mode": "amount", "amount": 1070, "tax_rate": 7,
                                                                   "tax_category": "S"})
    assert amount.status_code == 201, amount.get_json()
    assert amount.get_json()["total_tax_included_amount"] == -1145
    assert {t["percentage"] for t in amount.get_json()["taxes"]} == {"7"}
    full = api.post(f"/invoices/{doc['id']}/credit-notes", json={"mode": "full"})
    assert full.status_code == 201, full.get_json()
    # the full note credits what the issued line note left: the drafts do not count until issued
    assert full.get_json()["total_tax_included_amount"] == -(invoice["total_tax_included_amount"] - 23800)
    # refusals: an unknown item, too much, a VAT group the invoice has not, no amount
    for body, code in (({"mode": "lines", "lines": [{"item_id": "999999", "quantity": "1"}]}, "line_not_on_invoice"),
                       ({"mode": "lines", "lines": [{"item_id": book, "quantity": "3"}]}, "credit_exceeds_line"),
                       ({"mode": "amount", "amount": 100, "tax_rate": 16}, "vat_group_unknown"),
                       ({"mode": "amount"}, "amount_required")):
        answer = api.post(f"/invoices/{doc['id']}/credit-notes", json=body)
        assert answer.status_code == 422 and answer.get_json()["code"] == code, (body, answer.get_json())
    assert count(Document) == 4  # the invoice and three credit notes


def test_quotes_accept_decline_and_convert(api):
    customer_id = customer(api)

    def sent_quote():
        quote = api.post("/invoices", json={"customer_id": customer_id, "is_quote": True, "items": [
            {"description": "Offer", "unit_extratax_amount": 5000}]}).get_json()
        sent = api.post(f"/invoices/{quote['id']}/finalize").get_json()
        assert sent["status"] == "sent" and sent["kind"] == "quote"
        return sent["id"]

    accepted = api.post(f"/invoices/{(quote := sent_quote())}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    converted = api.post(f"/invoices/{quote}/convert")
    assert converted.status_code == 201, converted.get_json()
    invoice = converted.get_json()
    assert invoice["kind"] == "invoice" and invoice["status"] == "draft" and invoice["related_id"] == quote
    assert invoice["total_extratax_amount"] == 5000
    assert converted.headers["Location"].endswith(f"/invoices/{invoice['id']}")
    twice = api.post(f"/invoices/{quote}/convert")
    assert twice.status_code == 422 and twice.get_json()["code"] == "already_converted"
    declined = api.post(f"/invoices/{(other := sent_quote())}/decline")
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    cannot = api.post(f"/invoices/{other}/convert")
    assert cannot.status_code == 422 and cannot.get_json()["code"] == "action_not_allowed"
    draft = api.post("/invoices", json={"customer_id": customer_id, "is_quote": True}).get_json()
    assert api.post(f"/invoices/{draft['id']}/accept").get_json()["code"] == "document_is_draft"


def test_notes_as_json_and_refused_files_change_nothing(api):
    doc = issued_invoice(api, customer(api))
    plain = api.post(f"/invoices/{doc['id']}/notes", json={"body": "Called the customer"})
    assert plain.status_code == 201, plain.get_json()
    note = plain.get_json()
    assert note["body"] == "Called the customer" and note["files"] == [] and note["created_by"]
    assert plain.headers["Location"].endswith(f"/invoices/{doc['id']}/notes/{note['id']}")
    assert api.get(f"/invoices/{doc['id']}/notes/{note['id']}").get_json() == note
    empty = api.post(f"/invoices/{doc['id']}/notes", json={})
    assert empty.status_code == 422 and empty.get_json()["code"] == "note_empty"
    # the second file is no PDF, PNG or JPEG: the note is not kept
    bad = api.post(f"/invoices/{doc['id']}/notes", content_type="multipart/form-data", data={
        "body": "Two files", "files": [(io.BytesIO(PDF), "ok.pdf"), (io.BytesIO(b"MZ\x90\x00"), "virus.exe")]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0] == {
        "code": "file_type_refused", "pointer": "/files/1",
        "detail": "Only PDF, PNG and JPEG files can be attached (checked from the file's content)."}
    text_part = api.post(f"/invoices/{doc['id']}/notes", content_type="multipart/form-data",
                         data={"body": "x", "files": "not a file"})
    assert text_part.status_code == 422 and text_part.get_json()["errors"][0]["pointer"].startswith("/files")
    assert count(DocumentNote) == 1 and count(DocumentNoteFile) == 0
    other = api.post(f"/invoices/{doc['id']}/notes", data="body=x", content_type="text/plain")
    assert other.status_code == 415
    missing = api.get(f"/invoices/{doc['id']}/notes/{note['id']}/file")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_files_added_to_a_note_all_or_none_and_at_most_ten(api, api_as):
    doc = issued_invoice(api, customer(api))
    note = api.post(f"/invoices/{doc['id']}/notes", content_type="multipart/form-data", data={
        "body": "Scans", "files": [(io.BytesIO(PDF), f"scan {i}.pdf") for i in range(8)]}).get_json()
    url = f"/invoices/{doc['id']}/notes/{note['id']}/files"
    added = api.post(url, content_type="multipart/form-data", data={"files": [(io.BytesIO(PNG), "photo.png")]})
    assert added.status_code == 201, added.get_json()
    files = added.get_json()["files"]
    assert [f["filename"] for f in files] == [f"scan {i}.pdf" for i in range(8)] + ["photo.png"]
    assert files[-1]["url"].endswith(f"{url}/{files[-1]['id']}")
    too_many = api.post(url, content_type="multipart/form-data", data={
        "files": [(io.BytesIO(PNG), "a.png"), (io.BytesIO(PNG), "b.png")]})
    assert too_many.status_code == 422 and too_many.get_json()["code"] == "too_many_files"
    bad = api.post(url, content_type="multipart/form-data", data={"files": [(io.BytesIO(b"GIF89a"), "x.gif")]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == "/files/0"
    none = api.post(url, json={})
    assert none.status_code == 422 and none.get_json()["code"] == "files_missing"
    assert count(DocumentNoteFile) == 9
    last = api.post(url, content_type="multipart/form-data", data={"file": (io.BytesIO(PDF), "ten.pdf")})
    assert last.status_code == 201 and len(last.get_json()["files"]) == 10
    # another document's or organization's note: 404, nothing added
    other_doc = issued_invoice(api, customer(api, company="Other Ltd"))
    assert api.post(f"/invoices/{other_doc['id']}/notes/{note['id']}/files", content_type="multipart/form-data",
                    data={"files": [(io.BytesIO(PNG), "x.png")]}).status_code == 404
    stranger = api_as("owner")
    assert stranger.post(url, content_type="multipart/form-data",
                         data={"files": [(io.BytesIO(PNG), "x.png")]}).status_code == 404
    assert stranger.get(f"{url}/{files[0]['id']}").status_code == 404
    assert count(DocumentNoteFile) == 10
    download = api.get(f"{url}/{files[-1]['id']}")
    assert download.status_code == 200 and download.data == PNG and download.mimetype == "image/png"
    first = api.get(f"/invoices/{doc['id']}/notes/{note['id']}/file")  # the URL of when a note held one file
    assert first.status_code == 200 and first.data == PDF


def test_the_customers_link_get_renew_revoke(api):
    doc = issued_invoice(api, customer(api))
    link = api.get(f"/invoices/{doc['id']}/link").get_json()
    assert link["active"] is True and link["customer_url"] == doc["customer_url"] and link["viewed_at"] is None
    renewed = api.post(f"/invoices/{doc['id']}/link")
    assert renewed.status_code == 200 and renewed.get_json()["customer_url"] not in (None, doc["customer_url"])
    assert api.get(f"/invoices/{doc['id']}").get_json()["customer_url"] == renewed.get_json()["customer_url"]
    old_token = doc["customer_url"].rsplit("/", 1)[1]
    assert api.client.get(f"/p/{old_token}").status_code == 404
    assert api.delete(f"/invoices/{doc['id']}/link").status_code == 204
    assert api.get(f"/invoices/{doc['id']}/link").get_json() == {"customer_url": None, "active": False,
                                                                 "viewed_at": None}
    gone = api.delete(f"/invoices/{doc['id']}/link")
    assert gone.status_code == 422 and gone.get_json()["code"] == "no_link"
    draft = api.post("/invoices", json={"customer_id": customer(api)}).get_json()
    assert api.get(f"/invoices/{draft['id']}/link").get_json()["customer_url"] is None
    assert api.post(f"/invoices/{draft['id']}/link").get_json()["code"] == "document_is_draft"


def test_roles(api, api_as):
    doc = issued_invoice(api, customer(api))
    bookkeeper, staff = api_as("bookkeeper", org=api.org), api_as("staff", org=api.org)
    assert bookkeeper.post(f"/invoices/{doc['id']}/send").status_code == 403
    assert staff.post(f"/invoices/{doc['id']}/cancel").status_code == 403
    assert staff.post(f"/invoices/{doc['id']}/credit-notes", json={}).status_code == 403
    assert count(OutboxMessage) == 0 and count(Document) == 1
    assert bookkeeper.post(f"/invoices/{doc['id']}/notes", json={"body": "Checked"}).status_code == 201
    assert bookkeeper.post(f"/invoices/{doc['id']}/set-paid").status_code == 200
    assert bookkeeper.post(f"/invoices/{doc['id']}/cancel").get_json()["status"] == "cancelled"


def test_a_multipart_note_retried_with_another_boundary_is_replayed_not_refused(api):
    """The idempotency fingerprint of a multipart body is its fields and files, not its framing."""
    doc = issued_invoice(api, customer(api))
    key = {"Idempotency-Key": "note-retry-1"}

    def post(files):
        return api.post(f"/invoices/{doc['id']}/notes", content_type="multipart/form-data", headers=key,
                        data={"body": "Delivery receipt", "files": files})

    first = post([(io.BytesIO(PDF), "receipt.pdf"), (io.BytesIO(PNG), "photo.png")])
    assert first.status_code == 201, first.get_json()
    again = post([(io.BytesIO(PDF), "receipt.pdf"), (io.BytesIO(PNG), "photo.png")])  # a new boundary
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert count(DocumentNote) == 1 and count(DocumentNoteFile) == 2
    other = post([(io.BytesIO(PNG), "receipt.png")])
    assert other.status_code == 422 and other.get_json()["code"] == "idempotency_key_reused"
    assert count(DocumentNote) == 1
