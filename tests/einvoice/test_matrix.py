"""The e-invoice matrix: documents of every shape Tallybook issues, built as Factur-X CII, XRechnung UBL and
XRechnung CII from what was frozen at issue, each checked by the official rules (EN 16931 1.3.16 for Factur-X;
the KoSIT XRechnung configuration for XRechnung) with zero fatal findings, and each XML's figures compared with
the stored totals.

Every scenario is a small recipe (``Case``) issued through the app's own use cases (drafts, catalog,
corrections, issuing), so what is checked is what a member's invoice would carry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from tests import factories as F
from webapp.domain.money import from_minor
from webapp.domain.tax import EXPORT_NOTE, INTRA_EU_NOTE, REVERSE_CHARGE_NOTE, TAX_CATEGORIES
from webapp.extensions import db
from webapp.models import TaxRate
from webapp.services import catalog, corrections, drafts, einvoice, einvoice_xml, issuing
from webapp.services.einvoice_data import amount_text

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"ram": RAM, "cbc": CBC, "cac": CAC}
FORMATS = ("facturx-cii", "xrechnung-ubl", "xrechnung-cii")


@dataclass(frozen=True)
class Adj:
    amount: str
    reason: str = ""
    reason_code: str = ""


@dataclass
class Case:
    name: str
    lines: list = field(default_factory=lambda: [dict(description="Consulting", quantity="2", price="100.00")])
    currency: str = "EUR"
    gross: bool = False  # prices include VAT
    discount: str | None = None  # percent on all lines
    adjustments: list = field(default_factory=list)  # (kind, reason, amount, rate key, reason code)
    header: dict = field(default_factory=dict)
    buyer: dict = field(default_factory=dict)
    buyer_reference: str = "Kostenstelle 4711"  # XRechnung requires BT-10 (BR-DE-15)
    credit: str | None = None  # None, "full", "lines", "amount"
    seller_country: str = "DE"
    seller: dict = field(default_factory=dict)  # the organization's details that differ from complete_org's


# the tax rates every case can name (category, percent, exemption note)
RATES = {
    "S19": ("S", "19", ""), "S7": ("S", "7", ""), "S20": ("S", "20", ""), "Z": ("Z", "0", ""),
    "E": ("E", "0", "Exempt from VAT under section 4 no. 14 UStG (medical care)."),
    "AE": ("AE", "0", REVERSE_CHARGE_NOTE), "K": ("K", "0", INTRA_EU_NOTE), "G": ("G", "0", EXPORT_NOTE),
    "O": ("O", "0", "Not subject to VAT (outside the scope)."),
    # Canary Islands IGIC (general 7 %, reduced 3 %; its 0 % cannot be stated in CII: BR-AF-05), Ceuta and
    # Melilla IPSI (0.5 to 10 %, 0 % allowed: BR-AG-05), Italian split payment with the Italian rates
    "L7": ("L", "7", ""), "L3": ("L", "3", ""), "M4": ("M", "4", ""), "M0": ("M", "0", ""), "M10": ("M", "10", ""),
    "B22": ("B", "22", "Scissione dei pagamenti, art. 17-ter DPR 633/1972."),
    "B10": ("B", "10", "Scissione dei pagamenti, art. 17-ter DPR 633/1972."),
}
EU_BUYER = dict(country="FR", vat_id="FR40303265045", city="Paris", postal_code="75001", street="1 rue de Rivoli")
UK_BUYER = dict(country="GB", city="London", postal_code="SW1A 1AA", street="10 Downing St")
# a seller established in the Canary Islands (a Spanish NIF: the EU VAT number ES..., valid by python-stdnum) and
# its customer there; one in Melilla; an Italian seller and an Italian public buyer (split payment, BR-B-01: every
# country of the invoice is IT). The XRechnung rules are a CIUS of EN 16931: they hold for a non-German seller too.
CANARY_SELLER = dict(vat_id="ESA12345674", street="Calle de Triana 20", postal_code="35002",
                     city="Las Palmas de Gran Canaria", region="Las Palmas", iban="ES9121000418450200051332",
                     phone="+34 928 123 456", registration_id="")
CANARY_BUYER = dict(company_name="Hoteles Atlántico S.L.", country="ES", vat_id="ESB38000006",
                    street="Avenida de Anaga 5", postal_code="38001", city="Santa Cruz de Tenerife",
                    region="Santa Cruz de Tenerife")
MELILLA_SELLER = dict(vat_id="ESB52000007", street="Avenida Juan Carlos I 10", postal_code="52001", city="Melilla",
                      region="Melilla", iban="ES9121000418450200051332", phone="+34 952 123 456", registration_id="")
MELILLA_BUYER = dict(company_name="Comercial Melillense S.L.", country="ES", vat_id="ESB51000008",
                     street="Calle General Prim 3", postal_code="52001", city="Melilla", region="Melilla")
ITALIAN_SELLER = dict(vat_id="IT00743110157", street="Via Dante 7", postal_code="20121", city="Milano",
                      region="MI", iban="IT60X0542811101000000123456", phone="+39 02 1234567",
                      registration_id="REA MI-1234567")
ITALIAN_PUBLIC_BUYER = dict(company_name="Comune di Roma", country="IT", vat_id="IT02118650999",
                            street="Piazza del Campidoglio 1", postal_code="00186", city="Roma", region="RM")
today = date.today()

CASES = [
    Case("standard 19 %"),
    Case("two standard rates", lines=[dict(description="Books", quantity="3", price="12.99", rate="S7"),
                                      dict(description="Pens", quantity="7", price="1.35", rate="S19")]),
    Case("zero rated", lines=[dict(description="Printed matter", quantity="1", price="50", rate="Z")]),
    Case("exempt with note", lines=[dict(description="Therapy session", quantity="4", price="80", rate="E")]),
    Case("reverse charge", lines=[dict(description="Software development", quantity="10", price="95", rate="AE")],
         buyer=EU_BUYER),
    Case("intra-EU supply", lines=[dict(description="Machine parts", quantity="5", price="240", rate="K",
                                        unit="kg")],
         buyer=EU_BUYER, header=dict(service_date=today)),
    Case("export", lines=[dict(description="Tools", quantity="2", price="499", rate="G")], buyer=UK_BUYER),
    Case("outside scope", lines=[dict(description="Donation receipt", quantity="1", price="100", rate="O")]),
    Case("prices include VAT", gross=True,
         lines=[dict(description="Coffee", quantity="3", price="4.20"), dict(description="Cake", quantity="2",
                                                                                price="3.95", rate="S7")]),
    Case("line allowances and charges",
         lines=[dict(description="Laptop", quantity="2", price="899.00", allowances=[Adj("50", "Loyalty")],
                     charges=[Adj("15", "", "FC")]),
                dict(description="Cable", quantity="10", price="4.99", discount_percent="10")]),
    Case("line allowances, prices include VAT", gross=True,
         lines=[dict(description="Shoes", quantity="1", price="119.00", allowances=[Adj("19.00", "Sale")])]),
    Case("document allowance and charge",
         adjustments=[("allowance", "Early order", "10.00", "S19", ""), ("charge", "Shipping", "4.90", "S19", "")]),
    Case("document allowance and charge, two rates, inclusive", gross=True,
         lines=[dict(description="Wine", quantity="6", price="11.90"), dict(description="Bread", quantity="2",
                                                                               price="3.21", rate="S7")],
         adjustments=[("allowance", "Voucher", "5.00", "S19", "95"), ("charge", "Delivery", "5.95", "S19", "")]),
    Case("percent discount on all lines", discount="12.5",
         lines=[dict(description="Design", quantity="3", price="333.33"), dict(description="Print", quantity="1",
                                                                              price="77.77", rate="S7")]),
    Case("percent discount, prices include VAT", gross=True, discount="5",
         lines=[dict(description="Tickets", quantity="4", price="29.90")]),
    Case("GBP", currency="GBP", seller_country="GB", lines=[dict(description="Repairs", quantity="1.5",
                                                                  price="60", rate="S20")]),
    Case("JPY", currency="JPY", lines=[dict(description="Licence", quantity="3", price="12345")]),
    Case("BHD", currency="BHD", lines=[dict(description="Hosting", quantity="2", price="12.500")]),
    Case("service period", header=dict(service_date=today - timedelta(days=30), service_period_end=today - timedelta(days=1)),
         lines=[dict(description="Maintenance November", quantity="1", price="450", unit="month",
                     period=(today - timedelta(days=30), today - timedelta(days=1)))]),
    Case("PO reference, order and notes", header=dict(customer_reference="PO-4711", order_reference="SO-99",
                                                      notes="Thank you for your order.\nDelivered to gate 3.")),
    Case("Leitweg-ID and shipping address", buyer_reference="04011000-12345-03",
         buyer=dict(has_shipping_address=True, shipping_name="Warehouse", shipping_street="Lagerweg 5",
                    shipping_postal_code="20457", shipping_city="Hamburg", shipping_country="DE")),
    Case("price per 100 units", lines=[dict(description="Screws", quantity="2500", price="3.90",
                                            base_quantity="100", unit="piece")]),
    Case("negative line", lines=[dict(description="Service", quantity="1", price="200"),
                                 dict(description="Credit for downtime", quantity="1", price="-25")]),
    Case("full credit note", credit="full",
         lines=[dict(description="Consulting", quantity="2", price="100"), dict(description="Travel", quantity="1",
                                                                               price="48.50", rate="S7")]),
    Case("partial credit note (lines)", credit="lines",
         lines=[dict(description="Seats", quantity="5", price="39"), dict(description="Setup", quantity="1",
                                                                         price="150")]),
    Case("partial credit note (amount)", credit="amount"),
    Case("credit note, prices include VAT, discount", credit="full", gross=True, discount="10",
         lines=[dict(description="Course", quantity="2", price="238")]),
    Case("Canary Islands IGIC (L), two rates and a charge", seller_country="ES", seller=CANARY_SELLER,
         buyer=CANARY_BUYER, buyer_reference="Pedido 2026/118",
         lines=[dict(description="Mantenimiento de ascensores", quantity="3", price="180", rate="L7"),
                dict(description="Libros técnicos", quantity="4", price="24.50", rate="L3", unit="piece")],
         adjustments=[("charge", "Transporte", "12.00", "L7", "")]),
    Case("Ceuta and Melilla IPSI (M), 10 %, 4 % and 0 %, an allowance", seller_country="ES", seller=MELILLA_SELLER,
         buyer=MELILLA_BUYER, buyer_reference="Ref. 77",
         lines=[dict(description="Electrodomésticos", quantity="2", price="349", rate="M10", unit="piece"),
                dict(description="Instalación", quantity="3", price="45", rate="M4"),
                dict(description="Pan", quantity="20", price="1.10", rate="M0", unit="piece")],
         adjustments=[("allowance", "Descuento cliente", "15.00", "M10", "95")]),
    Case("Italian split payment (B) to a public buyer", seller_country="IT", seller=ITALIAN_SELLER,
         buyer=ITALIAN_PUBLIC_BUYER, buyer_reference="UFY9MH",
         lines=[dict(description="Servizi di consulenza", quantity="12", price="95", rate="B22"),
                dict(description="Pubblicazioni", quantity="5", price="18", rate="B10", unit="piece")]),
    Case("full credit note of an Italian split payment (B)", seller_country="IT", seller=ITALIAN_SELLER,
         buyer=ITALIAN_PUBLIC_BUYER, buyer_reference="UFY9MH", credit="full",
         lines=[dict(description="Manutenzione software", quantity="1", price="1250", rate="B22", unit="month")]),
    Case("partial credit note (amount) of a Canary Islands IGIC (L) invoice", seller_country="ES",
         seller=CANARY_SELLER, buyer=CANARY_BUYER, buyer_reference="Pedido 2026/119", credit="amount",
         lines=[dict(description="Reparación", quantity="2", price="75", rate="L7")]),
    Case("partial credit note (lines) of a reverse charge invoice", buyer=EU_BUYER, credit="lines",
         lines=[dict(description="Licences", quantity="5", price="120", rate="AE", unit="piece"),
                dict(description="Training", quantity="8", price="90", rate="AE")]),
    Case("full credit note in JPY", currency="JPY", credit="full",
         lines=[dict(description="Support", quantity="7", price="4800"), dict(description="Manual", quantity="1",
                                                                                price="1999", rate="S7")]),
    Case("GBP, prices include VAT", currency="GBP", seller_country="GB", gross=True,
         lines=[dict(description="Tea", quantity="6", price="3.49", rate="S20", unit="package"),
                dict(description="Children's books", quantity="2", price="7.99", rate="Z", unit="piece")]),
    Case("mixed S 19 %, S 7 %, Z and E with its exemption note",
         lines=[dict(description="Consulting", quantity="2.5", price="120"),
                dict(description="Books", quantity="3", price="19.90", rate="S7", unit="piece"),
                dict(description="Newspaper subscription", quantity="1", price="30", rate="Z", unit="year"),
                dict(description="Medical check-up", quantity="1", price="150", rate="E", unit="lump_sum")]),
    Case("percent discount with a document charge and allowance, prices include VAT", gross=True, discount="7.5",
         lines=[dict(description="Espresso machine", quantity="1", price="599", unit="piece"),
                dict(description="Coffee beans", quantity="4", price="14.99", rate="S7", unit="kg")],
         adjustments=[("charge", "Delivery", "9.90", "S19", ""), ("allowance", "Voucher", "10.00", "S7", "95")]),
    Case("quantities with 4 decimals", lines=[dict(description="Copper wire", quantity="12.3456", price="8.75",
                                                   unit="m"),
                                              dict(description="Fuel", quantity="0.0125", price="1999.99", unit="l")]),
    Case("units other than hour", lines=[
        dict(description="Desk", quantity="2", price="249", unit="piece"),
        dict(description="Workshop", quantity="2", price="800", unit="day"),
        dict(description="Sand", quantity="1.5", price="45", unit="t"),
        dict(description="Floor", quantity="35.5", price="29.90", unit="m2"),
        dict(description="Water", quantity="250", price="0.12", unit="l"),
        dict(description="Parts kit", quantity="3", price="59", unit="set"),
        dict(description="Courier", quantity="42", price="0.85", unit="km"),
        dict(description="Flat fee", quantity="1", price="150", unit="lump_sum")]),
    Case("zero total", lines=[dict(description="Warranty repair", quantity="1", price="180"),
                              dict(description="Covered by warranty", quantity="1", price="-180")]),
    Case("500 lines", lines=[dict(description=f"Item {i}", quantity=str(1 + i % 7), price=f"{(i * 37) % 1000 + 0.99:.2f}",
                                  rate="S7" if i % 3 else "S19") for i in range(500)]),
]


def _rates(org, actor) -> dict[str, TaxRate]:
    """The tax rates of ``RATES``, made by the use case every way in shares (and so by its rules)."""
    return {key: catalog.create_tax_rate(org, actor, name=key, percent=Decimal(percent), category=category,
                                         exemption_note=note)
            for key, (category, percent, note) in RATES.items()}


def make(case: Case):
    """The issued documents of ``case``: the invoice, and its issued credit note when the case has one."""
    org = F.complete_org(F.organization(country=case.seller_country))
    org.email, org.phone, org.contact_name = "billing@seller.example", "+49 30 1234567", "Jana Buchhalter"
    org.registration_id = "HRB 12345 B, Amtsgericht Charlottenburg"
    if case.seller_country == "GB":
        org.vat_id, org.postal_code, org.city = "GB980780684", "EC1A 1BB", "London"
    for key, value in case.seller.items():
        setattr(org, key, value)
    actor = next(m.user for m in org.memberships if m.role == "owner")
    rates = _rates(org, actor)
    buyer = dict(dict(street="Kundenweg 2", postal_code="20095", city="Hamburg", country="DE",
                      buyer_reference=case.buyer_reference), **case.buyer)
    contact = F.contact(org, "Buyer GmbH", email="ap@buyer.example", **{k: v for k, v in buyer.items()
                                                                        if k != "country"},
                        country=buyer["country"])
    doc = drafts.new_draft(org, actor, contact)
    drafts.update_header(doc, {"currency": case.currency, "prices_include_tax": case.gross,
                               "discount_percent": Decimal(case.discount) if case.discount else None, **case.header})
    for spec in case.lines:
        line = drafts.add_line(org, doc)
        values = {"description": spec["description"], "quantity": Decimal(spec["quantity"]),
                  "unit_price": Decimal(spec["price"]), "unit": spec.get("unit", "hour")}
        if spec.get("discount_percent"):
            values["discount_percent"] = Decimal(spec["discount_percent"])
        if spec.get("base_quantity"):
            values["base_quantity"] = Decimal(spec["base_quantity"])
        if spec.get("period"):
            values["period_start"], values["period_end"] = spec["period"]
        if spec.get("allowances") or spec.get("charges"):
            values["adjustments"] = drafts.line_adjustments(
                [Adj(Decimal(a.amount), a.reason, a.reason_code) for a in spec.get("allowances", [])],
                [Adj(Decimal(c.amount), c.reason, c.reason_code) for c in spec.get("charges", [])])
        drafts.update_line(doc, line, values, rates[spec.get("rate", "S19")], set_rate=True)
    for kind, reason, amount, rate, code in case.adjustments:
        adjustment = drafts.add_adjustment(org, doc, kind)
        drafts.update_adjustment(doc, adjustment, reason, Decimal(amount), rates[rate], code)
    issuing.issue(org, actor, doc)
    db.session.commit()
    documents = [doc]
    if case.credit:
        if case.credit == "full":
            note = corrections.full_credit_note(org, actor, doc, "Returned")
        elif case.credit == "lines":
            note = corrections.lines_credit_note(org, actor, doc, {doc.lines[0].id: Decimal(2)}, "Two seats returned")
        else:
            group = (doc.tax_breakdown[0]["category"], doc.tax_breakdown[0]["rate"])
            note = corrections.amount_credit_note(org, actor, doc, Decimal("33.33"), group, "Goodwill")
        if note.is_draft:
            issuing.issue(org, actor, note)
        db.session.commit()
        documents.append(note)
    return org, documents


def _texts(root, path: str) -> list[str]:
    return [node.text for node in root.xpath(path, namespaces=NS)]


def figures(xml: bytes, syntax: str) -> dict[str, str]:
    """BT-106, BT-109, BT-110, BT-112, BT-115 and the VAT breakdown (BT-116/117) as the XML states them."""
    root = etree.fromstring(xml)
    if syntax == "CII":
        s = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
        found = {"line": _texts(root, s + "ram:LineTotalAmount"), "net": _texts(root, s + "ram:TaxBasisTotalAmount"),
                 "tax": _texts(root, s + "ram:TaxTotalAmount"), "gross": _texts(root, s + "ram:GrandTotalAmount"),
                 "due": _texts(root, s + "ram:DuePayableAmount"),
                 "bases": _texts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount"),
                 "taxes": _texts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                                       "ram:CalculatedAmount")}
    else:
        s = "/*/cac:LegalMonetaryTotal/"
        found = {"line": _texts(root, s + "cbc:LineExtensionAmount"), "net": _texts(root, s + "cbc:TaxExclusiveAmount"),
                 "tax": _texts(root, "/*/cac:TaxTotal/cbc:TaxAmount"), "gross": _texts(root, s + "cbc:TaxInclusiveAmount"),
                 "due": _texts(root, s + "cbc:PayableAmount"),
                 "bases": _texts(root, "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount"),
                 "taxes": _texts(root, "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount")}
    return {k: v if k in ("bases", "taxes") else v[0] for k, v in found.items()}


def stored_figures(doc) -> dict[str, str]:
    sign = -1 if doc.kind == "credit_note" else 1

    def text(minor: int) -> str:
        return amount_text(from_minor(minor, doc.currency) * sign, doc.currency)

    return {"line": text(doc.line_total), "net": text(doc.net_total), "tax": text(doc.tax_total),
            "gross": text(doc.gross_total), "due": text(doc.gross_total),
            "bases": [text(g["base"]) for g in doc.tax_breakdown], "taxes": [text(g["tax"]) for g in doc.tax_breakdown]}


@pytest.fixture(scope="module")
def validator():
    v = einvoice.validator()
    v.warm_up()
    return v


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_format_of_every_case_passes_the_official_rules_and_states_the_stored_figures(case, validator):
    org, documents = make(case)
    for doc in documents:
        for fmt in FORMATS:
            xml = einvoice_xml.build(doc, org, fmt)
            report = validator.validate(xml, xrechnung=fmt != "facturx-cii")
            fatal = [(f.rule_id, f.message[:200], f.location) for f in report.fatal]
            assert report.supported and not fatal, f"{case.name} / {doc.kind} / {fmt}: {fatal}"
            assert figures(xml, "UBL" if fmt == "xrechnung-ubl" else "CII") == stored_figures(doc), (case.name, fmt)


def test_the_matrix_covers_what_the_issue_names():
    names = " ".join(c.name for c in CASES)
    categories = {RATES[line.get("rate", "S19")][0] for c in CASES for line in c.lines}
    categories |= {RATES[a[3]][0] for c in CASES for a in c.adjustments}
    assert {"S", "Z", "E", "AE", "K", "G", "O", "L", "M", "B"} <= categories == set(TAX_CATEGORIES)
    assert {c.currency for c in CASES} >= {"EUR", "GBP", "JPY", "BHD"}
    for words in ("full credit note", "partial credit note", "reverse charge", "intra-EU", "export", "service period",
                  "PO reference", "Leitweg-ID", "500 lines", "percent discount", "prices include VAT"):
        assert words in names
    documents = sum(2 if c.credit else 1 for c in CASES)  # the invoices and credit notes issued
    assert documents >= 40  # each built and checked in every one of the three formats
