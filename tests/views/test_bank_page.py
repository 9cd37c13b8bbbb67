"""The bank page (issue 18) through the web client: a CAMT.053 uploaded lists its transactions with the proposed
invoice and how sure the proposal is, the same file again books nothing twice; a proposal confirmed (or another
invoice named by its number) records the payment dated as booked; every exact match at once; set aside and
reopened; the search (counterparty, amount, status) as an htmx partial; hostile and empty uploads refused with
nothing stored; owners and bookkeepers only, and only the organization's own transactions. SQLite and PostgreSQL.

``camt()`` writes the statement the tests upload: a camt.053.001.02 valid against the official schema (checked
here), with the numbers and amounts of the invoices the test issued."""
from __future__ import annotations

import html as html_text
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import BankStatement, BankTransaction, Document, Payment

BANK = Path(__file__).parent.parent / "fixtures" / "bank"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
ACCOUNT = "DE89370400440532013000"
TODAY = date.today()


@dataclass(frozen=True)
class Entry:
    amount: str  # major units, signed: + money in, - money out
    name: str
    text: str
    reference: str
    days_ago: int = 0
    iban: str = ""


def camt(*entries: Entry, statement_id: str = "STMT-1", account: str = ACCOUNT) -> bytes:
    """A camt.053.001.02 with one statement of ``entries`` (each booked, one transaction each)."""
    def ntry(e: Entry) -> str:
        credit = not e.amount.startswith("-")
        amount = f"{abs(Decimal(e.amount)):.2f}"
        day = (TODAY - timedelta(days=e.days_ago)).isoformat()
        party, other = ("Dbtr", "Cdtr") if credit else ("Cdtr", "Dbtr")
        account_xml = f"<{party}Acct><Id><IBAN>{e.iban}</IBAN></Id></{party}Acct>" if e.iban else ""
        parties = (f"<{party}><Nm>{escape(e.name)}</Nm></{party}>{account_xml}"
                   f"<{other}><Nm>Tallybook Test GmbH</Nm></{other}>")
        if not credit:  # the schema's order: Dbtr, DbtrAcct, ..., Cdtr, CdtrAcct
            parties = (f"<Dbtr><Nm>Tallybook Test GmbH</Nm></Dbtr><Cdtr><Nm>{escape(e.name)}</Nm></Cdtr>"
                       f"{account_xml}")
        return (
            f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>"
            f"<Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
            f"<AcctSvcrRef>{e.reference}</AcctSvcrRef>"
            f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{'RCDT' if credit else 'ICDT'}</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
            f"</Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><RltdPties>{parties}</RltdPties>"
            f"<RmtInf><Ustrd>{escape(e.text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")

    closing = Decimal("1000.00") + sum(Decimal(e.amount) for e in entries)
    balance = ("<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount:.2f}</Amt>"
               "<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>")
    return (
        f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{NS}\"><BkToCstmrStmt>"
        f"<GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>{TODAY.isoformat()}T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>{TODAY.isoformat()}T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + balance.format(code="OPBD", amount=Decimal("1000.00"), sign="CRDT", day=TODAY.isoformat())
        + balance.format(code="CLBD", amount=abs(closing), sign="CRDT" if closing >= 0 else "DBIT",
                         day=TODAY.isoformat())
        + "".join(ntry(e) for e in entries)
        + "</Stmt></BkToCstmrStmt></Document>\n").encode()


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


@dataclass
class Sales:
    alpha: Document  # due 23.80
    beta: Document  # due 59.50
    gamma: Document  # due 35.70


def issue_sales(org, f) -> Sales:
    alpha = f.issued(org, contact_=f.contact(org, company="Kunde Alpha GmbH"))
    beta = f.issued(org, contact_=f.contact(org, company="Beta Handel KG"), lines=(("Service", "1", "50.00"),))
    gamma = f.issued(org, contact_=f.contact(org, company="Gamma Bau"), lines=(("Widget", "3", "10.00"),))
    sales = Sales(*(fresh(Document, d.id) for d in (alpha, beta, gamma)))
    assert [d.amount_due for d in (sales.alpha, sales.beta, sales.gamma)] == [2380, 5950, 3570]
    assert all(re.fullmatch(r"INV-\d{4}-\d{4}", d.number) for d in (sales.alpha, sales.beta, sales.gamma))
    return sales


