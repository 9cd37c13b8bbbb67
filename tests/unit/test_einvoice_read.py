"""The e-invoice reader (services/einvoice_read.py): every official example read term by term (the expected values
copied by hand from the XML files in tests/fixtures/einvoice/), a Factur-X PDF issued by Tallybook read back with
the figures of its document, and hostile or wrong input refused with a stable code and no network access."""
from __future__ import annotations

import io
import random
import socket
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from webapp.domain.errors import Text
from webapp.domain.money import to_minor
from webapp.services import einvoice_read
from webapp.services.einvoice_read import MAX_BYTES, ReadError, read

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "einvoice"
CII_NS = ('xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
          'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
          'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" '
          'xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"')
MINIMAL_CII = (f'<?xml version="1.0" encoding="UTF-8"?>\n<rsm:CrossIndustryInvoice {CII_NS}>'
               '<rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>380</ram:TypeCode>'
               '</rsm:ExchangedDocument></rsm:CrossIndustryInvoice>')


def fixture(name: str):
    return read((FIXTURES / name).read_bytes(), name)


def money(value) -> str | None:
    """A read Decimal as its text: the reader keeps what was written ("1.0000" stays "1.0000")."""
    return None if value is None else str(value)


def lines(invoice) -> list[tuple]:
    return [(line.line_id, money(line.net_amount), money(line.quantity), line.unit_code, money(line.unit_price),
             line.category, money(line.rate)) for line in invoice.lines]


def breakdown(invoice) -> list[tuple]:
    return [(g.category, money(g.rate), money(g.base), money(g.tax), g.exemption_reason, g.exemption_code)
            for g in invoice.tax_breakdown]


def totals(invoice) -> dict:
    t = invoice.totals
    return {name: money(getattr(t, name)) for name in ("line_total", "allowance_total", "charge_total", "net_total",
                                                       "tax_total", "gross_total", "prepaid", "rounding", "payable")}


def no_totals(**given) -> dict:
    return {**dict.fromkeys(("line_total", "allowance_total", "charge_total", "net_total", "tax_total",
                             "gross_total", "prepaid", "rounding", "payable")), **given}


# --- the official examples ---------------------------------------------------------------------------------

def test_cii_business_example_02():
    r = fixture("CII_business_example_02.xml")
    assert (r.syntax, r.source, r.type_code, r.is_credit_note) == ("cii", "xml", "380", False)
    assert r.customization_id == "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort"
    assert (r.number, r.issue_date, r.due_date, r.currency, r.tax_currency) == (
        "INV000013", date(2013, 8, 25), date(2013, 5, 10), "EUR", "")
    assert (r.period_start, r.period_end) == (date(2013, 1, 1), date(2013, 4, 1))
    assert r.notes == ("TEXT",) and r.contract_reference == "SUBSCR571" and r.payment_reference == "INV000013"
    assert (r.iban, r.payment_means_code) == ("DK1212341234123412", "30")
    assert (r.seller.name, r.seller.vat_id, r.seller.country, r.seller.registration_id) == (
        "xxxx", "DE1111111", "DE", "111111111")
    assert (r.seller.street, r.seller.postal_code, r.seller.city) == ("Storkower Straße 207", "10369", "Berlin")
    assert (r.buyer.name, r.buyer.identifier, r.buyer.identifier_scheme, r.buyer.country) == (
        "Buyercompany ltd", "1111111111", "0088", "DE")
    assert lines(r) == [("1", "1.26", "1.0000", "C62", "1.2605", "S", "19.00"),
                        ("2", "1.26", "1.0000", "C62", "1.2605", "S", "19.00"),
                        ("3", "7.48", "1.0000", "C62", "7.4790", "S", "19.00")]
    assert [(line.name, line.description, line.base_quantity) for line in r.lines] == [
        ("BPW21", "", 1), ("Poti 100k", "", 1), ("LCD Display 3.5", "", 1)]
    assert breakdown(r) == [("S", "19.00", "10.00", "1.90", "", "")]
    # a document allowance of 0.00 ("Rabatt") at S 19 %
    assert [(money(a.amount), a.reason, a.category, money(a.rate), a.charge) for a in r.allowances] == [
        ("0.00", "Rabatt", "S", "19.00", False)]
    assert r.charges == ()
    assert totals(r) == no_totals(line_total="10.00", allowance_total="0.00", charge_total="0.00", net_total="10.00",
                                  tax_total="1.90", gross_total="11.90", payable="11.90")
    assert r.xml == (FIXTURES / "CII_business_example_02.xml").read_bytes()


