"""The EN 16931 calculator: hand-worked cases and properties."""
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain.totals import Adjustment, Line, TotalsError, compute_totals


def line(q, price, rate="19", cat="S", **kw):
    return Line(quantity=D(q), unit_price=D(price), tax_rate=D(rate), tax_category=cat, **kw)


def totals(lines, currency="EUR", incl=False, allowances=(), charges=()):
    return compute_totals(lines=lines, allowances=allowances, charges=charges, currency=currency,
                          prices_include_tax=incl)


def test_the_documented_example():
    t = compute_totals(
        lines=[Line(quantity=D("3"), unit_price=D("3.3333"), tax_rate=D("19"), tax_category="S",
                    base_quantity=D("1"), allowances=(D("0.50"),), charges=(), discount_percent=None)],
        allowances=[Adjustment(amount=D("5.00"), tax_rate=D("19"), tax_category="S")],
        charges=[Adjustment(amount=D("4.90"), tax_rate=D("19"), tax_category="S")],
        currency="EUR", prices_include_tax=False)
    # 3 x 3.3333 = 9.9999; - 0.50 = 9.4999 -> 9.50
    assert t.line_nets == (D("9.50"),) and t.line_total == D("9.50")
    assert (t.allowance_total, t.charge_total, t.net_total) == (D("5.00"), D("4.90"), D("9.40"))
    # 9.40 x 19 % = 1.786 -> 1.79
    assert (t.tax_total, t.gross_total) == (D("1.79"), D("11.19"))
    assert [(g.category, g.rate, g.base, g.tax) for g in t.tax_groups] == [("S", D("19"), D("9.40"), D("1.79"))]


def test_three_times_a_third():
    t = totals([line("3", "3.3333")])
    assert t.line_nets == (D("10.00"),)  # 9.9999 rounds up to 10.00
    assert t.tax_total == D("1.90") and t.gross_total == D("11.90")


def test_half_cent_ties_round_away_from_zero():
    assert totals([line("1", "0.005")]).line_nets == (D("0.01"),)
    assert totals([line("-1", "0.005")]).line_nets == (D("-0.01"),)
    assert totals([line("1", "0.125", "0", "Z")]).line_nets == (D("0.13"),)  # Babel/bankers would give 0.12
    # VAT of 0.50 at 19 % = 0.095 -> 0.10
    assert totals([line("1", "0.50")]).tax_total == D("0.10")
    assert totals([line("-1", "0.50")]).tax_total == D("-0.10")


def test_vat_is_rounded_once_per_group_not_per_line():
    # three lines of 0.10 at 19 %: per line 0.019 -> 0.02 each (0.06), per group 0.30 x 19 % = 0.057 -> 0.06
    t = totals([line("1", "0.10")] * 3)
    assert t.tax_total == D("0.06")
    # 0.13 x 3 lines: per line 0.0247 -> 0.02 each = 0.06; per group 0.39 x 0.19 = 0.0741 -> 0.07
    assert totals([line("1", "0.13")] * 3).tax_total == D("0.07")


def test_negative_lines_and_discounts():
    t = totals([line("10", "12.00", discount_percent=D("10")), line("-1", "12.00")])
    assert t.line_nets == (D("108.00"), D("-12.00")) and t.line_allowances == (D("12.00"), D("0"))
    assert t.net_total == D("96.00") and t.tax_total == D("18.24") and t.gross_total == D("114.24")


def test_base_quantity_price_per_hundred():
    # 250 pieces at 7.50 per 100 pieces
    t = totals([line("250", "7.50", base_quantity=D("100"))])
    assert t.line_nets == (D("18.75"),)


def test_jpy_has_no_minor_unit_and_bhd_three():
    t = totals([line("3", "333.3", "10")], currency="JPY")
    assert t.line_nets == (D("1000"),) and t.tax_total == D("100") and t.gross_total == D("1100")
    b = totals([line("1", "1.2345", "10")], currency="BHD")
    assert b.line_nets == (D("1.235"),) and b.tax_total == D("0.124") and b.gross_total == D("1.359")


def test_mixed_rates_make_one_group_each():
    t = totals([line("1", "100.00", "19"), line("2", "10.00", "7"), line("1", "50.00", "19"),
                line("1", "30.00", "0", "AE")],
               allowances=[Adjustment(D("10.00"), D("19"), "S")], charges=[Adjustment(D("5.00"), D("7"), "S")])
    groups = {(g.category, g.rate): (g.base, g.tax) for g in t.tax_groups}
    assert groups == {("S", D("19")): (D("140.00"), D("26.60")), ("S", D("7")): (D("25.00"), D("1.75")),
                      ("AE", D("0")): (D("30.00"), D("0.00"))}
    assert t.net_total == D("195.00") == sum(b for b, _ in groups.values())
    assert t.tax_total == D("28.35") and t.gross_total == D("223.35")


