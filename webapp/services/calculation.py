"""A document's figures: the EN 16931 calculator applied to its lines and adjustments, stored in minor units.

Every change of a draft ends with ``recalculate``; a draft follows the tax rates it uses (an edited rate
updates the draft's copies), an issued document's copies never change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select

from webapp.domain.errors import ActionError
from webapp.domain.money import from_minor, round_money, to_minor
from webapp.domain.totals import Adjustment, Line, Totals, TotalsError, compute_totals
from webapp.extensions import db
from webapp.models import Document, DocumentAdjustment, DocumentLine, Organization, TaxRate
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


def _calc_lines_of(lines) -> list[Line]:
    return [Line(quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_percent,
                 tax_category=line.tax_category, discount_percent=line.discount_percent,
                 base_quantity=line.base_quantity if line.base_quantity is not None else Decimal(1),
                 allowances=line.amounts("allowance"), charges=line.amounts("charge")) for line in lines]


def _calc_lines(doc: Document) -> list[Line]:
    return _calc_lines_of(doc.lines)


def compute(doc: Document, lines: list[Line] | None = None) -> Totals:
    """The document's totals; a percent discount becomes one allowance per tax group of the lines.

    ``lines`` stands in for the document's lines when given: ``recalculate_changed`` passes one line per VAT
    group carrying the group's sum of stored line nets, which totals exactly as the lines themselves do when
    prices exclude VAT (every line amount is rounded on its own first, and the groups add them up)."""
    lines = _calc_lines(doc) if lines is None else lines
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


@dataclass(frozen=True)
class AdjustmentFigure:
    """One row of a document's totals between the sum of the lines and the total without VAT.

    ``adjustment`` is None for the percent discount on all lines (one allowance per VAT group, shown as one
    row). ``net`` is what the row adds to the total without VAT (minor units, negative for an allowance);
    ``entered`` is the adjustment's amount as typed (gross when prices include VAT; None for the percent)."""

    kind: str  # allowance, charge
    net: int
    adjustment: DocumentAdjustment | None = None
    entered: int | None = None


def adjustment_figures(doc: Document) -> list[AdjustmentFigure]:
    """The rows of the percent discount and of each discount and charge, each with its amount: the nets the
    calculator gives them (``compute``), which add up to the document's stored allowance and charge totals."""
    if not doc.discount_percent and not doc.adjustments:
        return []
    totals = compute(doc)
    explicit = [a for a in doc.adjustments if a.kind == "allowance"]
    allowance_nets, charge_nets = iter(totals.allowance_nets), iter(totals.charge_nets)
    rows = []
    for adj in doc.adjustments:
        net = next(allowance_nets) if adj.kind == "allowance" else next(charge_nets)
        rows.append(AdjustmentFigure(adj.kind, to_minor(-net if adj.kind == "allowance" else net, doc.currency), adj,
                                     to_minor(round_money(adj.amount, doc.currency), doc.currency)))
    if doc.discount_percent:  # its allowances come after the explicit ones (``compute``)
        percent = sum(totals.allowance_nets[len(explicit):], Decimal(0))
        rows.insert(0, AdjustmentFigure("allowance", -to_minor(percent, doc.currency)))
    return rows


def _refresh_rate_copies(doc: Document, lines: bool = True) -> None:
    """A draft follows its tax rates: when a rate was edited, the draft's copies follow (issued ones never).
    With ``lines=False`` only the adjustments' copies (``recalculate_changed`` checks the lines' in SQL)."""
    items = [*doc.lines, *doc.adjustments] if lines else list(doc.adjustments)
    ids = {x.tax_rate_id for x in items if x.tax_rate_id}
    if not ids:
        return
    rates = {r.id: r for r in db.session.scalars(select(TaxRate).where(TaxRate.id.in_(ids)))}
    for item in items:
        rate = rates.get(item.tax_rate_id)
        if rate is not None and (item.tax_percent, item.tax_category, item.exemption_note) != (
                rate.percent, rate.category, rate.exemption_note):
            apply_rate(item, rate)