def test_cii_example4():
    r = fixture("CII_example4.xml")
    assert (r.syntax, r.customization_id, r.type_code, r.is_credit_note) == (
        "cii", "urn:cen.eu:en16931:2017", "380", False)
    assert (r.number, r.issue_date, r.due_date, r.currency) == ("TOSL110", date(2013, 4, 10), date(2013, 5, 10),
                                                                "DKK")
    assert (r.order_reference, r.delivery_date, r.payment_reference) == ("123", date(2013, 4, 15), "Payref1")
    assert r.notes == ("Ordered through our website",) and r.iban == "DK1212341234123412"
    s = r.seller
    assert (s.name, s.vat_id, s.country, s.registration_id, s.identifier, s.identifier_scheme) == (
        "SellerCompany", "DK16356706", "DK", "DK16356706", "5790000436101", "0088")
    assert (s.contact_name, s.phone, s.email) == ("Anthon Larsen", "+4598989898", "Anthon@SellerCompany.dk")
    assert (s.street, s.postal_code, s.city) == ("Main street 2, Building 4", "54321", "Big city")
    assert (r.buyer.name, r.buyer.contact_name, r.buyer.country) == ("Buyercompany ltd", "John Hansen", "DK")
    assert lines(r) == [("1", "1000", "1000", "C62", "1", "S", "25"),
                        ("2", "500", "100", "C62", "5", "S", "25"),
                        ("3", "2500", "500", "C62", "5", "S", "12")]
    assert [(line.name, line.description, line.seller_item_id) for line in r.lines] == [
        ("Printing paper", "Printing paper, 2mm", "JB007"), ("Parker Pen", "Parker Pen, Black, model Sansa", "JB008"),
        ("American Cookies", "", "JB009")]
    assert breakdown(r) == [("S", "25", "1500", "375", "", ""), ("S", "12", "2500", "300", "", "")]
    assert (r.allowances, r.charges) == ((), ())
    # no allowance or charge total in this document: None, not 0
    assert totals(r) == no_totals(line_total="4000", net_total="4000", tax_total="675", gross_total="4675",
                                  payable="4675")


UBL_EXAMPLE1_LINES = [
    ("1", "19.90", "2", "EA", "9.95", "S", "6"), ("2", "9.85", "1", "EA", "9.85", "S", "6"),
    ("3", "8.29", "1", "EA", "8.29", "S", "6"), ("4", "14.46", "2", "EA", "7.23", "S", "6"),
    ("5", "35.00", "1", "EA", "35.00", "S", "6"), ("6", "35.00", "1", "EA", "35.00", "S", "6"),
    ("7", "10.65", "1", "EA", "10.65", "S", "6"), ("8", "1.55", "1", "EA", "1.55", "S", "6"),
    ("9", "14.37", "3", "EA", "4.79", "S", "6"), ("10", "8.29", "1", "EA", "8.29", "S", "6"),
    ("11", "16.58", "2", "EA", "8.29", "S", "6"), ("12", "9.95", "1", "EA", "9.95", "S", "6"),
    ("13", "3.30", "2", "EA", "1.65", "S", "6"), ("14", "10.80", "1", "EA", "10.80", "S", "21"),
    ("15", "3.90", "1", "EA", "3.90", "S", "6"), ("16", "7.60", "2", "EA", "3.80", "S", "21"),
    ("17", "9.34", "2", "EA", "4.67", "S", "21"), ("18", "18.63", "1", "EA", "18.63", "S", "21"),
    ("19", "102.12", "6", "EA", "17.02", "S", "6"),
    ("20", "-109.98", "6", "EA", "18.33", "S", "6"),  # a return: the negative net as written
]


