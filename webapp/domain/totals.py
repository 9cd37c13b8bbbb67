"""Document totals by the EU e-invoicing standard EN 16931. Pure Python: no Flask, no SQLAlchemy.

::

    from decimal import Decimal
    from webapp.domain.totals import Line, Adjustment, compute_totals
    t = compute_totals(
        lines=[Line(quantity=Decimal("3"), unit_price=Decimal("3.3333"), tax_rate=Decimal("19"),
                    tax_category="S", base_quantity=Decimal("1"),
                    allowances=(Decimal("0.50"),), charges=(), discount_percent=None)],
        allowances=[Adjustment(amount=Decimal("5.00"), tax_rate=Decimal("19"), tax_category="S")],
        charges=[Adjustment(amount=Decimal("4.90"), tax_rate=Decimal("19"), tax_category="S")],
        currency="EUR", prices_include_tax=False)
    t.line_nets        # one Decimal per line, rounded to the currency's precision
    t.line_total       # sum of line nets              (BT-106)
    t.allowance_total  # document-level allowances     (BT-107)
    t.charge_total     # document-level charges        (BT-108)
    t.net_total        # total without VAT             (BT-109)
    t.tax_total        # total VAT                     (BT-110)
    t.gross_total      # total with VAT                (BT-112)
    t.tax_groups       # per (category, rate): .category, .rate, .base (BT-116), .tax (BT-117)

Rules (all rounding half-up, away from zero, to the currency's precision):

- line amount = round(quantity x unit_price / base_quantity - line allowances + line charges); a
  ``discount_percent`` becomes one more line allowance of round(quantity x unit_price / base_quantity x
  percent / 100).
- Prices without tax: the line amount is the line net (BT-131). Per (category, rate) group: base =
  line nets + charges - allowances; VAT = round(base x rate / 100), rounded once per group.
- Prices with tax: the line amounts and adjustments are gross. Per group: gross = lines + charges -
  allowances; VAT = round(gross x rate / (100 + rate)); base = gross - VAT. The net of each line and
  adjustment is its gross without VAT, rounded, then corrected cent by cent (largest remainders first)
  so that the nets add up to the group's base exactly, as EN 16931 requires (BR-CO-10, BR-S-08).
- total without VAT = line total - allowances + charges; total with VAT = that + total VAT.

Negating every quantity and every allowance and charge amount negates every figure exactly (what a
full credit note needs). Wrong input raises ``TotalsError`` (a ValueError) with a clear message.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from webapp.domain.money import MoneyError, quantum, round_money
from webapp.domain.tax import POSITIVE_CATEGORIES, TAX_CATEGORIES, ZERO_CATEGORIES

MAX_QUANTITY_PLACES = 4
HUNDRED = Decimal(100)


class TotalsError(ValueError):
    """The input cannot be totalled; the message says why."""


@dataclass(frozen=True)
class Line:
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    tax_category: str = "S"
    base_quantity: Decimal = Decimal("1")
    allowances: tuple[Decimal, ...] = ()
    charges: tuple[Decimal, ...] = ()
    discount_percent: Decimal | None = None


@dataclass(frozen=True)
class Adjustment:
    """A document-level allowance (discount) or charge (shipping, fees) with its VAT category and rate."""

    amount: Decimal
    tax_rate: Decimal
    tax_category: str = "S"
    reason: str = ""


@dataclass(frozen=True)
class TaxGroup:
    category: str
    rate: Decimal
    base: Decimal  # BT-116
    tax: Decimal  # BT-117

    @property
    def gross(self) -> Decimal:
        return self.base + self.tax


@dataclass(frozen=True)
class Totals:
    currency: str
    line_nets: tuple[Decimal, ...]
    line_allowances: tuple[Decimal, ...]  # per line: the allowances incl. the discount (BT-136 sums)
    line_total: Decimal
    allowance_total: Decimal
    charge_total: Decimal
    net_total: Decimal
    tax_total: Decimal
    gross_total: Decimal
    tax_groups: tuple[TaxGroup, ...] = field(default_factory=tuple)
    allowance_nets: tuple[Decimal, ...] = ()
    charge_nets: tuple[Decimal, ...] = ()


def _check_decimal(value, what: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TotalsError(f"{what} must be a Decimal, not {type(value).__name__} (no floats in money).")
    if not value.is_finite():
        raise TotalsError(f"{what} must be a finite number, got {value}.")
    return value


def _check_tax(category: str, rate: Decimal, what: str) -> None:
    _check_decimal(rate, f"{what}: tax rate")
    if category not in TAX_CATEGORIES:
        raise TotalsError(f"{what}: unknown VAT category {category!r}; use one of {', '.join(TAX_CATEGORIES)}.")
    if rate < 0 or rate > HUNDRED:
        raise TotalsError(f"{what}: a tax rate must be between 0 and 100, got {rate}.")
    if category in ZERO_CATEGORIES and rate != 0:
        raise TotalsError(f"{what}: category {category} always has a rate of 0, got {rate}.")
    if category in POSITIVE_CATEGORIES and rate == 0:
        raise TotalsError(f"{what}: category {category} needs a rate above 0; use Z for zero-rated supplies.")


def _line_amount(line: Line, index: int, currency: str) -> tuple[Decimal, Decimal]:
    """(line amount, its total allowance) before any tax is taken out."""
    what = f"line {index + 1}"
    quantity = _check_decimal(line.quantity, f"{what}: quantity")
    price = _check_decimal(line.unit_price, f"{what}: unit price")
    base_quantity = _check_decimal(line.base_quantity, f"{what}: base quantity")
    exponent = quantity.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_QUANTITY_PLACES:
        raise TotalsError(f"{what}: a quantity has at most {MAX_QUANTITY_PLACES} decimal places.")
    if base_quantity <= 0:
        raise TotalsError(f"{what}: the base quantity must be above 0, got {base_quantity}.")
    _check_tax(line.tax_category, line.tax_rate, what)
    gross = quantity * price / base_quantity
    allowances = [_check_decimal(a, f"{what}: allowance") for a in line.allowances]
    charges = [_check_decimal(c, f"{what}: charge") for c in line.charges]
    if line.discount_percent is not None:
        percent = _check_decimal(line.discount_percent, f"{what}: discount")
        if percent < 0 or percent > HUNDRED:
            raise TotalsError(f"{what}: a discount is between 0 and 100 %, got {percent}.")
        allowances.append(round_money(gross * percent / HUNDRED, currency))
    allowances = [round_money(a, currency) for a in allowances]
    charges = [round_money(c, currency) for c in charges]
    allowance = sum(allowances, Decimal(0))
    return round_money(gross - allowance + sum(charges, Decimal(0)), currency), allowance


def _spread(items: list[Decimal], target: Decimal, rate: Decimal, currency: str) -> list[Decimal]:
    """Nets of gross ``items`` that add up to ``target`` exactly: rounded shares, then cent corrections
    to the items whose rounding lost (or gained) the most. Symmetric under negation."""
    step = quantum(currency)
    exact = [g * HUNDRED / (HUNDRED + rate) for g in items]
    nets = [round_money(x, currency) for x in exact]
    missing = int((target - sum(nets, Decimal(0))) / step)
    if missing:
        sign = 1 if missing > 0 else -1
        order = sorted(range(len(items)), key=lambda i: (-(exact[i] - nets[i]) * sign, i))
        for i in order[:abs(missing)]:
            nets[i] += step * sign
    return nets


def compute_totals(*, lines, allowances=(), charges=(), currency: str, prices_include_tax: bool = False) -> Totals:
    """Totals of a document (see the module docstring for the rules)."""
    try:
        quantum(currency)
    except MoneyError as exc:
        raise TotalsError(str(exc)) from exc
    lines, allowances, charges = list(lines), list(allowances), list(charges)
    amounts, line_allowances = [], []
    for i, line in enumerate(lines):
        amount, allowance = _line_amount(line, i, currency)
        amounts.append(amount)
        line_allowances.append(allowance)
    adjustments = []
    for kind, items, sign in (("allowance", allowances, -1), ("charge", charges, 1)):
        for i, adj in enumerate(items):
            what = f"document {kind} {i + 1}"
            _check_decimal(adj.amount, f"{what}: amount")
            _check_tax(adj.tax_category, adj.tax_rate, what)
            adjustments.append((kind, i, adj, sign * round_money(adj.amount, currency)))

    # every item as (group key, signed amount, where its net goes)
    items = [((line.tax_category, line.tax_rate.normalize()), amounts[i], ("line", i)) for i, line in enumerate(lines)]
    items += [((adj.tax_category, adj.tax_rate.normalize()), signed, (kind, i)) for kind, i, adj, signed in adjustments]
    groups: dict[tuple[str, Decimal], list[int]] = {}
    for index, (key, _, _) in enumerate(items):
        groups.setdefault(key, []).append(index)

    nets: list[Decimal] = [Decimal(0)] * len(items)
    tax_groups = []
    for (category, rate), members in groups.items():
        total = sum((items[i][1] for i in members), Decimal(0))
        if prices_include_tax:
            tax = round_money(total * rate / (HUNDRED + rate), currency)
            base = total - tax
            for i, net in zip(members, _spread([items[i][1] for i in members], base, rate, currency)):
                nets[i] = net
        else:
            base = total
            tax = round_money(base * rate / HUNDRED, currency)
            for i in members:
                nets[i] = items[i][1]
        tax_groups.append(TaxGroup(category=category, rate=rate, base=base, tax=tax))

    line_nets = tuple(nets[: len(lines)])
    allowance_nets = tuple(-nets[len(lines) + k] for k, (kind, *_rest) in enumerate(adjustments) if kind == "allowance")
    charge_nets = tuple(nets[len(lines) + k] for k, (kind, *_rest) in enumerate(adjustments) if kind == "charge")
    zero = round_money(Decimal(0), currency)
    line_total = sum(line_nets, zero)
    allowance_total = sum(allowance_nets, zero)
    charge_total = sum(charge_nets, zero)
    net_total = line_total - allowance_total + charge_total
    tax_total = sum((g.tax for g in tax_groups), zero)
    tax_groups.sort(key=lambda g: (g.category, -g.rate))
    return Totals(
        currency=currency, line_nets=line_nets, line_allowances=tuple(line_allowances), line_total=line_total,
        allowance_total=allowance_total, charge_total=charge_total, net_total=net_total, tax_total=tax_total,
        gross_total=net_total + tax_total, tax_groups=tuple(tax_groups), allowance_nets=allowance_nets,
        charge_nets=charge_nets,
    )