# The calculator's refusals (``TotalsError``) guard its own invariants (Decimals, known VAT categories ...): the
# forms and use cases check what a member types before, so they reach nobody but a developer and stay English.
# The message goes in as a value: a template is never built from it.
CALCULATOR_MESSAGE = "{reason}"


def _totals_of(doc: Document, lines: list[Line] | None = None) -> Totals:
    try:
        totals = compute(doc, lines)
    except TotalsError as exc:
        raise ActionError("invalid_amounts", CALCULATOR_MESSAGE, reason=str(exc)) from exc
    return totals


def _check_size(doc: Document, amounts) -> None:
    if any(abs(to_minor(a, doc.currency)) >= MAX_AMOUNT_MINOR for a in amounts):
        raise ActionError("amount_too_large", "These amounts are too large for one invoice.")


def _first_notes(items) -> dict[tuple[str, Decimal], str]:
    """The exemption note of each VAT group: the first one given, in the order of ``items`` (lines by
    position, then adjustments) as (category, rate, note)."""
    notes: dict[tuple[str, Decimal], str] = {}
    for category, rate, note in items:
        if note:
            notes.setdefault((category, rate.normalize()), note)
    return notes


def _decisions(lines) -> dict[tuple[str, Decimal], dict]:
    """Each VAT group's automatic decision (services/automatic_tax.py), from its first line that has one: the
    jurisdiction, the exemption reason code (BT-121) and type, kept in the group's breakdown entry."""
    found: dict[tuple[str, Decimal], dict] = {}
    for line in lines:
        decision = line.tax_decision or {}
        if line.tax_jurisdiction and not decision.get("undecided"):
            found.setdefault((line.tax_category, line.tax_percent.normalize()), {
                k: v for k, v in (("jurisdiction", line.tax_jurisdiction), ("vatex", decision.get("vatex", "")),
                                  ("exemption_type", decision.get("exemption_type", ""))) if v})
    return found


# the totals a supplier's e-invoice states that stand for the calculator's (``Document.stated_totals``)
STATED_FIELDS = ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total")


def _store(doc: Document, totals: Totals, notes: dict[tuple[str, Decimal], str], decided=None) -> None:
    for name in ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total"):
        setattr(doc, name, to_minor(getattr(totals, name), doc.currency))
    decided = decided or {}
    doc.tax_breakdown = [
        {"category": g.category, "rate": f"{g.rate.normalize():f}", "base": to_minor(g.base, doc.currency),
         "tax": to_minor(g.tax, doc.currency), "note": notes.get((g.category, g.rate.normalize()), ""),
         **decided.get((g.category, g.rate.normalize()), {})}
        for g in totals.tax_groups]
    if doc.stated_totals:  # a supplier's e-invoice: its figures are the document's (purchases.differences)
        stated = doc.stated_totals
        for name in STATED_FIELDS:
            if stated.get(name) is not None:
                setattr(doc, name, stated[name])
        if stated.get("tax_breakdown"):
            doc.tax_breakdown = stated["tax_breakdown"]
        if doc.is_draft:
            doc.prepaid_total = stated.get("prepaid") or 0
    doc.refresh_search()
    doc.updated_at = utcnow()