def statement_for(s: Sales) -> bytes:
    """Alpha and Beta paid in full with their numbers (exact), a part of Gamma (high), the bank's fee (none)."""
    return camt(
        Entry("23.80", "Kunde Alpha GmbH", f"Rechnung {s.alpha.number} Danke", "BANKREF-1", 3,
              "DE02120300000000202051"),
        Entry("59.50", "Beta Handel KG", f"Invoice {s.beta.number}", "BANKREF-2", 2, "DE02500105170137075030"),
        Entry("10.00", "Gamma Bau", f"Teilzahlung {s.gamma.number}", "BANKREF-3", 1),
        Entry("-4.90", "Hausbank", "Kontofuehrung", "BANKREF-4", 0))


@pytest.fixture
def sales(owner, f) -> Sales:
    return issue_sales(owner.org, f)


def upload(client, data: bytes | None, name: str = "statement.xml", **form):
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    return client.post("/bank/statements", data=form, content_type="multipart/form-data")


def flash_texts(html: str) -> list[tuple[str, str]]:
    """The flashed messages of a page: (category, text as a browser shows it, its spaces folded)."""
    return [(category, " ".join(html_text.unescape(message).split()))
            for category, message in re.findall(r'<p class="flash flash-(\w+)" role="status">([^<]*)</p>', html)]


def flashes(client) -> list[tuple[str, str]]:
    """The flashed messages the next page shows."""
    return flash_texts(client.get("/bank/?status=all").get_data(as_text=True))


def rows(html: str) -> dict[int, str]:
    """The queue's rows by transaction id: their text, tags stripped and spaces folded."""
    found = re.findall(r'<tr id="transaction-(\d+)">(.*?)</tr>', html, re.S)
    return {int(id_): " ".join(re.sub(r"<[^>]+>", " ", body).split()) for id_, body in found}


def by_reference(org) -> dict[str, BankTransaction]:
    db.session.expire_all()
    return {t.reference: t for t in db.session.scalars(select(BankTransaction).where(BankTransaction.org_id == org.id))}


def imported(owner, sales: Sales) -> dict[str, BankTransaction]:
    answer = upload(owner.client, statement_for(sales))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return by_reference(owner.org)


def test_the_statement_the_tests_upload_is_a_valid_camt_053_001_02(sales):
    schema = etree.XMLSchema(etree.parse(str(BANK / "camt.053.001.02.xsd")))
    document = etree.fromstring(statement_for(sales))
    assert schema.validate(document), schema.error_log


