"""VAT per rate of a period (issue 17: the input VAT of the purchases booked; issue 18's VAT return reads the same).

A document's VAT breakdown is frozen with it (``Document.tax_breakdown``, minor units, credit notes negative), so
a period's VAT per rate is the sum of the breakdowns of the documents dated in it: one query for the documents'
breakdowns (served by the document index on organization, flow and date), added up here per currency, category
and rate."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Document


@dataclass(frozen=True)
class VatRow:
    currency: str
    category: str
    rate: Decimal
    base: int  # minor units of ``currency``
    tax: int
    documents: int


def quarter_so_far(today: date) -> tuple[date, date]:
    """The period a VAT report shows unless asked otherwise: this calendar quarter up to ``today``."""
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today


def vat_per_rate(org_id: int, flow: str, date_from: date | None, date_to: date | None) -> list[VatRow]:
    """The VAT per currency, category and rate of the booked (issued) invoices and credit notes of ``flow``
    dated from ``date_from`` to ``date_to`` (either open): for purchases the input VAT, for sales the output VAT."""
    stmt = select(Document.currency, Document.tax_breakdown).where(
        Document.org_id == org_id, Document.flow == flow, Document.status == "issued",
        Document.kind.in_(("invoice", "credit_note")))
    if date_from:
        stmt = stmt.where(Document.issue_date >= date_from)
    if date_to:
        stmt = stmt.where(Document.issue_date <= date_to)
    sums: dict[tuple[str, str, Decimal], list[int]] = {}
    for currency, breakdown in db.session.execute(stmt):
        for group in breakdown or []:
            key = (currency, group["category"], Decimal(str(group["rate"])).normalize())
            row = sums.setdefault(key, [0, 0, 0])
            row[0] += int(group["base"])
            row[1] += int(group["tax"])
            row[2] += 1
    return [VatRow(currency, category, rate, base, tax, count)
            for (currency, category, rate), (base, tax, count) in sorted(sums.items(), key=lambda kv: (
                kv[0][0], -kv[0][2], kv[0][1]))]