def test_ubl_tc434_example1():
    r = fixture("ubl-tc434-example1.xml")
    assert (r.syntax, r.customization_id, r.type_code, r.is_credit_note) == (
        "ubl", "urn:cen.eu:en16931:2017", "380", False)
    assert (r.number, r.issue_date, r.due_date, r.currency) == ("12115118", date(2015, 1, 9), date(2015, 1, 9),
                                                                "EUR")
    assert len(r.notes) == 1 and r.notes[0].startswith("Alle leveringen zijn franco.")
    assert r.notes[0].endswith("25-04-'85##Delivery terms")  # no subject code prefix: kept whole
    # the first of the two payment means
    assert (r.iban, r.payment_reference) == ("NL57 RABO 0107307510", "Deb. 10202 / Fact. 12115118")
    s = r.seller
    assert (s.name, s.trading_name, s.vat_id, s.registration_id, s.country) == (
        "De Koksmaat", "", "NL8200.98.395.B.01", "57151520", "NL")
    assert (s.street, s.postal_code, s.city) == ("Postbus 7l", "1950 AB", "Velsen-Noord")
    assert (r.buyer.name, r.buyer.identifier, r.buyer.contact_name, r.buyer.country) == (
        "ODIN 59", "10202", "Dhr. J BLOKKER", "NL")
    assert lines(r) == UBL_EXAMPLE1_LINES
    assert (r.lines[0].name, r.lines[0].seller_item_id) == ("PATAT FRITES 10MM 10KG", "166022")
    assert breakdown(r) == [("S", "6", "183.23", "10.99", "", ""), ("S", "21", "46.37", "9.74", "", "")]
    assert totals(r) == no_totals(line_total="229.60", net_total="229.60", tax_total="20.73", gross_total="250.33",
                                  payable="250.33")


def test_ubl_tc434_creditnote1_reads_the_credit_note_elements():
    r = fixture("ubl-tc434-creditnote1.xml")
    assert (r.syntax, r.type_code, r.is_credit_note) == ("ubl", "381", True)
    assert r.profile_id == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert (r.number, r.issue_date, r.due_date, r.currency) == ("018304 / 28865", date(2019, 9, 23), None, "EUR")
    assert r.buyer_reference == "018304 / 28865"
    assert (r.period_start, r.period_end) == (date(2019, 2, 1), date(2019, 2, 28))
    assert (r.iban, r.bic, r.payment_means_code, r.payment_reference) == (
        "BE91000000143476", "BPOTBEB1", "1", "010676609538")
    s = r.seller
    assert (s.name, s.trading_name, s.vat_id, s.registration_id, s.country) == (
        "My Supplier Company", "My Supplier Company N.V.", "BE0000000196", "0000000196", "BE")
    assert (s.email, s.electronic_address, s.electronic_address_scheme) == (
        "john.doole@mysuppliercompany.be", "0000000196", "0201")
    assert (r.buyer.name, r.buyer.vat_id, r.buyer.city) == ("My Customer Company", "BE0000000295", "BRUXELLES")
    # CreditNoteLine / CreditedQuantity, amounts positive as written
    assert lines(r) == [("1", "100.11", "1.00", "C62", "100.11", "E", "0.00")]
    assert (r.lines[0].name, r.lines[0].seller_item_id) == ("Exonération du versement du PP", "V55")
    assert breakdown(r) == [("E", "0.00", "100.11", "0.00", "Taxes are not applicable", "")]
    assert totals(r) == no_totals(line_total="100.11", net_total="100.11", tax_total="0.00", gross_total="100.11",
                                  payable="100.11")


XRECHNUNG_LINES = [("Zeitschrift [...]", "288.79", "1", "XPP", "288.79", "S", "7"),
                   ("Porto + Versandkosten", "26.07", "1", "XPP", "26.07", "S", "7")]


@pytest.mark.parametrize("name, syntax", [("xrechnung-01.01a-INVOICE_ubl.xml", "ubl"),
                                          ("xrechnung-01.01a-INVOICE_uncefact.xml", "cii")])
