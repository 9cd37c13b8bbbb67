"""Taking document numbers: gapless and unique, inside the transaction that issues the document.

The series row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the whole
transaction runs under ``BEGIN IMMEDIATE``, see ``locks.begin_write``), so two issuing
transactions take turns: the second one reads the counter only after the first committed or rolled
back. A rollback gives the number back, because the counter changes in the same transaction. The
unique constraint on (org, kind, flow, number) backs this up.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from webapp.domain.errors import ActionError, Text
from webapp.domain.numbering import parse_format
from webapp.extensions import db
from webapp.models import Document, NumberCounter, NumberSeries, Organization
from webapp.models.numbering import DEFAULT_FORMATS, PURCHASE_SERIES


def _series(org: Organization, kind: str) -> NumberSeries:
    stmt = select(NumberSeries).where(NumberSeries.org_id == org.id, NumberSeries.kind == kind).with_for_update()
    series = db.session.scalar(stmt)
    if series is None:  # organizations created before this kind existed
        db.session.add(NumberSeries(org_id=org.id, kind=kind, format=DEFAULT_FORMATS[kind], reset_yearly=True))
        db.session.flush()
        series = db.session.scalar(stmt)
    return series


def last_date(org: Organization, kind: str) -> date | None:
    return db.session.scalar(
        select(func.max(NumberCounter.last_date)).join(NumberSeries)
        .where(NumberSeries.org_id == org.id, NumberSeries.kind == kind))


def take_number(org: Organization, kind: str, on: date) -> str:
    """The next number of the organization's ``kind`` series for a document dated ``on`` (no flush of others)."""
    return _next_number(org, kind, on, take=True)


def peek_number(org: Organization, kind: str, on: date) -> str | None:
    """The number ``take_number`` would give now, read without locking or writing anything (None when the
    date would be refused). Another transaction may take it first: whoever uses a peeked number must
    compare it with the one really taken."""
    try:
        return _next_number(org, kind, on, take=False)
    except ActionError:
        return None


BEFORE_LAST = {
    "invoice": Text("The issue date cannot be before {date}, the date of the last invoice of this series: numbers and "
                    "dates stay in order."),
    "credit_note": Text("The issue date cannot be before {date}, the date of the last credit note of this series: "
                        "numbers and dates stay in order."),
    "quote": Text("The issue date cannot be before {date}, the date of the last quote of this series: numbers and "
                  "dates stay in order."),
}
BEFORE_LAST_OTHER = Text("The issue date cannot be before {date}, the date of the last document of this series: "
                         "numbers and dates stay in order.")


def _check_order(series: NumberSeries, kind: str, on: date) -> None:
    """Numbers and dates stay in order: a document of the series cannot be dated before the last one issued."""
    latest = None if series.id is None else db.session.scalar(
        select(func.max(NumberCounter.last_date)).where(NumberCounter.series_id == series.id))
    if latest is not None and on < latest:
        raise ActionError("issue_date_before_last", BEFORE_LAST.get(kind, BEFORE_LAST_OTHER), "chosen_issue_date",
                          date=latest)


def date_out_of_order(org: Organization, kind: str, on: date) -> Text | None:
    """Why a document dated ``on`` could not be issued now (its date before the series' last), or None: the
    editor says so as soon as the date is typed, not only at Issue."""
    series = db.session.scalar(select(NumberSeries).where(NumberSeries.org_id == org.id, NumberSeries.kind == kind))
    if series is None:
        return None
    try:
        _check_order(series, kind, on)
    except ActionError as exc:
        return exc.text
    return None


def _next_number(org: Organization, kind: str, on: date, take: bool) -> str:
    if take:
        series = _series(org, kind)
    else:
        series = db.session.scalar(select(NumberSeries).where(NumberSeries.org_id == org.id, NumberSeries.kind == kind))
        if series is None:
            series = NumberSeries(org_id=org.id, kind=kind, format=DEFAULT_FORMATS[kind], reset_yearly=True)
    fmt = parse_format(series.format, series.reset_yearly)
    _check_order(series, kind, on)
    period = on.year if series.reset_yearly else 0
    counter = None if series.id is None else db.session.scalar(select(NumberCounter).where(
        NumberCounter.series_id == series.id, NumberCounter.period == period))
    value = counter.last_value if counter is not None else 0
    while True:
        value += 1
        number = fmt.render(value, on)
        # After a format change (e.g. yearly reset switched off) the counter may point at numbers that exist:
        # continue after them, never hand one out twice.
        doc_kind, flow = (PURCHASE_SERIES[kind], "purchases") if kind in PURCHASE_SERIES else (kind, "sales")
        taken = db.session.scalar(select(Document.id).where(
            Document.org_id == org.id, Document.kind == doc_kind, Document.flow == flow, Document.number == number))
        if taken is None:
            break
    if take:
        if counter is None:
            counter = NumberCounter(series_id=series.id, period=period, last_value=0)
            db.session.add(counter)
        counter.last_date = on
        counter.last_value = value
        db.session.flush()
    return number