def recalculate(doc: Document, on: date | None = None) -> Totals:
    """Every figure of the document from all its lines and adjustments; a draft with automatic VAT decides its
    lines' VAT first, as of ``on`` (default: its chosen issue date, else today)."""
    if doc.is_draft:
        _refresh_rate_copies(doc)
        if doc.automatic_tax:
            from webapp.services import automatic_tax

            # the lines whose decision moved, for the editor to show anew (kept on the object, not stored)
            doc.tax_decisions_moved = automatic_tax.apply(db.session.get(Organization, doc.org_id), doc, on)
    totals = _totals_of(doc)
    _check_size(doc, [*totals.line_nets, totals.net_total, totals.gross_total, totals.tax_total])
    for line, net in zip(doc.lines, totals.line_nets):
        # a line of a supplier's e-invoice shows the net it states (purchases.differences names the calculator's)
        minor = line.stated_net if line.stated_net is not None else to_minor(net, doc.currency)
        if line.net_amount != minor:  # an unchanged line stays clean: the flush writes the lines that moved
            line.net_amount = minor
    _store(doc, totals, _first_notes([(x.tax_category, x.tax_percent, x.exemption_note)
                                      for x in [*doc.lines, *doc.adjustments]]), _decisions(doc.lines))
    return totals


def _line_rate_copies_stale(doc: Document) -> bool:
    """Whether a line of the draft still carries an old copy of a tax rate edited since (one query)."""
    L, R = DocumentLine, TaxRate
    return db.session.scalar(
        select(L.id).join(R, R.id == L.tax_rate_id)
        .where(L.document_id == doc.id, or_(L.tax_percent != R.percent, L.tax_category != R.category,
                                            L.exemption_note != R.exemption_note)).limit(1)) is not None


def recalculate_changed(doc: Document, changed=()) -> set[int]:
    """A draft's figures after ``changed`` lines were added or edited (or others removed or moved), without
    reading its other lines: each changed line's net, then the totals from the per-group sums of the stored
    line nets (two queries), so an edit costs the same on a 1,000-line draft as on a 3-line one. Returns the
    ids of the lines whose net amount moved.

    Falls back to ``recalculate`` where every line can move: with prices including VAT (the cent corrections
    of a group spread over its lines), on a document that is not a draft, and when a line still carries an old
    copy of an edited tax rate, with automatic VAT (a line can move every line's decision: the threshold), and on
    a supplier's e-invoice (its stated figures stand)."""
    changed = list(changed)
    if (doc.prices_include_tax or not doc.is_draft or doc.automatic_tax or doc.stated_totals
            or _line_rate_copies_stale(doc)):
        before = {line.id: line.net_amount for line in doc.lines}
        recalculate(doc)
        return {line.id for line in doc.lines if before.get(line.id) != line.net_amount}
    _refresh_rate_copies(doc, lines=False)
    for line in changed:
        try:  # a line's net alone: without VAT in its price it depends on nothing else
            net = compute_totals(lines=_calc_lines_of([line]), currency=doc.currency).line_nets[0]
        except TotalsError as exc:  # the calculator numbers the one line it saw as "line 1"
            raise ActionError("invalid_amounts", CALCULATOR_MESSAGE,
                              reason=str(exc).replace("line 1:", f"line {line.position + 1}:", 1)) from exc
        _check_size(doc, [net])
        line.net_amount = to_minor(net, doc.currency)
    L = DocumentLine
    groups = db.session.execute(  # flushes the changed lines first (autoflush)
        select(L.tax_category, L.tax_percent, func.coalesce(func.sum(L.net_amount), 0))
        .where(L.document_id == doc.id).group_by(L.tax_category, L.tax_percent)
        .order_by(func.min(L.position))).all()
    noted = db.session.execute(
        select(L.tax_category, L.tax_percent, L.exemption_note)
        .where(L.document_id == doc.id, L.exemption_note != "")
        .group_by(L.tax_category, L.tax_percent, L.exemption_note).order_by(func.min(L.position))).all()
    totals = _totals_of(doc, [Line(quantity=Decimal(1), unit_price=from_minor(int(net), doc.currency),
                                   tax_rate=rate, tax_category=category) for category, rate, net in groups])
    _check_size(doc, [totals.net_total, totals.gross_total, totals.tax_total])
    _store(doc, totals, _first_notes([*noted, *((a.tax_category, a.tax_percent, a.exemption_note)
                                                 for a in doc.adjustments)]))
    return {line.id for line in changed}
