"""A document's figures: the EN 16931 calculator applied to its lines and adjustments, stored in minor units.

Every change of a draft ends with ``recalculate``; a draft follows the tax rates it uses (an edited rate
updates the draft's copies), an issued document's copies never change.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from webapp.domain.errors import ActionError
from webapp.domain.money import to_minor
from webapp.domain.totals import Adjustment, Line, Totals, TotalsError, compute_totals
from webapp.extensions import db
from webapp.models import Document, Organization, TaxRate
from webapp.models.types import utcnow


MAX_AMOUNT_MINOR = 10**15  # any single amount or total, in minor units (fits BIGINT with room to spare)


def default_tax_rate(org: Organization) -> TaxRate | None:
    return db.session.scalar(select(TaxRate).where(TaxRate.org_id == org.id, TaxRate.archived.is_(False))
                             .order_by(TaxRate.is_default.desc(), TaxRate.id).limit(1))


def apply_rate(target, rate: TaxRate | None) -> None:
    target.tax_rate_id = rate.id if rate else None
    target.tax_percent = rate.percent if rate else Decimal("0")
    target.tax_category = rate.category if rate else "O"
    target.exemption_note = rate.exemption_note if rate else ""


def _calc_lines(doc: Document) -> list[Line]:
    return [Line(quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_percent,
                 tax_category=line.tax_category, discount_percent=line.discount_percent) for line in doc.lines]


def compute(doc: Document) -> Totals:
    """The document's totals; a percent discount becomes one allowance per tax group of the lines."""
    lines = _calc_lines(doc)
    allowances = [Adjustment(a.amount, a.tax_percent, a.tax_category, a.reason)
                  for a in doc.adjustments if a.kind == "allowance"]
    charges = [Adjustment(c.amount, c.tax_percent, c.tax_category, c.reason)
               for c in doc.adjustments if c.kind == "charge"]
    if doc.discount_percent:
        # the line amounts as entered (net, or gross with inclusive prices): totals without taking tax out
        entered = compute_totals(lines=lines, currency=doc.currency).line_nets
        sums: dict[tuple[str, Decimal], Decimal] = {}
        for line, amount in zip(lines, entered):
            key = (line.tax_category, line.tax_rate)
            sums[key] = sums.get(key, Decimal(0)) + amount
        for (category, rate), amount in sums.items():
            allowances.append(Adjustment(amount * doc.discount_percent / 100, rate, category,
                                         f"Discount {doc.discount_percent.normalize():f} %"))
    return compute_totals(lines=lines, allowances=allowances, charges=charges, currency=doc.currency,
                          prices_include_tax=doc.prices_include_tax)


def _refresh_rate_copies(doc: Document) -> None:
    """A draft follows its tax rates: when a rate was edited, the draft's copies follow (issued ones never)."""
    ids = {x.tax_rate_id for x in [*doc.lines, *doc.adjustments] if x.tax_rate_id}
    if not ids:
        return
    rates = {r.id: r for r in db.session.scalars(select(TaxRate).where(TaxRate.id.in_(ids)))}
    for item in [*doc.lines, *doc.adjustments]:
        rate = rates.get(item.tax_rate_id)
        if rate is not None and (item.tax_percent, item.tax_category, item.exemption_note) != (
                rate.percent, rate.category, rate.exemption_note):
            apply_rate(item, rate)


def recalculate(doc: Document) -> Totals:
    if doc.is_draft:
        _refresh_rate_copies(doc)
    try:
        totals = compute(doc)
    except TotalsError as exc:
        raise ActionError("invalid_amounts", str(exc)) from exc
    amounts = [*totals.line_nets, totals.net_total, totals.gross_total, totals.tax_total]
    if any(abs(to_minor(a, doc.currency)) >= MAX_AMOUNT_MINOR for a in amounts):
        raise ActionError("amount_too_large", "These amounts are too large for one invoice.")
    notes = {(a.tax_category, a.tax_percent.normalize()): a.exemption_note for a in [*doc.lines, *doc.adjustments]}
    for line, net in zip(doc.lines, totals.line_nets):
        line.net_amount = to_minor(net, doc.currency)
    for name in ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total"):
        setattr(doc, name, to_minor(getattr(totals, name), doc.currency))
    doc.tax_breakdown = [
        {"category": g.category, "rate": f"{g.rate.normalize():f}", "base": to_minor(g.base, doc.currency),
         "tax": to_minor(g.tax, doc.currency), "note": notes.get((g.category, g.rate.normalize()), "")}
        for g in totals.tax_groups]
    doc.refresh_search()
    doc.updated_at = utcnow()
    return totals
