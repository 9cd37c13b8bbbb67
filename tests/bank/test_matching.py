"""Bank transactions matched to invoices and purchases (issue 18): the proposal for a number in the text (exact
and partial), the amount and the payer's name or an IBAN seen before, the amount alone; refunds both ways; a
confirmed match recorded as a payment through the payment rules; voiding it reopens the transaction; importing
again books nothing twice; every exact match at once, one refused leaving the others. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.models import BankTransaction, Document, Payment
from webapp.services import bank, bank_files
from webapp.usecases import Actor
from webapp.usecases import bank as bank_usecases
from webapp.usecases import payments as payment_usecases

FIXTURES = Path(__file__).parent.parent / "fixtures" / "einvoice"
TODAY = date.today()


@pytest.fixture
def actor(owner) -> Actor:
    return Actor(org=owner.org, user=owner.user, role=owner.role)


def line(amount: str, text: str = "", name: str = "", iban: str = "", reference: str = "", days_ago: int = 0,
         currency: str = "EUR") -> bank_files.BankLine:
    return bank_files.BankLine(booked_on=TODAY - timedelta(days=days_ago), amount=Decimal(amount), currency=currency,
                               counterparty_name=name, counterparty_iban=iban, remittance=text, reference=reference)


def imported(actor: Actor, *lines: bank_files.BankLine, name: str = "statement.xml") -> bank.Imported:
    done = bank.store(actor.org, actor.user, name, bank_files.Statement(
        format="camt053", account_iban="DE89 3704 0044 0532 0130 00", currency="EUR", lines=list(lines)))
    db.session.commit()
    return done


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def sale(actor: Actor, f, company: str = "Kunde GmbH", price: str = "10.00") -> Document:
    doc = f.issued(actor.org, contact_=f.contact(actor.org, company=company), lines=(("Widget", "2", price),))
    return fresh(Document, doc.id)


def test_the_number_in_the_text_and_the_amount_due_is_an_exact_match_and_confirming_it_pays(actor, f):
    invoice = sale(actor, f)
    assert invoice.amount_due == 2380
    (txn,) = imported(actor, line("23.80", f"Rechnung {invoice.number} Danke", "KUNDE GMBH", "DE02120300000000202051",
                                  reference="REF-1")).new
    assert (txn.proposed_document_id, txn.proposal_reason, txn.confidence) == (invoice.id, "number", "exact")
    done = bank_usecases.confirm(actor, txn.id)
    db.session.commit()
    invoice, txn = fresh(Document, invoice.id), fresh(BankTransaction, txn.id)
    assert (invoice.payment_state, invoice.amount_due) == ("paid", 0)
    payment = db.session.get(Payment, done.payment.id)
    assert (payment.amount, payment.paid_on, payment.method, payment.reference) == (2380, TODAY, "bank_transfer",
                                                                                      "REF-1")
    assert (txn.status, txn.document_id, txn.payment_id) == ("matched", invoice.id, payment.id)


def test_a_number_written_with_spaces_or_in_lower_case_is_found_and_a_partial_payment_is_high(actor, f):
    invoice = sale(actor, f)
    spaced = " ".join(invoice.number.lower().replace("-", " ").split())
    (txn,) = imported(actor, line("10.00", f"Teilzahlung {spaced}")).new
    assert (txn.proposed_document_id, txn.confidence) == (invoice.id, "high")
    bank_usecases.confirm(actor, txn.id)
    db.session.commit()
    assert (fresh(Document, invoice.id).payment_state, fresh(Document, invoice.id).amount_due) == ("partially_paid",
                                                                                                     1380)


def test_without_a_number_the_amount_and_the_name_propose_and_the_amount_alone_only_when_unique(actor, f):
    first = sale(actor, f, "Müller Bau GmbH")
    second = sale(actor, f, "Schmidt Elektro")
    (named,) = imported(actor, line("23.80", "Zahlung", "MUELLER BAU")).new  # as banks write Müller
    assert (named.proposed_document_id, named.proposal_reason, named.confidence) == (first.id, "amount_name", "medium")
    (by_name,) = imported(actor, line("23.80", "Zahlung", "Schmidt Elektro KG", days_ago=1)).new
    assert (by_name.proposed_document_id, by_name.proposal_reason, by_name.confidence) == (
        second.id, "amount_name", "medium")
    third = sale(actor, f, "Weber", price="50.00")
    (alone,) = imported(actor, line("119.00", "Ueberweisung", "Unbekannt")).new
    assert (alone.proposed_document_id, alone.proposal_reason, alone.confidence) == (third.id, "amount", "low")
    (none,) = imported(actor, line("23.80", "Ueberweisung", "Unbekannt", days_ago=2)).new
    assert none.proposed_document_id is None  # two invoices are due 23.80 and the name is neither's


def test_an_iban_confirmed_before_proposes_the_same_customer_again(actor, f):
    first = sale(actor, f, "Acme")
    (txn,) = imported(actor, line("23.80", "Zahlung", "A. Payer", "DE02120300000000202051")).new
    bank_usecases.confirm(actor, txn.id, number=first.number)
    db.session.commit()
    second = fresh(Document, f.issued(actor.org, contact_=first.contact).id)  # the same customer's next invoice
    sale(actor, f, "Other Ltd")  # the same amount due: only the IBAN tells them apart
    (again,) = imported(actor, line("23.80", "Zahlung", "A. Payer", "DE02 1203 0000 0000 2020 51", days_ago=1)).new
    assert (again.proposed_document_id, again.proposal_reason) == (second.id, "amount_iban")


def test_money_out_pays_a_purchase_by_the_suppliers_number_and_refunds_an_overpaid_sale(actor, f):
    from webapp.usecases.inbox import Upload, receive_files
    from webapp.usecases.issuing import issue

    (outcome,) = receive_files(actor, [Upload("a.xml", (FIXTURES / "ubl-tc434-example1.xml").read_bytes())])
    db.session.commit()
    issue(actor, outcome.document.id, outcome.document.version)
    db.session.commit()
    purchase = fresh(Document, outcome.document.id)
    invoice = sale(actor, f)
    payment_usecases.record_payment(actor, invoice.id, payment_usecases.PaymentInput(
        amount=Decimal("30.00"), paid_on=TODAY, key="over", allow_overpayment=True))
    db.session.commit()
    assert fresh(Document, invoice.id).amount_due == -620
    paid, refunded = imported(actor, line("-250.33", "Invoice 12115118", "De Koksmaat"),
                              line("-6.20", "Erstattung Ueberzahlung", "Kunde GmbH")).new
    assert (paid.proposed_document_id, paid.confidence) == (purchase.id, "exact")
    assert (refunded.proposed_document_id, refunded.proposal_reason) == (invoice.id, "amount_name")
    bank_usecases.confirm(actor, paid.id)
    db.session.commit()
    bank_usecases.confirm(actor, refunded.id)
    db.session.commit()
    assert (fresh(Document, purchase.id).payment_state, fresh(Document, purchase.id).amount_due) == ("paid", 0)
    assert fresh(Document, invoice.id).amount_due == 0
    amounts = db.session.scalars(select(Payment.amount).where(Payment.document_id.in_((purchase.id, invoice.id)))
                                 .order_by(Payment.id)).all()
    assert amounts == [3000, 25033, -620]


def test_money_in_never_proposes_a_purchase_and_another_currency_is_refused(actor, f):
    invoice = sale(actor, f)
    (usd,) = imported(actor, line("23.80", f"Invoice {invoice.number}", currency="USD")).new
    assert usd.proposed_document_id is None
    with pytest.raises(ActionError) as refused:
        bank_usecases.confirm(actor, usd.id, number=invoice.number)
    assert refused.value.code == "bank_currency_differs"
    db.session.rollback()
    assert fresh(Document, invoice.id).paid_total == 0


def test_importing_again_books_nothing_twice_and_identical_entries_both_count(actor, f):
    invoice = sale(actor, f)
    twins = [line("5.00", "Kaffee", "Bar"), line("5.00", "Kaffee", "Bar")]
    first = imported(actor, line("23.80", invoice.number, reference="A1"), *twins)
    assert (len(first.new), first.known) == (3, 0)
    again = imported(actor, line("23.80", invoice.number, reference="A1"), *twins, line("7.00", "Neu"))
    assert (len(again.new), again.known) == (1, 3) and again.new[0].amount == 700
    assert db.session.scalar(select(func.count()).select_from(BankTransaction)
                             .where(BankTransaction.org_id == actor.org.id)) == 4


def test_voiding_the_payment_opens_the_transaction_again(actor, f):
    invoice = sale(actor, f)
    (txn,) = imported(actor, line("23.80", invoice.number)).new
    done = bank_usecases.confirm(actor, txn.id)
    db.session.commit()
    payment_usecases.void_payment(actor, invoice.id, done.payment.id, "wrong invoice")
    db.session.commit()
    txn = fresh(BankTransaction, txn.id)
    assert (txn.status, txn.document_id, txn.payment_id) == ("open", None, None)
    assert fresh(Document, invoice.id).amount_due == 2380
    bank_usecases.confirm(actor, txn.id)  # and can be matched again
    db.session.commit()
    assert fresh(Document, invoice.id).payment_state == "paid"


def test_every_exact_match_at_once_one_refused_leaving_the_others(actor, f):
    from webapp.usecases import corrections

    invoices = [sale(actor, f, f"Kunde {n}") for n in range(3)]
    new = imported(actor, *(line("23.80", doc.number, reference=f"R{n}") for n, doc in enumerate(invoices))).new
    assert [t.confidence for t in new] == ["exact"] * 3
    corrections.cancel(actor, invoices[1].id, "ordered twice")  # its payment is refused now
    db.session.commit()
    done = bank_usecases.confirm_exact(actor)
    db.session.commit()
    assert sorted(c.document.id for c in done.confirmed) == sorted((invoices[0].id, invoices[2].id))
    assert [t.id for t, _why in done.refused] == [new[1].id]
    assert fresh(BankTransaction, new[1].id).status == "open"
    assert [fresh(Document, d.id).payment_state for d in (invoices[0], invoices[2])] == ["paid", "paid"]


def test_set_aside_and_back_and_only_owners_and_bookkeepers_reconcile(actor, f, login_as):
    (txn,) = imported(actor, line("-4.90", "Kontofuehrung")).new
    bank_usecases.set_aside(actor, txn.id)
    db.session.commit()
    assert fresh(BankTransaction, txn.id).status == "ignored"
    with pytest.raises(ActionError):
        bank_usecases.confirm(actor, txn.id, number="X")
    db.session.rollback()
    bank_usecases.set_aside(actor, txn.id, False)
    db.session.commit()
    assert fresh(BankTransaction, txn.id).status == "open"
    staff = login_as("staff", org=actor.org)
    with pytest.raises(ActionError) as refused:
        bank_usecases.set_aside(Actor(org=staff.org, user=staff.user, role="staff"), txn.id)
    assert refused.value.status == 403
    other = login_as("owner")
    with pytest.raises(ActionError) as hidden:
        bank_usecases.set_aside(Actor(org=other.org, user=other.user, role="owner"), txn.id)
    assert hidden.value.status == 404


def test_the_same_entries_on_two_accounts_named_without_an_iban_are_both_kept(actor):
    entries = [line("-4.90", "Kontofuehrung"), line("12.00", "Zinsen", reference="R-1")]
    for account in ("10020030/0123456789", "10020030/9876543210"):
        done = bank.store(actor.org, actor.user, "konto.sta", bank_files.Statement(
            format="mt940", account_id=account, currency="EUR", lines=entries))
        db.session.commit()
        assert (len(done.new), done.known, done.statement.account_iban) == (2, 0, account)


def test_the_queue_searches_a_percent_sign_as_written(actor):
    from webapp.queries import bank as bank_queries

    imported(actor, line("10.00", "Rabatt 10% Sommer"), line("5.00", "Kaffee"))
    found = bank_queries.transactions(actor.org.id, bank_queries.TransactionQuery(q="10%"))
    assert [t.remittance for t in found.items] == ["Rabatt 10% Sommer"]
    assert bank_queries.transactions(actor.org.id, bank_queries.TransactionQuery(q="%")).total == 1


def test_two_imports_of_one_statement_at_the_same_moment_store_its_entries_once(actor, monkeypatch):
    """The second import read the identities before the first committed: the unique rule refuses it whole."""
    statement = bank_files.Statement(format="camt053", account_iban="DE89370400440532013000", currency="EUR",
                                     lines=[line("1.00", "Eins", reference="X-1"), line("2.00", "Zwei", reference="X-2")])
    monkeypatch.setattr(bank_files, "read", lambda data, name, format=None: statement)
    bank_usecases.import_statement(actor, "a.xml", b"<x/>")
    db.session.commit()
    monkeypatch.setattr(bank, "_known", lambda org_id, keys: set())  # as if the first had not committed yet
    with pytest.raises(ActionError) as refused:
        bank_usecases.import_statement(actor, "a.xml", b"<x/>")
    assert refused.value.code == "bank_imported_meanwhile"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BankTransaction)) == 2