def test_an_upload_lists_the_transactions_with_their_proposals_and_again_imports_nothing(owner, sales):
    data = statement_for(sales)
    answer = upload(owner.client, data)
    assert answer.status_code == 303 and answer.headers["Location"] == "/bank/"
    page = owner.client.get("/bank/")
    text = page.get_data(as_text=True)
    assert ("success", "4 new transactions were imported. 2 exact matches are proposed.") in flash_texts(text)
    txns = by_reference(owner.org)
    assert sorted(txns) == ["BANKREF-1", "BANKREF-2", "BANKREF-3", "BANKREF-4"]
    assert {ref: (t.amount, t.currency, t.booked_on, t.status) for ref, t in txns.items()} == {
        "BANKREF-1": (2380, "EUR", TODAY - timedelta(days=3), "open"),
        "BANKREF-2": (5950, "EUR", TODAY - timedelta(days=2), "open"),
        "BANKREF-3": (1000, "EUR", TODAY - timedelta(days=1), "open"),
        "BANKREF-4": (-490, "EUR", TODAY, "open")}
    assert {ref: (t.proposed_document_id, t.proposal_reason, t.confidence) for ref, t in txns.items()} == {
        "BANKREF-1": (sales.alpha.id, "number", "exact"), "BANKREF-2": (sales.beta.id, "number", "exact"),
        "BANKREF-3": (sales.gamma.id, "number", "high"), "BANKREF-4": (None, "", "")}
    statement = db.session.scalars(select(BankStatement).where(BankStatement.org_id == owner.org.id)).one()
    assert (statement.format, statement.account_iban, statement.line_count, statement.new_count,
            statement.opening_balance, statement.closing_balance) == ("camt053", ACCOUNT, 4, 4, 100000, 108840)

    listed = rows(text)
    assert set(listed) == {t.id for t in txns.values()}
    alpha_row = listed[txns["BANKREF-1"].id]
    assert sales.alpha.number in alpha_row and "Exact" in alpha_row and "Its number is in the text" in alpha_row
    assert "Kunde Alpha GmbH" in alpha_row and "DE02120300000000202051" in alpha_row
    assert sales.gamma.number in listed[txns["BANKREF-3"].id] and "High" in listed[txns["BANKREF-3"].id]
    assert "Exact" not in listed[txns["BANKREF-4"].id] and "INV-" not in listed[txns["BANKREF-4"].id]
    assert 'class="badge confidence-exact"' in text and 'class="badge confidence-high"' in text
    assert 'id="confirm-exact-form"' in text and "Confirm all 2 exact matches" in text
    assert "4 open, 0 matched, 0 set aside." in text
    assert 'id="statements"' in text and "statement.xml" in text

    again = upload(owner.client, data, name="statement-again.xml")
    assert again.status_code == 303
    assert ("success", "0 new transactions were imported. 4 were imported before and are left as they are.") in (
        flashes(owner.client))
    assert count(BankTransaction, org_id=owner.org.id) == 4
    assert db.session.scalars(select(BankStatement.new_count).where(BankStatement.org_id == owner.org.id)
                              .order_by(BankStatement.id)).all() == [4, 0]
    assert count(Payment) == 0  # importing records nothing


def test_an_overlapping_statement_adds_only_the_entries_not_seen(owner, sales):
    imported(owner, sales)
    overlap = camt(Entry("-4.90", "Hausbank", "Kontofuehrung", "BANKREF-4", 0),
                   Entry("35.70", "Gamma Bau", f"Rest {sales.gamma.number}", "BANKREF-5", 0), statement_id="STMT-2")
    assert upload(owner.client, overlap).status_code == 303
    assert ("success", "1 new transaction was imported. 1 was imported before and is left as it is. "
                       "1 exact match is proposed.") in flashes(owner.client)
    assert count(BankTransaction, org_id=owner.org.id) == 5
    assert by_reference(owner.org)["BANKREF-5"].proposed_document_id == sales.gamma.id


def test_confirming_the_proposal_records_the_payment_dated_as_booked(owner, sales):
    txns = imported(owner, sales)
    alpha_txn = txns["BANKREF-1"]
    answer = owner.client.post(f"/bank/transactions/{alpha_txn.id}/confirm", data={"number": ""})
    assert answer.status_code == 303 and answer.headers["Location"] == "/bank/"
    assert ("success", f"The payment on {sales.alpha.number} was recorded.") in flashes(owner.client)
    invoice = fresh(Document, sales.alpha.id)
    assert (invoice.payment_state, invoice.amount_due, invoice.paid_total) == ("paid", 0, 2380)
    payment = db.session.scalars(select(Payment).where(Payment.document_id == invoice.id)).one()
    assert (payment.amount, payment.paid_on, payment.method, payment.reference) == (
        2380, TODAY - timedelta(days=3), "bank_transfer", "BANKREF-1")
    txn = fresh(BankTransaction, alpha_txn.id)
    assert (txn.status, txn.document_id, txn.payment_id, txn.confirmed_by_id) == (
        "matched", invoice.id, payment.id, owner.user.id)
    assert txn.confirmed_at is not None

    matched = owner.client.get("/bank/?status=matched").get_data(as_text=True)
    assert set(rows(matched)) == {alpha_txn.id}
    assert "Matched" in rows(matched)[alpha_txn.id] and sales.alpha.number in rows(matched)[alpha_txn.id]
    assert f'/invoices/{invoice.id}"' in matched
    assert alpha_txn.id not in rows(owner.client.get("/bank/").get_data(as_text=True))  # no longer open
    assert "3 open, 1 matched, 0 set aside." in matched

    again = owner.client.post(f"/bank/transactions/{alpha_txn.id}/confirm", data={})
    assert again.status_code == 303
    assert ("error", "This bank transaction is matched or set aside already.") in flashes(owner.client)
    assert count(Payment, document_id=invoice.id) == 1