def test_reverse_charge_at_zero():
    t = totals([line("4", "250.00", "0", "AE")])
    assert (t.net_total, t.tax_total, t.gross_total) == (D("1000.00"), D("0.00"), D("1000.00"))
    assert t.tax_groups[0].category == "AE"


def test_prices_including_tax_take_the_vat_out_of_the_group_sum():
    # 3 x 1.19 gross: group gross 3.57, VAT = 3.57 x 19/119 = 0.57, base 3.00
    t = totals([line("1", "1.19")] * 3, incl=True)
    assert (t.gross_total, t.tax_total, t.net_total) == (D("3.57"), D("0.57"), D("3.00"))
    assert t.line_nets == (D("1.00"),) * 3
    # 10.00 gross at 19 % x 3 lines: gross 30.00, VAT 4.79 (4.789...), base 25.21; line nets add up exactly
    t = totals([line("1", "10.00")] * 3, incl=True)
    assert (t.gross_total, t.tax_total, t.net_total) == (D("30.00"), D("4.79"), D("25.21"))
    assert sum(t.line_nets) == D("25.21") and sorted(t.line_nets) == [D("8.40"), D("8.40"), D("8.41")]


def test_inclusive_prices_with_adjustments_and_mixed_rates():
    t = totals([line("1", "119.00"), line("1", "10.70", "7")], incl=True,
               allowances=[Adjustment(D("11.90"), D("19"), "S")], charges=[Adjustment(D("5.35"), D("7"), "S")])
    groups = {g.rate: (g.base, g.tax) for g in t.tax_groups}
    assert groups == {D("19"): (D("90.00"), D("17.10")), D("7"): (D("15.00"), D("1.05"))}
    assert t.gross_total == D("123.15") and t.allowance_total == D("10.00") and t.charge_total == D("5.00")
    assert t.line_total - t.allowance_total + t.charge_total == t.net_total == D("105.00")


def test_igic_ipsi_and_split_payment_are_taxed_at_their_own_rates():
    t = totals([line("3", "180", "7", "L"), line("4", "24.50", "3", "L"), line("20", "1.10", "0", "M"),
                line("2", "349", "10", "M")], charges=[Adjustment(D("12.00"), D("7"), "L")])
    assert [(g.category, g.rate, g.base, g.tax) for g in t.tax_groups] == [
        ("L", D("7"), D("552.00"), D("38.64")), ("L", D("3"), D("98.00"), D("2.94")),
        ("M", D("10"), D("698.00"), D("69.80")), ("M", D("0"), D("22.00"), D("0.00"))]
    split = totals([line("12", "95", "22", "B"), line("5", "18", "10", "B")], incl=True)
    assert [(g.category, g.base + g.tax) for g in split.tax_groups] == [("B", D("1140.00")), ("B", D("90.00"))]
    assert split.tax_total == D("205.57") + D("8.18")


@pytest.mark.parametrize("kwargs,message", [
    ({"currency": "XXY"}, "Unknown currency"),
    ({"currency": "eur"}, "Unknown currency"),
    ({"lines": [line("1", "1", base_quantity=D("-1"))]}, "base quantity must be above 0"),
    ({"lines": [line("1", "1", base_quantity=D("0"))]}, "base quantity must be above 0"),
    ({"lines": [line("NaN", "1")]}, "finite number"),
    ({"lines": [line("1", "Infinity")]}, "finite number"),
    ({"lines": [Line(quantity=1.5, unit_price=D("1"), tax_rate=D("19"))]}, "must be a Decimal"),
    ({"lines": [line("1.00001", "1")]}, "at most 4 decimal places"),
    ({"lines": [line("1", "1", "19", "Q")]}, "unknown VAT category"),
    ({"lines": [line("1", "1", "7", "AE")]}, "always has a rate of 0"),
    ({"lines": [line("1", "1", "0", "S")]}, "needs a rate above 0"),
    ({"lines": [line("1", "1", "0", "L")]}, "category L needs a rate above 0"),
    ({"lines": [line("1", "1", "0", "B")]}, "category B needs a rate above 0"),
    ({"charges": [Adjustment(D("5"), D("0"), "L")]}, "document charge 1: category L needs a rate above 0"),
    ({"lines": [line("1", "1", "-5")]}, "between 0 and 100"),
    ({"lines": [line("1", "1", discount_percent=D("120"))]}, "between 0 and 100 %"),
    ({"allowances": [Adjustment(D("NaN"), D("19"), "S")]}, "finite number"),
])
def test_wrong_input_raises_a_clear_error(kwargs, message):
    args = {"lines": [line("1", "1")], "currency": "EUR", **kwargs}
    with pytest.raises(TotalsError, match=message):
        compute_totals(**args)


