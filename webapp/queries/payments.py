"""The payments list: every payment and refund of an organization, newest first, filtered by dates, method and
customer, with what the filter adds up to per currency (received, refunded, net). Voided payments are listed
(struck through) and never counted in the sums.

Two queries whatever the number of payments: the count and the sums, then one page of rows (each with its
invoice's number and customer, joined). Filtered by dates and method only, the count and the sums come from the
running totals of payments (``models.totals.PaymentTotal``: one row per day, currency, method and voided or
not), so 300,000 payments cost what 300 do; the page is read along ``ix_payment_org_paid_on`` (or
``ix_payment_org_method_paid_on`` for a method), newest first. A customer filter sums that customer's payments
themselves, found through their invoices. The customer is chosen by a search of the customers' names, which
offers at most ``MATCHES`` of them (one query of the customers; it never sums the payments of hundreds of
customers whose names share a word). Every query is filtered by the organization.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from werkzeug.datastructures import MultiDict

from webapp.domain.errors import Text
from webapp.domain.units import _n
from webapp.extensions import db
from webapp.forms import clean_line, date_arg, id_arg
from webapp.models import Contact, Document, Payment, PaymentTotal
from webapp.models.payment import METHODS
from webapp.queries.pagination import PER_PAGE_CHOICES, Page

METHOD_CHOICES = {"all": _n("All methods"), **METHODS}  # labels: translated where shown
MATCHES = 10  # customers offered for a search


@dataclass
class PaymentQuery:
    date_from: date | None = None
    date_to: date | None = None
    method: str = "all"
    contact_id: int | None = None  # one customer
    q: str = ""  # a search of the customers' names, to choose one
    page: int = 1
    per_page: int = 25
    errors: list[str] | None = None

    def url_args(self, **override) -> dict:
        args = {"from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None,
                "method": self.method if self.method != "all" else None, "customer": self.contact_id,
                "q": self.q or None, "per_page": self.per_page if self.per_page != 25 else None,
                "page": self.page if self.page > 1 else None}
        args.update(override)
        return {k: v for k, v in args.items() if v is not None}




def parse_query(args: MultiDict) -> PaymentQuery:
    """The filters of the query string; a value that is not one is dropped (with a message for the dates)."""
    errors: list[str] = []
    query = PaymentQuery(errors=errors)
    query.date_from = date_arg(args, "from", _n("From"), errors)
    query.date_to = date_arg(args, "to", _n("Until"), errors)
    if query.date_from and query.date_to and query.date_from > query.date_to:
        errors.append(Text("The period ends before it begins: no payment can match."))
    query.method = args.get("method") if args.get("method") in METHOD_CHOICES else "all"
    query.contact_id = id_arg(args, "customer")
    query.q = clean_line(args.get("q", ""))[:100]
    query.page = max(args.get("page", 1, type=int) or 1, 1)
    per_page = args.get("per_page", 25, type=int)
    query.per_page = per_page if per_page in PER_PAGE_CHOICES else 25
    return query


@dataclass(frozen=True)
class PaymentSums:
    """What the payments a filter matches add up to in one currency (minor units): the money received and the
    money refunded (a positive sum), voided payments left out; ``count`` is the number of rows listed."""

    currency: str
    count: int
    received: int
    refunded: int

    @property
    def net(self) -> int:
        return self.received - self.refunded


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    number: str
    buyer_name: str


def _period(column, query: PaymentQuery) -> list:
    conditions = []
    if query.date_from:
        conditions.append(column >= query.date_from)
    if query.date_to:
        conditions.append(column <= query.date_to)
    return conditions


def _customer(query: PaymentQuery) -> list:
    """Conditions on the invoice (``Document``) of a payment for the customer filter."""
    return [Document.contact_id == query.contact_id] if query.contact_id else []


def customers_matching(org_id: int, q: str) -> list[Contact]:
    """The customers (at most ``MATCHES``, by name) a search of names, e-mail or phone finds, to choose from."""
    if not q:
        return []
    return list(db.session.scalars(
        select(Contact).where(Contact.org_id == org_id, Contact.search_text.contains(q.lower(), autoescape=True))
        .order_by(Contact.archived, Contact.sort_name, Contact.id).limit(MATCHES)))


def _with_invoice(stmt, org_id: int):
    return stmt.join(Document, and_(Document.id == Payment.document_id, Document.org_id == org_id))


def _payment_conditions(org_id: int, query: PaymentQuery) -> list:
    conditions = [Payment.org_id == org_id, *_period(Payment.paid_on, query)]
    if query.method != "all":
        conditions.append(Payment.method == query.method)
    return conditions


def payment_sums(org_id: int, query: PaymentQuery) -> list[PaymentSums]:
    """The count and the sums per currency of the payments the filter matches: one query."""
    if not query.contact_id:
        t = PaymentTotal
        counted = t.voided == 0
        conditions = [t.org_id == org_id, *_period(t.paid_on, query)]
        if query.method != "all":
            conditions.append(t.method == query.method)
        stmt = (select(t.currency, func.sum(t.payment_count), func.sum(case((counted, t.received), else_=0)),
                       func.sum(case((counted, t.refunded), else_=0)))
                .where(*conditions).group_by(t.currency).having(func.sum(t.payment_count) > 0))
    else:
        counted = Payment.voided_at.is_(None)
        stmt = _with_invoice(select(
            Payment.currency, func.count(),
            func.sum(case((and_(counted, Payment.amount > 0), Payment.amount), else_=0)),
            func.sum(case((and_(counted, Payment.amount < 0), -Payment.amount), else_=0))), org_id) \
            .where(*_payment_conditions(org_id, query), *_customer(query)).group_by(Payment.currency)
    return sorted((PaymentSums(currency, int(count), int(received or 0), int(refunded or 0))
                   for currency, count, received, refunded in db.session.execute(stmt)),
                  key=lambda s: s.currency)


def search_payments(org_id: int, query: PaymentQuery) -> Page:
    """One page of payments (newest first), their count and their sums per currency: two queries (one when
    nothing matches)."""
    sums = payment_sums(org_id, query)
    total = sum(s.count for s in sums)
    pages = max(1, -(-total // query.per_page))
    page_number = min(query.page, pages)
    items: list[PaymentRow] = []
    if total:
        # the page's payments first (along the index, newest first), then their invoices for those rows only
        newest = (Payment.paid_on.desc(), Payment.id.desc())
        ids = select(Payment.id)
        if query.contact_id:
            ids = _with_invoice(ids, org_id)
        ids = ids.where(*_payment_conditions(org_id, query), *_customer(query)).order_by(*newest) \
            .limit(query.per_page).offset((page_number - 1) * query.per_page)
        stmt = _with_invoice(select(Payment, Document.number, Document.buyer_name), org_id) \
            .where(Payment.org_id == org_id, Payment.id.in_(ids.scalar_subquery())).order_by(*newest)
        items = [PaymentRow(payment, number or "", buyer_name or "")
                 for payment, number, buyer_name in db.session.execute(stmt)]
    page = Page(items=items, total=total, page=page_number, per_page=query.per_page)
    page.extra["sums"] = sums
    return page
