"""The bank transactions queue (issue 18): open, matched or set-aside entries, searched by counterparty, text,
reference or amount, newest first; and the statements imported."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from webapp.domain.units import _n
from webapp.extensions import db
from webapp.forms import clean_line
from webapp.models import BankStatement, BankTransaction
from webapp.queries.pagination import Page

STATUSES = {"open": _n("Open"), "matched": _n("Matched"), "ignored": _n("Set aside"), "all": _n("All")}
PER_PAGE = 50


@dataclass(frozen=True)
class TransactionQuery:
    status: str = "open"
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "TransactionQuery":
        status = args.get("status", "open")
        page = args.get("page", 1, type=int) or 1
        return cls(status=status if status in STATUSES else "open", q=clean_line(args.get("q", ""))[:100],
                   page=min(max(page, 1), 10_000))


def _amount(q: str) -> int | None:
    """A search for an amount ("119,00", "-42.5"): in minor units of a two-decimal currency, or None."""
    text = q.replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= 10**12 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def transactions(org_id: int, query: TransactionQuery) -> Page:
    stmt = select(BankTransaction).where(BankTransaction.org_id == org_id)
    if query.status != "all":
        stmt = stmt.where(BankTransaction.status == query.status)
    if query.q:
        q = query.q.lower()
        conditions = [func.lower(BankTransaction.counterparty_name).contains(q, autoescape=True),
                      func.lower(BankTransaction.remittance).contains(q, autoescape=True),
                      func.lower(BankTransaction.reference).contains(q, autoescape=True),
                      BankTransaction.counterparty_iban == "".join(query.q.split()).upper()]
        amount = _amount(query.q)
        if amount is not None:
            conditions.append(func.abs(BankTransaction.amount) == abs(amount))
        stmt = stmt.where(or_(*conditions))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(
        stmt.options(selectinload(BankTransaction.proposed_document), selectinload(BankTransaction.document))
        .order_by(BankTransaction.booked_on.desc(), BankTransaction.id.desc())
        .limit(PER_PAGE).offset((query.page - 1) * PER_PAGE)).all()
    return Page(items=list(items), total=total, page=query.page, per_page=PER_PAGE)


def counts(org_id: int) -> dict[str, int]:
    """How many transactions are open, matched, set aside; and how many open ones have an exact proposal."""
    found = {status: 0 for status in ("open", "matched", "ignored")}
    for status, count in db.session.execute(select(BankTransaction.status, func.count())
                                            .where(BankTransaction.org_id == org_id)
                                            .group_by(BankTransaction.status)):
        found[status] = count
    found["exact"] = db.session.scalar(select(func.count()).where(
        BankTransaction.org_id == org_id, BankTransaction.status == "open", BankTransaction.confidence == "exact"))
    return found


def statements(org_id: int, limit: int = 10) -> list[BankStatement]:
    return list(db.session.scalars(select(BankStatement).where(BankStatement.org_id == org_id)
                                   .order_by(BankStatement.id.desc()).limit(limit)))