def test_another_invoices_number_in_the_form_pays_that_one(owner, sales):
    txns = imported(owner, sales)
    gamma_txn = txns["BANKREF-3"]  # 10.00, proposed: Gamma
    answer = owner.client.post(f"/bank/transactions/{gamma_txn.id}/confirm?status=all&q=gamma",
                               data={"number": f"  {sales.beta.number} "})
    assert answer.status_code == 303 and answer.headers["Location"] == "/bank/?status=all&q=gamma"
    assert ("success", f"The payment on {sales.beta.number} was recorded.") in flashes(owner.client)
    beta, gamma = fresh(Document, sales.beta.id), fresh(Document, sales.gamma.id)
    assert (beta.payment_state, beta.amount_due) == ("partially_paid", 4950)
    assert (gamma.payment_state, gamma.amount_due) == ("unpaid", 3570)
    payment = db.session.scalars(select(Payment).where(Payment.document_id == beta.id)).one()
    assert (payment.amount, payment.paid_on) == (1000, TODAY - timedelta(days=1))
    txn = fresh(BankTransaction, gamma_txn.id)
    assert (txn.status, txn.document_id, txn.payment_id) == ("matched", beta.id, payment.id)


def test_an_unknown_number_is_an_error_and_changes_nothing(owner, sales):
    txns = imported(owner, sales)
    answer = owner.client.post(f"/bank/transactions/{txns['BANKREF-2'].id}/confirm", data={"number": "INV-1999-9999"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/bank/"
    assert ("error", "No issued invoice or purchase is numbered INV-1999-9999.") in flashes(owner.client)
    fee = owner.client.post(f"/bank/transactions/{txns['BANKREF-4'].id}/confirm", data={})  # no proposal, no number
    assert fee.status_code == 303
    assert ("error", "Choose the invoice or purchase this transaction pays.") in flashes(owner.client)
    assert count(Payment) == 0
    assert {t.status for t in by_reference(owner.org).values()} == {"open"}
    assert fresh(Document, sales.beta.id).amount_due == 5950


def test_confirm_exact_confirms_every_exact_match_and_leaves_the_others(owner, sales):
    txns = imported(owner, sales)
    answer = owner.client.post("/bank/confirm-exact")
    assert answer.status_code == 303 and answer.headers["Location"] == "/bank/"
    page = owner.client.get("/bank/")
    text = page.get_data(as_text=True)
    assert ("success", "2 payments were recorded.") in flash_texts(text)
    paid = db.session.execute(select(Payment.document_id, Payment.amount, Payment.paid_on).order_by(Payment.amount))
    assert paid.all() == [(sales.alpha.id, 2380, TODAY - timedelta(days=3)),
                          (sales.beta.id, 5950, TODAY - timedelta(days=2))]
    assert [fresh(Document, d.id).payment_state for d in (sales.alpha, sales.beta, sales.gamma)] == [
        "paid", "paid", "unpaid"]
    now = by_reference(owner.org)
    assert {ref: t.status for ref, t in now.items()} == {"BANKREF-1": "matched", "BANKREF-2": "matched",
                                                        "BANKREF-3": "open", "BANKREF-4": "open"}
    assert set(rows(text)) == {txns["BANKREF-3"].id, txns["BANKREF-4"].id}
    assert 'id="confirm-exact-form"' not in text and "2 open, 2 matched, 0 set aside." in text
    assert owner.client.post("/bank/confirm-exact").status_code == 303  # nothing left: records nothing
    assert ("success", "0 payments were recorded.") in flashes(owner.client)
    assert count(Payment) == 2


def test_set_aside_and_reopen(owner, sales):
    fee = imported(owner, sales)["BANKREF-4"]
    answer = owner.client.post(f"/bank/transactions/{fee.id}/set-aside", data={"ignored": "1"})
    assert answer.status_code == 303
    assert ("success", "The transaction was set aside.") in flashes(owner.client)
    assert fresh(BankTransaction, fee.id).status == "ignored"
    assert fee.id not in rows(owner.client.get("/bank/").get_data(as_text=True))
    aside = owner.client.get("/bank/?status=ignored").get_data(as_text=True)
    assert set(rows(aside)) == {fee.id} and "Set aside" in rows(aside)[fee.id] and "Reopen" in rows(aside)[fee.id]
    assert "3 open, 0 matched, 1 set aside." in aside
    confirmed = owner.client.post(f"/bank/transactions/{fee.id}/confirm", data={"number": sales.alpha.number})
    assert confirmed.status_code == 303  # a set-aside entry is not matched
    assert ("error", "This bank transaction is matched or set aside already.") in flashes(owner.client)
    assert count(Payment) == 0

    back = owner.client.post(f"/bank/transactions/{fee.id}/set-aside?status=ignored", data={"ignored": "0"})
    assert back.status_code == 303 and back.headers["Location"] == "/bank/?status=ignored"
    assert ("success", "The transaction is open again.") in flashes(owner.client)
    assert fresh(BankTransaction, fee.id).status == "open"
    assert fee.id in rows(owner.client.get("/bank/").get_data(as_text=True))
    again = owner.client.post(f"/bank/transactions/{fee.id}/set-aside", data={"ignored": "0"})
    assert again.status_code == 303
    assert ("error", "This bank transaction is not set aside.") in flashes(owner.client)
    assert fresh(BankTransaction, fee.id).status == "open"


def test_a_matched_transaction_cannot_be_set_aside(owner, sales):
    alpha_txn = imported(owner, sales)["BANKREF-1"]
    owner.client.post(f"/bank/transactions/{alpha_txn.id}/confirm", data={})
    owner.client.get("/bank/")  # the success flash
    assert owner.client.post(f"/bank/transactions/{alpha_txn.id}/set-aside", data={}).status_code == 303
    assert ("error", "This bank transaction is matched or set aside already.") in flashes(owner.client)
    assert fresh(BankTransaction, alpha_txn.id).status == "matched"


def test_the_search_answers_htmx_with_the_queue_alone(owner, sales):
    txns = imported(owner, sales)
    htmx = {"HX-Request": "true"}
    answer = owner.client.get("/bank/?q=Beta Handel", headers=htmx)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert text.lstrip().startswith('<div id="bank-queue">') and "<html" not in text and "statement-form" not in text
    assert set(rows(text)) == {txns["BANKREF-2"].id}
    assert answer.headers["HX-Push-Url"] == "/bank/?q=Beta+Handel"
    lower = owner.client.get("/bank/?q=kunde alpha", headers=htmx).get_data(as_text=True)
    assert set(rows(lower)) == {txns["BANKREF-1"].id}

    by_amount = owner.client.get("/bank/?q=23,80", headers=htmx).get_data(as_text=True)
    assert set(rows(by_amount)) == {txns["BANKREF-1"].id}
    assert set(rows(owner.client.get("/bank/?q=4.90", headers=htmx).get_data(as_text=True))) == {
        txns["BANKREF-4"].id}  # money out is found by its amount too
    by_text = owner.client.get(f"/bank/?q={sales.gamma.number}", headers=htmx).get_data(as_text=True)
    assert set(rows(by_text)) == {txns["BANKREF-3"].id}
    by_iban = owner.client.get("/bank/?q=DE02 5001 0517 0137 0750 30", headers=htmx).get_data(as_text=True)
    assert set(rows(by_iban)) == {txns["BANKREF-2"].id}
    nothing = owner.client.get("/bank/?q=nobody-like-this", headers=htmx).get_data(as_text=True)
    assert rows(nothing) == {} and "No transactions match." in nothing

    owner.client.post(f"/bank/transactions/{txns['BANKREF-1'].id}/confirm", data={})
    matched = owner.client.get("/bank/?status=matched", headers=htmx)
    assert set(rows(matched.get_data(as_text=True))) == {txns["BANKREF-1"].id}
    assert matched.headers["HX-Push-Url"] == "/bank/?status=matched"
    assert set(rows(owner.client.get("/bank/?q=23,80", headers=htmx).get_data(as_text=True))) == set()  # open only
    assert set(rows(owner.client.get("/bank/?q=23,80&status=all", headers=htmx).get_data(as_text=True))) == {
        txns["BANKREF-1"].id}
    everything = owner.client.get("/bank/?status=all", headers=htmx).get_data(as_text=True)
    assert set(rows(everything)) == {t.id for t in txns.values()}
    full = owner.client.get("/bank/?q=Beta").get_data(as_text=True)  # without htmx: the whole page
    assert "<html" in full and 'id="statement-form"' in full and set(rows(full)) == {txns["BANKREF-2"].id}


HOSTILE = (b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
           b'<Document xmlns="' + NS.encode() + b'"><BkToCstmrStmt><GrpHdr><MsgId>&xxe;</MsgId></GrpHdr>'
           b'</BkToCstmrStmt></Document>')


def nothing_stored(org) -> bool:
    return (count(BankStatement, org_id=org.id), count(BankTransaction, org_id=org.id)) == (0, 0)


@pytest.mark.parametrize("name, data, message", [
    ("evil.xml", HOSTILE, "The statement XML declares a document type (DOCTYPE), which no bank statement has: it "
                          "was refused unread."),
    ("empty.xml", b"", "This file is empty."),
    ("blank.sta", b"  \n\n ", "This file is empty."),
    ("notes.txt", b"hello, this is no statement", "This file is neither a CAMT.053 (XML) nor an MT940 bank "
                                                   "statement."),
    ("broken.xml", b'<?xml version="1.0"?><Document xmlns="' + NS.encode() + b'"><BkToCstmrStmt>',
     "The statement XML is malformed (line 1) and cannot be read."),
])
def test_a_hostile_or_empty_upload_is_refused_and_nothing_is_stored(owner, name, data, message):
    answer = upload(owner.client, data, name=name)
    assert answer.status_code == 303 and answer.headers["Location"] == "/bank/"
    assert ("error", message) in flashes(owner.client)
    assert nothing_stored(owner.org)


def test_an_upload_without_a_file_part_is_refused(owner):
    answer = upload(owner.client, None)
    assert answer.status_code == 303
    assert ("error", "This file is empty.") in flashes(owner.client)
    assert nothing_stored(owner.org)


@pytest.mark.parametrize("format, message", [
    ("csv", "This file is not a CSV table of a bank statement: download the statement from the bank as CSV (a "
            "spreadsheet such as .xlsx or a PDF cannot be read)."),
    ("excel", "Choose CAMT.053, MT940 or CSV, or let Tallybook tell."),
    ("mt940", "This file is neither a CAMT.053 (XML) nor an MT940 bank statement."),
])
def test_a_format_chosen_that_the_file_is_not_is_refused(owner, sales, format, message):
    assert upload(owner.client, statement_for(sales), format=format).status_code == 303
    assert ("error", message) in flashes(owner.client)
    assert nothing_stored(owner.org)
    assert upload(owner.client, statement_for(sales), format="camt053").status_code == 303
    assert count(BankTransaction, org_id=owner.org.id) == 4


def test_a_statement_without_booked_entries_stores_nothing(owner):
    assert upload(owner.client, camt()).status_code == 303
    assert ("error", "This statement has no booked entries.") in flashes(owner.client)
    assert nothing_stored(owner.org)


def test_a_refused_file_after_a_good_one_leaves_the_good_one_alone(owner, sales):
    imported(owner, sales)
    owner.client.get("/bank/")  # the success flash
    assert upload(owner.client, HOSTILE, name="evil.xml").status_code == 303
    assert (count(BankStatement, org_id=owner.org.id), count(BankTransaction, org_id=owner.org.id)) == (1, 4)


def test_staff_may_not_use_the_bank_page_a_bookkeeper_may(owner, sales, login_as):
    txns = imported(owner, sales)
    staff = login_as("staff", org=owner.org)
    assert staff.client.get("/bank/").status_code == 403
    assert staff.client.get("/bank/?q=beta", headers={"HX-Request": "true"}).status_code == 403
    assert upload(staff.client, camt(Entry("1.00", "X", "Y", "BANKREF-9"))).status_code == 403
    assert staff.client.post(f"/bank/transactions/{txns['BANKREF-1'].id}/confirm", data={}).status_code == 403
    assert staff.client.post(f"/bank/transactions/{txns['BANKREF-4'].id}/set-aside", data={}).status_code == 403
    assert staff.client.post("/bank/confirm-exact").status_code == 403
    assert count(Payment) == 0 and count(BankTransaction) == 4
    assert {t.status for t in by_reference(owner.org).values()} == {"open"}

    bookkeeper = login_as("bookkeeper", org=owner.org)
    page = bookkeeper.client.get("/bank/")
    assert page.status_code == 200 and set(rows(page.get_data(as_text=True))) == {t.id for t in txns.values()}
    more = camt(Entry("35.70", "Gamma Bau", f"Rest {sales.gamma.number}", "BANKREF-5", 0), statement_id="STMT-2")
    assert upload(bookkeeper.client, more).status_code == 303
    fifth = by_reference(owner.org)["BANKREF-5"]
    assert fifth.statement.uploaded_by_id == bookkeeper.user.id
    assert bookkeeper.client.post(f"/bank/transactions/{txns['BANKREF-1'].id}/confirm", data={}).status_code == 303
    assert bookkeeper.client.post(f"/bank/transactions/{txns['BANKREF-4'].id}/set-aside", data={}).status_code == 303
    assert bookkeeper.client.post("/bank/confirm-exact").status_code == 303  # Beta's and Gamma's rest
    assert [fresh(Document, d.id).payment_state for d in (sales.alpha, sales.beta, sales.gamma)] == [
        "paid", "paid", "paid"]
    assert fresh(BankTransaction, txns["BANKREF-1"].id).confirmed_by_id == bookkeeper.user.id
    assert fresh(BankTransaction, txns["BANKREF-4"].id).status == "ignored"


def test_another_organizations_transaction_is_not_found(owner, sales, login_as, f):
    txns = imported(owner, sales)
    stranger = login_as("owner")
    f.complete_org(stranger.org)
    theirs = issue_sales(stranger.org, f)  # the same numbers in their own organization
    assert theirs.alpha.number == sales.alpha.number
    alpha_txn = txns["BANKREF-1"]
    assert stranger.client.post(f"/bank/transactions/{alpha_txn.id}/confirm", data={}).status_code == 404
    assert stranger.client.post(f"/bank/transactions/{alpha_txn.id}/confirm",
                                data={"number": theirs.alpha.number}).status_code == 404
    assert stranger.client.post(f"/bank/transactions/{alpha_txn.id}/set-aside", data={}).status_code == 404
    assert stranger.client.post("/bank/confirm-exact").status_code == 303  # their own: none
    assert rows(stranger.client.get("/bank/?status=all").get_data(as_text=True)) == {}
    assert count(Payment) == 0
    assert fresh(BankTransaction, alpha_txn.id).status == "open"
    assert [fresh(Document, d.id).amount_due for d in (theirs.alpha, sales.alpha)] == [2380, 2380]
    assert stranger.client.get(f"/bank/?q={sales.alpha.number}").status_code == 200
