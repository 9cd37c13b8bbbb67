"""Bank statements through the API (issue 18): POST /api/v1/bank-statements as a multipart part or a raw body
answers 201 with the new entries and their proposals, the same file again adds nothing; POST
/api/v1/bank-transactions/<id>/confirm books the proposal, a ``document_id`` or a ``number`` as a payment dated
as booked; refusals are 422 problems with their codes and change nothing; staff may not, another organization
finds nothing. SQLite and PostgreSQL."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.views.test_bank_page import HOSTILE, TODAY, Entry, camt, count, fresh, issue_sales
from webapp.extensions import db
from webapp.models import BankStatement, BankTransaction, Document, Payment

BANK = Path(__file__).parent.parent / "fixtures" / "bank"


@pytest.fixture
def sales(api, f):
    s = issue_sales(api.org, f)
    s.delta = fresh(Document, f.issued(api.org, contact_=f.contact(api.org, company="Delta Dienste")).id)
    assert s.delta.amount_due == 2380  # as Alpha's: an amount alone proposes neither
    return s


def statement(s) -> bytes:
    return camt(
        Entry("23.80", "Kunde Alpha GmbH", f"Rechnung {s.alpha.number}", "BANKREF-1", 3, "DE02120300000000202051"),
        Entry("59.50", "Beta Handel KG", f"Invoice {s.beta.number}", "BANKREF-2", 2),
        Entry("10.00", "Gamma Bau", f"Teilzahlung {s.gamma.number}", "BANKREF-3", 1),
        Entry("-4.90", "Hausbank", "Kontofuehrung", "BANKREF-4", 0),
        Entry("23.80", "Unbekannt", "Zahlung", "BANKREF-5", 0))


def post_multipart(client, data: bytes, name: str = "statement.xml", **form):
    return client.post("/bank-statements", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def post_raw(client, data: bytes, query: str = "?file_name=march.xml", content_type: str = "application/xml"):
    return client.post(f"/bank-statements{query}", data=data, content_type=content_type)


def by_reference(body: dict) -> dict[str, dict]:
    return {t["reference"]: t for t in body["transactions"]}


def test_a_multipart_statement_answers_its_transactions_with_their_proposals(api, sales):
    answer = post_multipart(api, statement(sales))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["format"], body["account_iban"], body["currency"], body["entries"], body["new"]) == (
        "camt053", "DE89370400440532013000", "EUR", 5, 5)
    txns = by_reference(body)
    assert [(t["amount"], t["currency"], t["booked_on"], t["status"]) for t in body["transactions"]] == [
        (2380, "EUR", (TODAY - timedelta(days=3)).isoformat(), "open"),
        (5950, "EUR", (TODAY - timedelta(days=2)).isoformat(), "open"),
        (1000, "EUR", (TODAY - timedelta(days=1)).isoformat(), "open"),
        (-490, "EUR", TODAY.isoformat(), "open"),
        (2380, "EUR", TODAY.isoformat(), "open")]
    assert txns["BANKREF-1"]["proposal"] == {"document_id": str(sales.alpha.id), "number": sales.alpha.number,
                                             "reason": "number", "confidence": "exact"}
    assert txns["BANKREF-2"]["proposal"] == {"document_id": str(sales.beta.id), "number": sales.beta.number,
                                             "reason": "number", "confidence": "exact"}
    assert txns["BANKREF-3"]["proposal"] == {"document_id": str(sales.gamma.id), "number": sales.gamma.number,
                                             "reason": "number", "confidence": "high"}
    assert txns["BANKREF-4"]["proposal"] is None
    assert txns["BANKREF-5"]["proposal"] is None  # Alpha and Delta are both due 23.80
    first = txns["BANKREF-1"]
    assert (first["counterparty_name"], first["counterparty_iban"], first["remittance"]) == (
        "Kunde Alpha GmbH", "DE02120300000000202051", f"Rechnung {sales.alpha.number}")
    assert (first["document_id"], first["payment_id"]) == (None, None)
    stored = db.session.get(BankStatement, int(body["id"]))
    assert (stored.org_id, stored.file_name, stored.line_count, stored.new_count) == (
        api.org.id, "statement.xml", 5, 5)
    assert sorted(db.session.scalars(select(BankTransaction.amount).where(BankTransaction.org_id == api.org.id))) == [
        -490, 1000, 2380, 2380, 5950]
    assert count(Payment) == 0

    again = post_multipart(api, statement(sales), name="again.xml")
    assert again.status_code == 201
    assert (again.get_json()["entries"], again.get_json()["new"], again.get_json()["transactions"]) == (5, 0, [])
    assert count(BankTransaction, org_id=api.org.id) == 5


def test_a_raw_body_with_a_file_name_and_the_same_file_again(api, sales):
    answer = post_raw(api, statement(sales))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["entries"], body["new"], len(body["transactions"])) == (5, 5, 5)
    assert db.session.get(BankStatement, int(body["id"])).file_name == "march.xml"
    again = post_raw(api, statement(sales), content_type="application/octet-stream")
    assert again.status_code == 201 and (again.get_json()["new"], again.get_json()["transactions"]) == (0, [])
    overlap = camt(Entry("-4.90", "Hausbank", "Kontofuehrung", "BANKREF-4", 0),
                   Entry("35.70", "Gamma Bau", f"Rest {sales.gamma.number}", "BANKREF-6", 0), statement_id="STMT-2")
    added = post_raw(api, overlap, "?file_name=april.xml&format=camt053").get_json()
    assert (added["entries"], added["new"]) == (2, 1)
    assert [(t["reference"], t["amount"], t["proposal"]["confidence"]) for t in added["transactions"]] == [
        ("BANKREF-6", 3570, "exact")]
    assert count(BankTransaction, org_id=api.org.id) == 6


def test_an_mt940_statement_is_read_too(api):
    data = (BANK / "mt940_plain.sta").read_bytes()
    answer = post_raw(api, data, "?file_name=plain.sta", content_type="text/plain")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["format"], body["account_iban"], body["currency"], body["new"]) == (
        "mt940", "NL91ABNA0417164300", "EUR", 2)
    assert [t["amount"] for t in body["transactions"]] == [50000, -7525]


def test_confirming_the_proposal_a_document_id_and_a_number(api, sales):
    txns = by_reference(post_multipart(api, statement(sales)).get_json())

    proposal = api.post(f"/bank-transactions/{txns['BANKREF-1']['id']}/confirm", json={})
    assert proposal.status_code == 200, proposal.get_json()
    confirmed = proposal.get_json()["transaction"]
    assert (confirmed["id"], confirmed["status"], confirmed["document_id"]) == (
        txns["BANKREF-1"]["id"], "matched", str(sales.alpha.id))
    payment = db.session.get(Payment, int(confirmed["payment_id"]))
    assert (payment.document_id, payment.amount, payment.paid_on, payment.method, payment.reference) == (
        sales.alpha.id, 2380, TODAY - timedelta(days=3), "bank_transfer", "BANKREF-1")
    alpha = fresh(Document, sales.alpha.id)
    assert (alpha.payment_state, alpha.amount_due) == ("paid", 0)
    assert api.get(f"/invoices/{sales.alpha.id}").get_json()["payment_status"] == "PAID"

    chosen = api.post(f"/bank-transactions/{txns['BANKREF-3']['id']}/confirm",
                      json={"document_id": str(sales.beta.id)})  # proposed: Gamma
    assert chosen.status_code == 200, chosen.get_json()
    assert chosen.get_json()["transaction"]["document_id"] == str(sales.beta.id)
    beta, gamma = fresh(Document, sales.beta.id), fresh(Document, sales.gamma.id)
    assert (beta.payment_state, beta.amount_due, gamma.amount_due) == ("partially_paid", 4950, 3570)

    unmatched = api.post(f"/bank-transactions/{txns['BANKREF-5']['id']}/confirm", json={})
    assert unmatched.status_code == 422 and unmatched.get_json()["code"] == "bank_no_match"
    named = api.post(f"/bank-transactions/{txns['BANKREF-5']['id']}/confirm", json={"number": sales.delta.number})
    assert named.status_code == 200, named.get_json()
    assert named.get_json()["transaction"]["document_id"] == str(sales.delta.id)
    delta = fresh(Document, sales.delta.id)
    assert (delta.payment_state, delta.amount_due) == ("paid", 0)
    assert fresh(Document, sales.alpha.id).paid_total == 2380  # Alpha, due the same, got nothing more
    assert sorted(db.session.execute(select(Payment.document_id, Payment.amount, Payment.paid_on)).all()) == sorted([
        (sales.alpha.id, 2380, TODAY - timedelta(days=3)), (sales.beta.id, 1000, TODAY - timedelta(days=1)),
        (sales.delta.id, 2380, TODAY)])


def test_a_confirm_without_a_body_books_the_proposal(api, sales):
    txns = by_reference(post_multipart(api, statement(sales)).get_json())
    answer = api.post(f"/bank-transactions/{txns['BANKREF-2']['id']}/confirm")
    assert answer.status_code == 200, answer.get_json()
    assert fresh(Document, sales.beta.id).payment_state == "paid"


def test_refusals_are_problems_and_change_nothing(api, api_as, sales, f):
    txns = by_reference(post_multipart(api, statement(sales)).get_json())
    alpha_txn = txns["BANKREF-1"]["id"]
    assert api.post(f"/bank-transactions/{alpha_txn}/confirm", json={}).status_code == 200
    before = (count(Payment), fresh(Document, sales.alpha.id).paid_total)

    twice = api.post(f"/bank-transactions/{alpha_txn}/confirm", json={})
    assert twice.status_code == 422 and twice.get_json()["code"] == "bank_transaction_not_open", twice.get_json()
    assert twice.get_json()["detail"] == "This bank transaction is matched or set aside already."
    other = api.post(f"/bank-transactions/{alpha_txn}/confirm", json={"number": sales.delta.number})
    assert other.status_code == 422 and other.get_json()["code"] == "bank_transaction_not_open"

    open_txn = txns["BANKREF-2"]["id"]
    unknown = api.post(f"/bank-transactions/{open_txn}/confirm", json={"number": "INV-1999-9999"})
    assert unknown.status_code == 422 and unknown.get_json()["code"] == "bank_number_unknown"
    extra = api.post(f"/bank-transactions/{open_txn}/confirm", json={"amount": 5950})
    assert extra.status_code == 422, extra.get_json()
    assert api.post(f"/bank-transactions/{open_txn}/confirm", json={"document_id": "not-an-id"}).status_code == 422
    draft = f.draft(api.org)
    not_issued = api.post(f"/bank-transactions/{open_txn}/confirm", json={"document_id": str(draft.id)})
    assert not_issued.status_code in (409, 422), not_issued.get_json()
    stranger = api_as("owner")
    theirs = f.issued(stranger.org)
    foreign = api.post(f"/bank-transactions/{open_txn}/confirm", json={"document_id": str(theirs.id)})
    assert foreign.status_code == 404, foreign.get_json()
    missing = api.post("/bank-transactions/999999/confirm", json={})
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found", missing.get_json()

    assert (count(Payment), fresh(Document, sales.alpha.id).paid_total) == before
    assert fresh(BankTransaction, int(open_txn)).status == "open"
    assert fresh(Document, sales.beta.id).amount_due == 5950
    assert fresh(Document, theirs.id).amount_due == 2380


@pytest.mark.parametrize("data, code", [
    (HOSTILE, "bank_doctype_forbidden"),
    (b"", "file_required"),
    (b"hello, this is no statement", "bank_not_a_statement"),
    (b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>',
     "bank_not_xml"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrNtfctn/></Document>',
     "bank_not_a_statement"),
    (camt(), "bank_no_entries"),
])
def test_a_file_that_cannot_be_read_is_a_problem_and_stores_nothing(api, data, code):
    name = "notes.txt" if code == "bank_not_a_statement" else "statement.xml"  # a *.xml is malformed XML
    for answer in (post_raw(api, data, f"?file_name={name}", content_type="application/octet-stream"),
                   post_multipart(api, data, name=name)):
        assert answer.status_code == 422, answer.get_json()
        problem = answer.get_json()
        assert problem["code"] == code and problem["detail"], problem
    assert (count(BankStatement), count(BankTransaction)) == (0, 0)


def test_an_unknown_format_is_refused(api, sales):
    assert post_raw(api, statement(sales), "?file_name=a.xml&format=csv").status_code == 422
    assert post_raw(api, statement(sales), "?file_name=a.xml&unknown=1").status_code == 422
    wrong = post_raw(api, statement(sales), "?file_name=a.xml&format=mt940")
    assert wrong.status_code == 422 and wrong.get_json()["code"] == "bank_not_a_statement", wrong.get_json()
    assert (count(BankStatement), count(BankTransaction)) == (0, 0)


def test_a_format_in_the_multipart_form_is_used(api, sales):
    csv = post_multipart(api, statement(sales), format="csv")
    assert csv.status_code == 422 and csv.get_json()["code"] == "bank_not_csv", csv.get_json()  # an XML read as CSV
    bogus = post_multipart(api, statement(sales), format="excel")
    assert bogus.status_code == 422 and bogus.get_json()["code"] == "bank_unknown_format", bogus.get_json()
    assert (count(BankStatement), count(BankTransaction)) == (0, 0)
    assert post_multipart(api, statement(sales), format="camt053").status_code == 201


def test_a_body_over_the_request_limit_is_413_and_stores_nothing(api):
    answer = post_raw(api, b"<x>" + b" " * (17 * 1024 * 1024))
    assert answer.status_code == 413
    assert count(BankStatement) == 0


def test_staff_may_not_a_bookkeeper_may(api, api_as, sales):
    txns = by_reference(post_multipart(api, statement(sales)).get_json())
    staff = api_as("staff", org=api.org)
    refused = post_multipart(staff, camt(Entry("1.00", "X", "Y", "BANKREF-9")))
    assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    assert staff.post(f"/bank-transactions/{txns['BANKREF-1']['id']}/confirm", json={}).status_code == 403
    assert (count(BankStatement), count(BankTransaction), count(Payment)) == (1, 5, 0)

    bookkeeper = api_as("bookkeeper", org=api.org)
    more = camt(Entry("35.70", "Gamma Bau", f"Rest {sales.gamma.number}", "BANKREF-6", 0), statement_id="STMT-2")
    assert post_raw(bookkeeper, more).status_code == 201
    done = bookkeeper.post(f"/bank-transactions/{txns['BANKREF-1']['id']}/confirm", json={})
    assert done.status_code == 200 and fresh(Document, sales.alpha.id).payment_state == "paid"


def test_another_organizations_token_finds_no_transaction(api, api_as, sales, f):
    txns = by_reference(post_multipart(api, statement(sales)).get_json())
    stranger = api_as("owner")
    theirs = f.issued(stranger.org)
    for body in ({}, {"number": theirs.number}, {"document_id": str(theirs.id)}):
        answer = stranger.post(f"/bank-transactions/{txns['BANKREF-1']['id']}/confirm", json=body)
        assert answer.status_code == 404, (body, answer.get_json())
    assert count(Payment) == 0
    assert fresh(BankTransaction, int(txns["BANKREF-1"]["id"])).status == "open"
    assert [fresh(Document, d).amount_due for d in (sales.alpha.id, theirs.id)] == [2380, 2380]