def test_xrechnung_01_01a(name, syntax):
    r = fixture(name)
    assert (r.syntax, r.type_code, r.is_credit_note) == (syntax, "380", False)
    assert r.customization_id == "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    assert (r.number, r.issue_date, r.due_date, r.currency) == ("123456XX", date(2016, 4, 4), None, "EUR")
    assert r.buyer_reference == "04011000-12345-03"
    # UBL writes the subject code into the note ("#ADU#..."), CII apart: the text is the same
    assert r.notes == ("Es gelten unsere Allgem. Geschäftsbedingungen, die Sie unter […] finden.",)
    assert (r.payment_terms, r.iban, r.payment_means_code) == ("Zahlbar sofort ohne Abzug.",
                                                               "DE75512108001245126199", "58")
    s = r.seller
    assert (s.name, s.trading_name, s.vat_id, s.tax_number, s.registration_id, s.country) == (
        "[Seller name]", "[Seller trading name]", "DE 123456789", "", "[HRA-Eintrag]", "DE")
    assert (s.contact_name, s.phone, s.email, s.electronic_address_scheme) == (
        "nicht vorhanden", "+49 1234-5678", "seller@email.de", "EM")
    assert (s.street, s.postal_code, s.city) == ("[Seller address line 1]", "12345", "[Seller city]")
    assert (r.buyer.name, r.buyer.identifier, r.buyer.email) == ("[Buyer name]", "[Buyer identifier]",
                                                                  "buyer@info.de")
    assert lines(r) == XRECHNUNG_LINES
    first = r.lines[0]
    assert (first.name, first.description, first.seller_item_id, first.period_start, first.period_end) == (
        "Zeitschrift [...]", "Zeitschrift Inland", "246", date(2016, 1, 1), date(2016, 12, 31))
    assert first.note.startswith("Die letzte Lieferung im Rahmen des abgerechneten Abonnements")
    assert breakdown(r) == [("S", "7", "314.86", "22.04", "", "")]
    assert totals(r) == no_totals(line_total="314.86", net_total="314.86", tax_total="22.04", gross_total="336.9",
                                  payable="336.9")


def test_the_two_syntaxes_of_one_xrechnung_read_alike():
    from dataclasses import replace

    ubl = fixture("xrechnung-01.01a-INVOICE_ubl.xml")
    cii = fixture("xrechnung-01.01a-INVOICE_uncefact.xml")
    assert replace(ubl, syntax="cii", xml=b"") == replace(cii, xml=b"")


def test_read_values_are_frozen():
    r = fixture("CII_example4.xml")
    with pytest.raises(AttributeError):
        r.number = "other"  # type: ignore[misc]
    assert isinstance(r.lines, tuple) and isinstance(r.tax_breakdown, tuple)


# --- terms the examples do not carry -----------------------------------------------------------------------

def test_cii_allowances_charges_prices_and_currencies_as_written():
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice {CII_NS}>
  <rsm:ExchangedDocument><ram:ID>CN-7</ram:ID><ram:TypeCode>381</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20250131</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Screws</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:GrossPriceProductTradePrice><ram:ChargeAmount>4.00</ram:ChargeAmount>
          <ram:AppliedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator>
            <ram:ActualAmount>0.10</ram:ActualAmount></ram:AppliedTradeAllowanceCharge>
        </ram:GrossPriceProductTradePrice>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>3.90</ram:ChargeAmount>
          <ram:BasisQuantity unitCode="H87">100</ram:BasisQuantity></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="H87">2500</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator>
          <ram:CalculationPercent>10</ram:CalculationPercent><ram:BasisAmount>97.50</ram:BasisAmount>
          <ram:ActualAmount>9.75</ram:ActualAmount><ram:ReasonCode>95</ram:ReasonCode><ram:Reason>Loyalty</ram:Reason>
        </ram:SpecifiedTradeAllowanceCharge>
        <ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>true</udt:Indicator></ram:ChargeIndicator>
          <ram:ActualAmount>2.25</ram:ActualAmount><ram:ReasonCode>FC</ram:ReasonCode>
        </ram:SpecifiedTradeAllowanceCharge>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>90.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Seller</ram:Name>
        <ram:PostalTradeAddress><ram:LineOne>A 1</ram:LineOne><ram:LineTwo>Hof</ram:LineTwo>
          <ram:LineThree>3. OG</ram:LineThree><ram:CountryID>DE</ram:CountryID>
          <ram:CountrySubDivisionName>Berlin</ram:CountrySubDivisionName></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">12/345/67890</ram:ID></ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE136695976</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Buyer</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:TaxCurrencyCode>CHF</ram:TaxCurrencyCode>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>0</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:ExemptionReason>Reverse charge</ram:ExemptionReason><ram:BasisAmount>5.00</ram:BasisAmount>
        <ram:CategoryCode>AE</ram:CategoryCode><ram:ExemptionReasonCode>VATEX-EU-AE</ram:ExemptionReasonCode>
        <ram:RateApplicablePercent>0</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>true</udt:Indicator></ram:ChargeIndicator>
        <ram:ActualAmount>5.00</ram:ActualAmount><ram:Reason>Shipping</ram:Reason>
        <ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>AE</ram:CategoryCode>
          <ram:RateApplicablePercent>0</ram:RateApplicablePercent></ram:CategoryTradeTax>
      </ram:SpecifiedTradeAllowanceCharge>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>90.00</ram:LineTotalAmount><ram:ChargeTotalAmount>5.00</ram:ChargeTotalAmount>
        <ram:TaxBasisTotalAmount>95.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="CHF">16.07</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">17.10</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>112.10</ram:GrandTotalAmount><ram:TotalPrepaidAmount>12.10</ram:TotalPrepaidAmount>
        <ram:RoundingAmount>-0.01</ram:RoundingAmount><ram:DuePayableAmount>99.99</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
      <ram:InvoiceReferencedDocument><ram:IssuerAssignedID>INV-6</ram:IssuerAssignedID>
        <ram:FormattedIssueDateTime><qdt:DateTimeString format="102">20250115</qdt:DateTimeString>
        </ram:FormattedIssueDateTime></ram:InvoiceReferencedDocument>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()
    r = read(xml)
    assert (r.type_code, r.is_credit_note, r.issue_date) == ("381", True, date(2025, 1, 31))
    assert (r.currency, r.tax_currency, r.tax_total_accounting) == ("EUR", "CHF", Decimal("16.07"))
    assert (r.preceding_invoice, r.preceding_invoice_date) == ("INV-6", date(2025, 1, 15))
    assert (r.seller.vat_id, r.seller.tax_number, r.seller.street2, r.seller.region) == (
        "DE136695976", "12/345/67890", "Hof, 3. OG", "Berlin")
    (line,) = r.lines
    assert (money(line.unit_price), money(line.base_quantity), money(line.quantity), line.unit_code) == (
        "3.90", "100", "2500", "H87")
    assert (money(line.gross_price), money(line.price_discount)) == ("4.00", "0.10")
    assert [(money(a.amount), money(a.percent), money(a.base), a.reason, a.reason_code, a.category)
            for a in line.allowances] == [("9.75", "10", "97.50", "Loyalty", "95", "")]
    assert [(money(c.amount), c.reason_code, c.charge) for c in line.charges] == [("2.25", "FC", True)]
    assert [(money(c.amount), c.reason, c.category, money(c.rate)) for c in r.charges] == [
        ("5.00", "Shipping", "AE", "0")]
    assert breakdown(r) == [("AE", "0", "5.00", "0", "Reverse charge", "VATEX-EU-AE")]
    assert totals(r) == no_totals(line_total="90.00", charge_total="5.00", net_total="95.00", tax_total="17.10",
                                  gross_total="112.10", prepaid="12.10", rounding="-0.01", payable="99.99")