# --- properties -----------------------------------------------------------------------------------

RATES = [("S", D("19")), ("S", D("7")), ("S", D("8.875")), ("S", D("5.5")), ("Z", D("0")), ("AE", D("0"))]
money = st.decimals(min_value=D("-1000"), max_value=D("10000"), places=2, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=D("0"), max_value=D("5000"), places=4, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=D("-50"), max_value=D("1000"), places=4, allow_nan=False, allow_infinity=False)
allowance_amounts = st.decimals(min_value=D("0"), max_value=D("100"), places=2, allow_nan=False, allow_infinity=False)


@st.composite
def lines_strategy(draw):
    category, rate = draw(st.sampled_from(RATES))
    return Line(quantity=draw(quantities), unit_price=draw(prices), tax_rate=rate, tax_category=category,
                base_quantity=draw(st.sampled_from([D("1"), D("1"), D("10"), D("100")])),
                allowances=tuple(draw(st.lists(allowance_amounts, max_size=2))),
                charges=tuple(draw(st.lists(allowance_amounts, max_size=1))),
                discount_percent=draw(st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("50"),
                                                                           places=2))))


@st.composite
def adjustments_strategy(draw):
    category, rate = draw(st.sampled_from(RATES))
    return Adjustment(amount=draw(allowance_amounts), tax_rate=rate, tax_category=category)


documents = st.fixed_dictionaries({
    "lines": st.lists(lines_strategy(), min_size=1, max_size=8),
    "allowances": st.lists(adjustments_strategy(), max_size=2),
    "charges": st.lists(adjustments_strategy(), max_size=2),
    "currency": st.sampled_from(["EUR", "EUR", "JPY", "BHD", "USD"]),
    "prices_include_tax": st.booleans(),
})


def credit_note(doc):
    """Every line credited in full: quantities, line and document allowances and charges negated."""
    return {**doc,
            "lines": [Line(quantity=-ln.quantity, unit_price=ln.unit_price, tax_rate=ln.tax_rate,
                           tax_category=ln.tax_category, base_quantity=ln.base_quantity,
                           allowances=tuple(-a for a in ln.allowances), charges=tuple(-c for c in ln.charges),
                           discount_percent=ln.discount_percent) for ln in doc["lines"]],
            "allowances": [Adjustment(-a.amount, a.tax_rate, a.tax_category) for a in doc["allowances"]],
            "charges": [Adjustment(-c.amount, c.tax_rate, c.tax_category) for c in doc["charges"]]}


@settings(max_examples=300, deadline=None)
@given(documents)
def test_a_full_credit_note_gives_exactly_the_negated_totals(doc):
    invoice, credit = compute_totals(**doc), compute_totals(**credit_note(doc))
    assert credit.line_nets == tuple(-n for n in invoice.line_nets)
    for name in ("line_total", "allowance_total", "charge_total", "net_total", "tax_total", "gross_total"):
        assert getattr(credit, name) == -getattr(invoice, name), name
    assert [(g.category, g.rate, -g.base, -g.tax) for g in credit.tax_groups] == \
        [(g.category, g.rate, g.base, g.tax) for g in invoice.tax_groups]


@settings(max_examples=300, deadline=None)
@given(documents)
def test_group_bases_add_up_to_the_total_without_vat(doc):
    t = compute_totals(**doc)
    assert sum((g.base for g in t.tax_groups), D(0)) == t.net_total
    assert sum((g.tax for g in t.tax_groups), D(0)) == t.tax_total
    assert t.net_total == t.line_total - t.allowance_total + t.charge_total
    assert t.gross_total == t.net_total + t.tax_total
    assert sum(t.line_nets, D(0)) == t.line_total
    places = {"EUR": 2, "USD": 2, "JPY": 0, "BHD": 3}[doc["currency"]]
    for amount in (*t.line_nets, t.net_total, t.tax_total, t.gross_total, *(g.tax for g in t.tax_groups)):
        assert amount.as_tuple().exponent == -places
    if not doc["prices_include_tax"]:
        from webapp.domain.money import round_money
        for g in t.tax_groups:
            assert g.tax == round_money(g.base * g.rate / 100, doc["currency"])
