"""The invoice list: filters, sorting, pagination and the sum of the filtered totals per currency."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, func, or_, select
from werkzeug.datastructures import MultiDict

from webapp.domain.status import BALANCE_DUE, BALANCE_OVER, BALANCE_PARTIAL, BALANCE_SETTLED
from webapp.domain.units import _n
from webapp.extensions import db
from webapp.forms import clean_line, date_arg, id_arg
from webapp.models import Document, DocumentTotal
from webapp.models.totals import NO_DUE_DATE, OPEN_STATES
from webapp.queries.pagination import PER_PAGE_CHOICES, Page

# labels: translated where shown (macros/lists.html search_row)
STATUSES = {"all": _n("All"), "draft": _n("Drafts"), "open": _n("Open (not paid)"), "overdue": _n("Overdue"),
            "unpaid": _n("Unpaid"), "partially_paid": _n("Partially paid"), "paid": _n("Paid"),
            "overpaid": _n("Overpaid"), "cancelled": _n("Cancelled")}
# "open": issued and awaiting the customer's answer, e-mailed or not (the badge says which: Document.shown_status)
QUOTE_STATUSES = {"all": _n("All"), "draft": _n("Drafts"), "sent": _n("Open (awaiting an answer)"),
                  "expired": _n("Expired"), "accepted": _n("Accepted"), "declined": _n("Declined")}
KINDS = ("invoice", "quote", "credit_note")
PURCHASE_KINDS = ("invoice", "credit_note")  # a supplier's invoices and credit notes
AMOUNT_DUE = Document.amount_due  # gross - credited - paid (the services keep the balance columns)
SORTS = {
    # newest/oldest follow creation (ids), which an index serves at any size; issue order follows it
    "newest": (Document.id.desc(),),
    "oldest": (Document.id.asc(),),
    "due": (Document.due_date.asc().nulls_last(), Document.id.asc()),
    "total": (Document.gross_total.desc(), Document.id.desc()),
    "customer": (Document.buyer_name.asc(), Document.id.desc()),
}
# The API's payment status (services/webhooks.payment_status: Document.payment_state and is_overdue) as
# conditions on the balance columns the services keep, so a list filters by it in SQL: rows the id-desc
# index gives, checked one by one, whatever the size of the table (tests/api check each against the rows).
PAYMENT_STATUSES = ("OPEN", "DUE", "PARTIALLY_PAID", "PAID", "OVERPAID", "CREDITED")


def overdue_sql(today: date) -> list:
    """Document.is_overdue (of an invoice) as conditions: issued, something due, the due date passed."""
    return [Document.status == "issued", AMOUNT_DUE > 0, Document.due_date < today]


def payment_status_filter(value: str, today: date | None = None) -> list:
    """The invoices whose ``payment_status`` is ``value``, as conditions (drafts and other kinds have none)."""
    today = today or date.today()
    unpaid = [AMOUNT_DUE > 0, Document.paid_total <= 0]  # balance "due" or "credit": payment state unpaid
    settled = [AMOUNT_DUE == 0]
    return [Document.kind == "invoice", Document.status != "draft", *{
        "OPEN": [*unpaid, or_(Document.status != "issued", Document.due_date.is_(None), Document.due_date >= today)],
        "DUE": [*unpaid, *overdue_sql(today)],
        "PARTIALLY_PAID": [AMOUNT_DUE > 0, Document.paid_total > 0],
        "PAID": [*settled, or_(Document.paid_total != 0, Document.credited_total == 0)],
        "CREDITED": [*settled, Document.paid_total == 0, Document.credited_total != 0],
        "OVERPAID": [AMOUNT_DUE < 0],
    }[value]]


SORT_LABELS = {"newest": _n("Newest"), "oldest": _n("Oldest"), "due": _n("Due date"), "total": _n("Largest total"),
               "customer": _n("Customer")}


@dataclass
class DocumentQuery:
    status: str = "all"
    kind: str = "invoice"
    flow: str = "sales"  # sales, or purchases (the purchases list)
    q: str = ""
    contact_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 25
    errors: list[str] | None = None

    def url_args(self, **override) -> dict:
        args = {"kind": self.kind if self.kind != "invoice" else None,
                "status": self.status if self.status != "all" else None, "q": self.q or None,
                "customer": self.contact_id, "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None,
                "sort": self.sort if self.sort != "newest" else None,
                "per_page": self.per_page if self.per_page != 25 else None,
                "page": self.page if self.page > 1 else None}
        args.update(override)
        return {k: v for k, v in args.items() if v is not None}




def parse_query(args: MultiDict, flow: str = "sales") -> DocumentQuery:
    errors: list[str] = []
    query = DocumentQuery(errors=errors, flow=flow)
    kinds = PURCHASE_KINDS if flow == "purchases" else KINDS
    query.kind = args.get("kind") if args.get("kind") in kinds else "invoice"
    statuses = QUOTE_STATUSES if query.kind == "quote" else STATUSES
    query.status = args.get("status") if args.get("status") in statuses else "all"
    query.q = clean_line(args.get("q", ""))[:100]
    query.contact_id = id_arg(args, "customer")
    query.date_from = date_arg(args, "from", _n("From"), errors)
    query.date_to = date_arg(args, "to", _n("Until"), errors)
    query.sort = args.get("sort") if args.get("sort") in SORTS else "newest"
    query.page = max(args.get("page", 1, type=int) or 1, 1)
    per_page = args.get("per_page", 25, type=int)
    query.per_page = per_page if per_page in PER_PAGE_CHOICES else 25
    return query


def document_select(org_id: int, query: DocumentQuery, kind: str = "invoice", today: date | None = None) -> Select:
    today = today or date.today()
    stmt = select(Document).where(Document.org_id == org_id, Document.kind == kind, Document.flow == query.flow)
    issued = Document.status == "issued"
    conditions = {
        "draft": [Document.status == "draft"],
        "open": [issued, AMOUNT_DUE > 0],
        "overdue": overdue_sql(today),
        "unpaid": [issued, AMOUNT_DUE > 0, Document.paid_total == 0],
        "partially_paid": [issued, AMOUNT_DUE > 0, Document.paid_total > 0],
        "paid": [issued, AMOUNT_DUE == 0],
        "overpaid": [Document.status != "draft", AMOUNT_DUE < 0],
        "cancelled": [Document.status == "cancelled"],
    }
    if kind == "quote":
        conditions = {
            "draft": [Document.status == "draft"],
            "sent": [Document.status == "sent", or_(Document.valid_until.is_(None), Document.valid_until >= today)],
            "expired": [Document.status == "sent", Document.valid_until < today],
            "accepted": [Document.status == "accepted"],
            "declined": [Document.status == "declined"],
        }
    stmt = stmt.where(*conditions.get(query.status, []))
    if query.contact_id:
        stmt = stmt.where(Document.contact_id == query.contact_id)
    if query.date_from:
        stmt = stmt.where(Document.issue_date >= query.date_from)
    if query.date_to:
        stmt = stmt.where(Document.issue_date <= query.date_to)
    if query.q:
        stmt = stmt.where(Document.search_text.contains(query.q.lower(), autoescape=True))
    return stmt


def totals_filter(status: str, today: date) -> list | None:
    """The running totals (``models.totals``) that make up an invoice status filter, as conditions (their
    ``state`` is the balance state of ``domain.status``)."""
    t = DocumentTotal
    issued, open_ = t.status == "issued", t.state.in_(OPEN_STATES)
    return {
        "all": [],
        "draft": [t.status == "draft"],
        "open": [issued, open_],
        "overdue": [issued, open_, t.due_date < today, t.due_date > NO_DUE_DATE],
        "unpaid": [issued, t.state == BALANCE_DUE],
        "partially_paid": [issued, t.state == BALANCE_PARTIAL],
        "paid": [issued, t.state == BALANCE_SETTLED],
        "overpaid": [t.status != "draft", t.state == BALANCE_OVER],
        "cancelled": [t.status == "cancelled"],
    }.get(status)


@dataclass(frozen=True)
class ListSums:
    """What the documents a list filter matches add up to, in one currency (minor units): what was really
    issued (drafts and cancelled documents left out), what the drafts would come to, and what is still owed."""

    currency: str
    count: int
    issued: int = 0
    drafts: int = 0
    outstanding: int = 0

    def plus(self, status: str, count: int, gross: int, due: int) -> ListSums:
        return ListSums(self.currency, self.count + count,
                        self.issued + (gross if status not in NOT_COUNTED else 0),
                        self.drafts + (gross if status == "draft" else 0),
                        self.outstanding + (due if status == "issued" else 0))


NOT_COUNTED = ("draft", "cancelled")  # statuses whose totals are neither invoiced nor owed


def _counts_and_sums(org_id: int, query: DocumentQuery, kind: str, stmt: Select) -> list[ListSums]:
    """The sums of everything the filter matches, per currency, grouped by status.

    Without a search, customer or date filter an invoice list is answered from the running totals (one row
    per due date and state, whatever the number of invoices); otherwise the matching documents are summed.
    What is owed counts the issued documents with something due (an overpaid one owes nothing)."""
    conditions = totals_filter(query.status, date.today()) if kind == "invoice" else None
    if conditions is not None and not (query.q or query.contact_id or query.date_from or query.date_to):
        t = DocumentTotal
        rows = db.session.execute(
            select(t.status, t.currency, func.sum(t.doc_count), func.sum(t.gross_sum),
                   func.sum(case((t.state.in_(OPEN_STATES), t.due_sum), else_=0)))
            .where(t.org_id == org_id, t.kind == kind, t.flow == query.flow, *conditions)
            .group_by(t.status, t.currency).having(func.sum(t.doc_count) > 0))
    else:
        # grouped by status and currency, the order of ix_document_org_search: aggregated while the index is read
        rows = db.session.execute(
            stmt.with_only_columns(Document.status, Document.currency, func.count(), func.sum(Document.gross_total),
                                   func.sum(case((AMOUNT_DUE > 0, AMOUNT_DUE), else_=0)))
            .group_by(Document.status, Document.currency))
    sums: dict[str, ListSums] = {}
    for status, currency, count, gross, due in rows:
        sums[currency] = sums.get(currency, ListSums(currency, 0)).plus(status, int(count), int(gross or 0),
                                                                        int(due or 0))
    return sorted(sums.values(), key=lambda s: s.currency)


def search_documents(org_id: int, query: DocumentQuery, kind: str = "invoice") -> Page:
    """One page of documents, their count and the sum of their totals per currency: two queries."""
    stmt = document_select(org_id, query, kind=kind)
    per_currency = _counts_and_sums(org_id, query, kind, stmt)
    total = sum(s.count for s in per_currency)
    pages = max(1, -(-total // query.per_page))
    page_number = min(query.page, pages)
    items = db.session.scalars(stmt.order_by(*SORTS[query.sort]).limit(query.per_page)
                               .offset((page_number - 1) * query.per_page)).all()
    page = Page(items=list(items), total=total, page=page_number, per_page=query.per_page)
    page.extra["sums"] = per_currency
    return page


def open_balances(org_id: int, contact_id: int | None = None, today: date | None = None,
                  flow: str = "sales") -> list[tuple[str, int, int]]:
    """(currency, outstanding, of which overdue) of the issued invoices with something due, per currency;
    for one customer (or supplier) with ``contact_id``. ``flow``: what customers owe (sales, the receivables) or
    what is owed to suppliers (purchases, the payables). Credit notes count as they reduce their invoice's
    ``credited_total``. One query: for the whole organization over the running totals, for one contact over its
    invoices."""
    today = today or date.today()
    if contact_id is None:
        t = DocumentTotal
        overdue = and_(t.due_date < today, t.due_date > NO_DUE_DATE)
        stmt = (select(t.currency, func.sum(t.due_sum), func.sum(case((overdue, t.due_sum), else_=0)))
                .where(t.org_id == org_id, t.kind == "invoice", t.flow == flow, t.status == "issued",
                       t.state.in_(OPEN_STATES))
                .group_by(t.currency).having(func.sum(t.doc_count) > 0).order_by(t.currency))
    else:
        stmt = (select(Document.currency, func.sum(AMOUNT_DUE),
                       func.sum(case((Document.due_date < today, AMOUNT_DUE), else_=0)))
                .where(Document.org_id == org_id, Document.contact_id == contact_id, Document.kind == "invoice",
                       Document.flow == flow, Document.status == "issued", AMOUNT_DUE > 0)
                .group_by(Document.currency).order_by(Document.currency))
    return [(currency, int(outstanding), int(overdue)) for currency, outstanding, overdue in db.session.execute(stmt)]