def test_ubl_credit_note_due_date_tax_currency_and_allowances():
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>GS-1</cbc:ID><cbc:IssueDate>2025-03-01</cbc:IssueDate><cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>
  <cbc:DocumentCurrencyCode>USD</cbc:DocumentCurrencyCode><cbc:TaxCurrencyCode>EUR</cbc:TaxCurrencyCode>
  <cac:OrderReference><cbc:ID>PO-9</cbc:ID></cac:OrderReference>
  <cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>R-77</cbc:ID><cbc:IssueDate>2025-02-01</cbc:IssueDate>
  </cac:InvoiceDocumentReference></cac:BillingReference>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>201/113/40209</cbc:CompanyID>
    <cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>Lieferant GmbH</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode><cbc:PaymentDueDate>2025-03-15</cbc:PaymentDueDate>
  </cac:PaymentMeans>
  <cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>
    <cbc:AllowanceChargeReasonCode>95</cbc:AllowanceChargeReasonCode><cbc:AllowanceChargeReason>Discount</cbc:AllowanceChargeReason>
    <cbc:MultiplierFactorNumeric>5</cbc:MultiplierFactorNumeric><cbc:Amount currencyID="USD">5.00</cbc:Amount>
    <cbc:BaseAmount currencyID="USD">100.00</cbc:BaseAmount>
    <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
    </cac:TaxCategory></cac:AllowanceCharge>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">16.50</cbc:TaxAmount></cac:TaxTotal>
  <cac:TaxTotal><cbc:TaxAmount currencyID="USD">18.05</cbc:TaxAmount>
    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="USD">95.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="USD">18.05</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
  <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="USD">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="USD">95.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="USD">113.05</cbc:TaxInclusiveAmount>
    <cbc:AllowanceTotalAmount currencyID="USD">5.00</cbc:AllowanceTotalAmount>
    <cbc:PayableAmount currencyID="USD">113.05</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:CreditNoteLine><cbc:ID>1</cbc:ID><cbc:CreditedQuantity unitCode="HUR">-2.5</cbc:CreditedQuantity>
    <cbc:LineExtensionAmount currencyID="USD">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Support</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="USD">-40</cbc:PriceAmount>
      <cbc:BaseQuantity unitCode="HUR">1</cbc:BaseQuantity></cac:Price>
  </cac:CreditNoteLine>
