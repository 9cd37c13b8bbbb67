"""The running totals (models/totals.py, kept by triggers) always equal the documents they sum, after every
kind of write, and the lists and dashboard read from them show what summing the documents shows."""
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from webapp.extensions import db
from webapp.models import Document, DocumentTotal
from webapp.models.totals import NO_DUE_DATE
from webapp.queries import documents as document_queries
from webapp.services import corrections, issuing, locks, payments
from webapp.services import drafts as draft_service


def state(doc: Document) -> str:
    due = doc.gross_total - doc.credited_total - doc.paid_total
    if due > 0:
        return "due" if doc.paid_total == 0 else "partial" if doc.paid_total > 0 else "credit"
    return "settled" if due == 0 else "over"


def assert_totals_match() -> None:
    """Every (org, kind, flow, status, currency, due date, state) group: the same count and sums both ways."""
    db.session.expire_all()
    expected = defaultdict(lambda: [0, 0, 0])
    for doc in db.session.scalars(select(Document)):
        key = (doc.org_id, doc.kind, doc.flow, doc.status, doc.currency, doc.due_date or NO_DUE_DATE, state(doc))
        row = expected[key]
        row[0] += 1
        row[1] += doc.gross_total
        row[2] += doc.gross_total - doc.credited_total - doc.paid_total
    kept = {}
    for t in db.session.scalars(select(DocumentTotal)):
        assert t.doc_count >= 0, (t.org_id, t.status, t.state, t.doc_count)
        if t.doc_count or t.gross_sum or t.due_sum:
            kept[(t.org_id, t.kind, t.flow, t.status, t.currency, t.due_date, t.state)] = [t.doc_count, t.gross_sum,
                                                                                          t.due_sum]
    assert kept == dict(expected)


def pay(org, user, doc, amount, key):
    locked = locks.lock_document(org, doc.id)
    payment = payments.record(org, user, locked, payments.PaymentInput(
        amount=amount, paid_on=date.today(), method="bank_transfer", reference="", note="", key=key,
        allow_overpayment=True))
    db.session.commit()
    return payment


def test_every_write_keeps_the_totals_equal_to_the_documents(owner, f):
    org, user = owner.org, owner.user
    other = f.complete_org(f.organization())
    assert_totals_match()
    drafts = [f.draft(org, lines=[("Work", "3", "100.00")]) for _ in range(3)]
    f.issued(other)
    assert_totals_match()
    line = drafts[0].lines[0]  # a line edit changes a draft's total
    draft_service.update_line(drafts[0], line, {"description": "Work", "quantity": Decimal("7"),
                                            "unit_price": Decimal("12.50")})
    db.session.commit()
    assert_totals_match()
    for doc in drafts[:2]:
        issuing.issue(org, user, doc)
        db.session.commit()
    assert_totals_match()
    a, b = drafts[0], drafts[1]
    pay(org, user, a, 1000, "k1")  # partial
    assert_totals_match()
    p = pay(org, user, a, a.gross_total, "k2")  # overpaid
    assert_totals_match()
    payments.void(org, user, locks.lock_document(org, a.id), p, "wrong invoice")
    db.session.commit()
    assert_totals_match()
    pay(org, user, a, -500, "k3")  # refund
    assert_totals_match()
    note = corrections.full_credit_note(org, user, b)  # a credit note draft, then issued: b ends settled
    db.session.commit()
    assert_totals_match()
    issuing.issue(org, user, note)
    db.session.commit()
    assert_totals_match()
    corrections.cancel(org, user, locks.lock_document(org, a.id))
    db.session.commit()
    assert_totals_match()
    draft_service.delete_draft(org, user, db.session.get(Document, drafts[2].id))
    db.session.commit()
    assert_totals_match()
    copy = draft_service.copy_document(org, user, db.session.get(Document, a.id))
    db.session.commit()
    assert copy.id
    assert_totals_match()


def test_lists_and_dashboard_from_the_totals_equal_the_documents(owner, f, monkeypatch):
    org, user = owner.org, owner.user
    docs = [f.issued(org, lines=[("Work", str(i + 1), "10.00")]) for i in range(6)]
    pay(org, user, docs[0], docs[0].gross_total, "a")  # paid
    pay(org, user, docs[1], 500, "b")  # partially paid
    pay(org, user, docs[2], docs[2].gross_total + 100, "c")  # overpaid
    db.session.execute(Document.__table__.update().where(Document.id.in_([docs[3].id, docs[1].id]))
                       .values(due_date=date.today() - timedelta(days=3)))  # overdue (the trigger sees this too)
    f.draft(org)
    db.session.commit()
    assert_totals_match()
    statuses = list(document_queries.STATUSES)
    from_totals = [document_queries.search_documents(org.id, document_queries.parse_query(MultiDict({"status": s})))
                   for s in statuses]
    monkeypatch.setattr(document_queries, "totals_filter", lambda status, today: None)  # sum the documents
    for status, page in zip(statuses, from_totals):
        summed = document_queries.search_documents(org.id, document_queries.parse_query(MultiDict({"status": status})))
        assert (page.total, page.extra["sums"]) == (summed.total, summed.extra["sums"]), status
        assert summed.total == len(summed.items), status  # all on one page: the count is the real one
    assert [p.total for p in from_totals] == [7, 1, 4, 2, 3, 1, 1, 1, 0]  # all, draft, open, overdue, unpaid...
    monkeypatch.undo()
    balances = document_queries.open_balances(org.id)
    due = [d for d in db.session.scalars(select(Document).where(Document.org_id == org.id)) if d.status == "issued"
           and d.amount_due > 0]
    assert balances == [("EUR", sum(d.amount_due for d in due),
                         sum(d.amount_due for d in due if d.due_date < date.today()))]
    assert balances[0][2] > 0 and len(due) == 4  # partial (overdue), unpaid x3 of which one overdue
