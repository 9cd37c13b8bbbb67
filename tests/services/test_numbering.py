"""Gapless, unique invoice numbers under concurrency, on SQLite and PostgreSQL."""
import threading
from datetime import date

import pytest
from sqlalchemy import select

from webapp.domain.errors import ActionError
from webapp.extensions import db
from webapp.services.locks import begin_write
from webapp.models import Document, NumberCounter, NumberSeries, Organization, User
from webapp.services import drafts, issuing
from webapp.services.numbering import take_number


@pytest.mark.slow
def test_fifty_concurrent_issues_get_fifty_consecutive_numbers(app, f):
    org = f.complete_org(f.organization())
    customer = f.contact(org, "Buyer")
    ids = [f.draft(org, customer).id for _ in range(50)]
    org_id, user_id = org.id, org.memberships[0].user_id
    barrier = threading.Barrier(50)
    errors = []

    def issue(document_id):
        with app.app_context():  # its own session and connection
            try:
                barrier.wait(timeout=30)
                begin_write()
                current = db.session.get(Organization, org_id)
                issuing.issue(current, db.session.get(User, user_id), db.session.get(Document, document_id))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc))
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(db.session.scalars(select(Document.number).where(Document.org_id == org_id)))
    year = date.today().year
    assert numbers == [f"INV-{year}-{n:04d}" for n in range(1, 51)]


def test_a_rolled_back_number_is_given_again(app, f):
    org = f.complete_org(f.organization())
    first, second = f.draft(org), f.draft(org)
    owner = org.memberships[0].user
    begin_write()
    assert issuing.issue(org, owner, db.session.get(Document, first.id)).endswith("-0001")
    db.session.rollback()  # e.g. the PDF could not be stored: nothing of the issue remains
    assert db.session.get(Document, first.id).status == "draft"
    begin_write()
    assert issuing.issue(org, owner, db.session.get(Document, second.id)).endswith("-0001")
    db.session.commit()
    begin_write()
    assert issuing.issue(org, owner, db.session.get(Document, first.id)).endswith("-0002")
    db.session.commit()


@pytest.mark.slow
def test_without_the_lock_two_transactions_take_the_same_number(app, f):
    """Why the lock is needed: the naive version (read the counter, add one, write it back, with no
    lock and no BEGIN IMMEDIATE) hands out the same number twice when two transactions interleave.
    The real ``take_number`` locks the series row / the SQLite database first, so the second
    transaction reads the counter only after the first has committed."""
    org = f.organization()
    series_id = db.session.scalar(select(NumberSeries.id).where(NumberSeries.org_id == org.id,
                                                                NumberSeries.kind == "invoice"))
    db.session.add(NumberCounter(series_id=series_id, period=date.today().year, last_value=0))
    db.session.commit()

    def naive_read():
        return db.session.scalar(select(NumberCounter).where(NumberCounter.series_id == series_id))

    with app.app_context():
        a = naive_read()
        with app.app_context():
            b = naive_read()  # reads before A writes
            a_value = a.last_value + 1
            b_value = b.last_value + 1
            b.last_value = b_value
            db.session.commit()
        a.last_value = a_value
        # A writes in its own session (the outer context's session is the same object as `a`'s)
        db.session.commit()
    assert a_value == b_value == 1  # the same number twice: this is the bug the lock prevents


def test_issue_dates_stay_in_order(app, f):
    from datetime import timedelta

    org = f.complete_org(f.organization())
    owner = org.memberships[0].user
    today = date.today()
    first = f.draft(org)
    drafts.update_header(first, {"chosen_issue_date": today - timedelta(days=3)})
    issuing.issue(org, owner, first)
    db.session.commit()
    second = f.draft(org)
    drafts.update_header(second, {"chosen_issue_date": today - timedelta(days=5)})
    with pytest.raises(ActionError, match="cannot be before"):
        issuing.issue(org, owner, second)
    db.session.rollback()
    assert db.session.get(Document, second.id).status == "draft"
    later = f.draft(org)
    drafts.update_header(later, {"chosen_issue_date": today + timedelta(days=1)})
    with pytest.raises(ActionError, match="future"):
        issuing.issue(org, owner, later)
    db.session.rollback()


def test_take_number_follows_the_format_and_resets_yearly(app, f):
    org = f.organization()
    series = db.session.scalar(select(NumberSeries).where(NumberSeries.org_id == org.id,
                                                          NumberSeries.kind == "invoice"))
    series.format = "R{YY}-{SEQ:3}"
    db.session.commit()
    assert take_number(org, "invoice", date(2025, 12, 30)) == "R25-001"
    assert take_number(org, "invoice", date(2025, 12, 31)) == "R25-002"
    assert take_number(org, "invoice", date(2026, 1, 1)) == "R26-001"
    db.session.rollback()


def test_switching_the_yearly_reset_off_never_repeats_a_number(app, f):
    org = f.complete_org(f.organization())
    f.issued(org)
    f.issued(org)
    series = db.session.scalar(select(NumberSeries).where(NumberSeries.org_id == org.id,
                                                          NumberSeries.kind == "invoice"))
    series.reset_yearly = False  # the format still shows the year; the counter starts a new period
    db.session.commit()
    third = f.issued(org)
    assert third.number == f"INV-{date.today().year}-0003"