</CreditNote>"""
    r = read(xml)
    assert (r.is_credit_note, r.number, r.due_date, r.order_reference) == (True, "GS-1", date(2025, 3, 15), "PO-9")
    assert (r.preceding_invoice, r.preceding_invoice_date) == ("R-77", date(2025, 2, 1))
    assert (r.currency, r.tax_currency, r.totals.tax_total, r.tax_total_accounting) == (
        "USD", "EUR", Decimal("18.05"), Decimal("16.50"))
    assert (r.seller.name, r.seller.vat_id, r.seller.tax_number) == ("Lieferant GmbH", "", "201/113/40209")
    assert [(money(a.amount), money(a.base), money(a.percent), a.category, money(a.rate), a.reason, a.reason_code)
            for a in r.allowances] == [("5.00", "100.00", "5", "S", "19", "Discount", "95")]
    assert breakdown(r) == [("S", "19", "95.00", "18.05", "", "")]
    # signs kept as written, even where the rules would object
    assert lines(r) == [("1", "100.00", "-2.5", "HUR", "-40", "S", "19")]
    assert totals(r)["allowance_total"] == "5.00"


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1e3", "1,5", "0x10", "", "١٢"])
def test_what_is_not_a_decimal_reads_as_absent(text):
    xml = MINIMAL_CII.replace("</rsm:ExchangedDocument>", "</rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction>"
                              "<ram:ApplicableHeaderTradeSettlement><ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
                              f"<ram:DuePayableAmount>{text}</ram:DuePayableAmount>"
                              "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
                              "</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>")
    assert read(xml.format(number="X").encode()).totals.payable is None


def test_a_minimal_cii_reads_with_absent_terms_empty():
    r = read(MINIMAL_CII.format(number="A-1").encode())
    assert (r.number, r.issue_date, r.currency, r.lines, r.tax_breakdown, r.seller.name) == ("A-1", None, "", (), (),
                                                                                               "")
    assert r.totals == einvoice_read.ReadTotals()


# --- a Factur-X PDF issued by Tallybook, read back -----------------------------------------------------------

ROUND_TRIP = ["standard 19 %", "document allowance and charge, two rates, inclusive", "line allowances and charges",
              "price per 100 units", "mixed S 19 %, S 7 %, Z and E with its exemption note", "full credit note"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_a_factur_x_pdf_issued_by_tallybook_reads_back_with_its_figures(name):
    from tests.einvoice.test_matrix import CASES, make
    from webapp.extensions import db
    from webapp.models import DocumentEInvoice

    case = next(c for c in CASES if c.name == name)
    org, documents = make(case)
    for doc in documents:
        stored = db.session.query(DocumentEInvoice).filter_by(document_id=doc.id, format="facturx-cii").one()
        r = read(doc.pdf, f"{doc.number}.pdf")
        assert (r.source, r.syntax, r.xml) == ("pdf", "cii", stored.xml)
        assert (r.number, r.issue_date, r.currency) == (doc.number, doc.issue_date, doc.currency)
        assert r.is_credit_note is (doc.kind == "credit_note")
        sign = -1 if doc.kind == "credit_note" else 1  # stored negative, stated positive (type 381)

        def minor(value) -> int:
            return sign * to_minor(value, doc.currency) if value is not None else 0

        t = r.totals
        assert (minor(t.line_total), minor(t.allowance_total), minor(t.charge_total), minor(t.net_total),
                minor(t.tax_total), minor(t.gross_total), minor(t.prepaid)) == (
            doc.line_total, doc.allowance_total, doc.charge_total, doc.net_total, doc.tax_total, doc.gross_total,
            doc.prepaid_total)
        assert minor(t.payable) == doc.gross_total - doc.prepaid_total
        assert sorted((g.category, g.rate, minor(g.base), minor(g.tax)) for g in r.tax_breakdown) == sorted(
            (g["category"], Decimal(g["rate"]), g["base"], g["tax"]) for g in doc.tax_breakdown)
        assert sorted(minor(line.net_amount) for line in r.lines) == sorted(line.net_amount for line in doc.lines)
        assert (r.seller.name, r.seller.vat_id, r.seller.country) == (org.legal_name, org.vat_id, org.country)
        assert (r.buyer.name, r.buyer.country) == ("Buyer GmbH", "DE")
        if doc.kind == "credit_note":
            assert r.preceding_invoice == documents[0].number
        if name == "price per 100 units":
            (line,) = r.lines
            assert (line.quantity, line.unit_price, line.base_quantity) == (2500, Decimal("3.90"), 100)


def test_a_truncated_pdf_is_unreadable():
    from tests.einvoice.test_matrix import CASES, make

    _org, (doc,) = make(CASES[0])
    assert read(doc.pdf).number == doc.number
    with pytest.raises(ReadError) as e:
        read(doc.pdf[:2048], "invoice.pdf")
    assert (e.value.code, e.value.attachable, e.value.media_type) == ("unreadable_pdf", False, "application/pdf")


# --- hostile and wrong input -------------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything connects from Python, and give a local listener that sees a connection from C
    (libxml2 would not go through Python's socket module): ``url`` to point entities at, ``reached()`` after."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/x"

    def refuse(self, *args, **kwargs):
        pytest.fail(f"a network connection was attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)

    class Guard:
        def __init__(self):
            self.url = url

        def reached(self) -> bool:
            try:
                connection, _ = listener.accept()
            except (TimeoutError, socket.timeout):
                return False
            connection.close()
            return True

    yield Guard()
    listener.close()


def refused(data: bytes, filename: str = "") -> ReadError:
    with pytest.raises(ReadError) as e:
        read(data, filename)
    assert isinstance(e.value, ValueError) and isinstance(e.value.text, Text)
    assert e.value.code in einvoice_read.CODES and str(e.value) == e.value.text.english()
    return e.value


def xxe(url: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rsm:CrossIndustryInvoice [<!ENTITY e SYSTEM "{url}">]>\n'
            f'<rsm:CrossIndustryInvoice {CII_NS}><rsm:ExchangedDocument><ram:ID>&e;</ram:ID>'
            '</rsm:ExchangedDocument></rsm:CrossIndustryInvoice>').encode()


BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10)
                             for i in range(1, 10))
                  + b']>\n<lolz>&lol9;</lolz>')


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "listener", "file:///etc/passwd"])
def test_an_external_entity_is_refused_unread(no_network, url):
    error = refused(xxe(no_network.url if url == "listener" else url), "evil.xml")
    assert (error.code, error.attachable) == ("doctype_forbidden", False)
    assert not no_network.reached()


def test_a_billion_laughs_is_refused_quickly(no_network):
    started = time.perf_counter()
    assert refused(BILLION_LAUGHS).code == "doctype_forbidden"
    assert time.perf_counter() - started < 1


def test_a_doctype_the_byte_scan_cannot_see_is_refused_after_parsing(no_network):
    # UTF-16 without a byte order mark: no "<!DOCTYPE" in the bytes, libxml2 still detects the encoding
    data = xxe(no_network.url).decode().replace('encoding="UTF-8"', "").encode("utf-16-le")
    assert b"<!DOCTYPE" not in data
    assert refused(data).code == "doctype_forbidden"
    # with a byte order mark the scan reads it
    assert refused(xxe(no_network.url).decode().encode("utf-16")).code == "doctype_forbidden"
    assert not no_network.reached()


def test_the_parser_itself_neither_expands_nor_fetches(no_network, tmp_path):
    """Behind the DOCTYPE refusal, the parser: an entity is not resolved, a DTD not loaded, nothing fetched."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    for url in (no_network.url, secret.as_uri()):
        root = etree.fromstring(xxe(url), einvoice_read._parser())
        assert "TOP-SECRET" not in etree.tostring(root).decode()
        assert root.findtext(".//{*}ID") in ("", None)
    external_dtd = f'<?xml version="1.0"?><!DOCTYPE x SYSTEM "{no_network.url}"><x>&e;</x>'.encode()
    root = etree.fromstring(external_dtd, einvoice_read._parser())  # the DTD that would define &e; is not loaded
    assert not root.text and "&e;" in etree.tostring(root).decode()
    started = time.perf_counter()
    try:
        root = etree.fromstring(BILLION_LAUGHS, einvoice_read._parser())
    except etree.XMLSyntaxError as e:  # libxml2 measures the amplification even when it would not expand
        assert "amplification" in str(e)
    else:
        assert len(etree.tostring(root)) < 1000  # not expanded
    assert time.perf_counter() - started < 1
    assert not no_network.reached()


@pytest.mark.parametrize("kind", ["xml", "pdf", "bytes"])
def test_a_50_mb_input_is_refused_by_its_size_before_parsing(no_network, kind, monkeypatch):
    size = 50 * 1024 * 1024
    head = {"xml": b"<?xml version='1.0'?><rsm:CrossIndustryInvoice>", "pdf": b"%PDF-1.7\n", "bytes": b"\0"}[kind]
    data = head + b" " * (size - len(head))

    def parsed(*args, **kwargs):
        pytest.fail("a parser was called")

    monkeypatch.setattr(etree, "fromstring", parsed)
    started = time.perf_counter()
    error = refused(data)
    assert time.perf_counter() - started < 0.5
    assert error.code == "too_large" and error.text.params == {"limit": MAX_BYTES // (1024 * 1024)}
    assert error.text.english() == "This file is larger than 20 MB, too large for an e-invoice."


def plain_pdf(attachments: dict[str, bytes] | None = None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for name, content in (attachments or {}).items():
        writer.add_attachment(name, content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_without_an_e_invoice_can_be_attached(no_network):
    for pdf in (plain_pdf(), plain_pdf({"notes.txt": b"hello"}), plain_pdf({"feed.xml": b"<rss/>"})):
        error = refused(pdf, "scan.pdf")
        assert (error.code, error.attachable, error.media_type) == ("pdf_without_einvoice", True, "application/pdf")


def test_a_pdf_with_an_e_invoice_among_other_xml_reads_the_invoice():
    invoice = (FIXTURES / "CII_example4.xml").read_bytes()
    r = read(plain_pdf({"a-feed.xml": b"<rss/>", "zugferd-invoice.xml": invoice}))
    assert (r.source, r.number, r.xml) == ("pdf", "TOSL110", invoice)
    r = read(plain_pdf({"invoice-in-another-name.XML": invoice}))
    assert r.number == "TOSL110"


def test_a_pdf_with_a_hostile_e_invoice_is_refused(no_network):
    error = refused(plain_pdf({"factur-x.xml": xxe(no_network.url)}))
    assert (error.code, error.attachable) == ("doctype_forbidden", False)
    assert refused(plain_pdf({"factur-x.xml": b"<rsm:CrossIndustryInvoice"})).code == "not_xml"
    assert not no_network.reached()


def test_random_bytes_are_unsupported():
    data = random.Random(17).randbytes(4096)
    assert not data.lstrip().startswith((b"<", b"%PDF")) and b"%PDF-" not in data[:1024]
    error = refused(data, "blob.bin")
    assert (error.code, error.attachable) == ("unsupported", False)


@pytest.mark.parametrize("head, media_type", [(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
                                              (b"\xff\xd8\xff\xe0\0\x10JFIF\0", "image/jpeg"),
                                              (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp")])
def test_an_image_is_unsupported_but_can_be_attached(head, media_type):
    error = refused(head + bytes(200), "photo")
    assert (error.code, error.attachable, error.media_type) == ("unsupported", True, media_type)


@pytest.mark.parametrize("xml", [b"<rss/>", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
                                 f"<rsm:CrossIndustryInvoice {CII_NS}/>".encode(),  # no ExchangedDocument
                                 b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
                                 b"<Invoice><ID>1</ID></Invoice>"])  # UBL's name without its namespace
def test_xml_that_is_not_an_invoice(xml):
    error = refused(xml, "feed.xml")
    assert (error.code, error.attachable) == ("not_an_invoice", False)


def test_zugferd_1_is_named():
    xml = b'<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>'
    error = refused(xml)
    assert error.code == "not_an_invoice" and "ZUGFeRD 1" in error.text.english()


@pytest.mark.parametrize("data, filename", [(b"<rsm:CrossIndustryInvoice><ram:ID>1</ram:ID>", ""),
                                            (b"<a><b></a>", "x.xml"),
                                            (b"<?xml version='1.0'?>\n<a>\n&undefined;</a>", ""),
                                            (b"\0\1\2binary named as xml", "invoice.xml")])
def test_malformed_xml(data, filename):
    error = refused(data, filename)
    assert error.code == "not_xml" and "line" in error.text.params


@pytest.mark.parametrize("data", [b"", b"   \n\t "])
def test_an_empty_file(data):
    assert refused(data).code == "empty"
