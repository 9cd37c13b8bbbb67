"""E-invoice formats and what the official rules' findings mean to the person issuing (pure Python).

Formats (the API's ``format`` values, a customer's preferred format, ``document_einvoice.format``):

- ``facturx-cii``: UN/CEFACT CII D16B, Factur-X/ZUGFeRD profile EN 16931, embedded in the PDF as
  ``factur-x.xml``; checked with the CEN EN 16931 rules 1.3.16.
- ``xrechnung-ubl``: OASIS UBL 2.1 Invoice/CreditNote, XRechnung 3.0 CIUS; checked with the KoSIT XRechnung
  configuration (CEN 1.3.15 + XRechnung schematron + scenario levels).
- ``xrechnung-cii``: CII D16B, XRechnung 3.0 CIUS; the same KoSIT checks.
"""
from __future__ import annotations

from webapp.domain.units import _n

FACTURX, XRECHNUNG_UBL, XRECHNUNG_CII = "facturx-cii", "xrechnung-ubl", "xrechnung-cii"
FORMATS = (FACTURX, XRECHNUNG_UBL, XRECHNUNG_CII)
# what a customer may prefer ("" none: the PDF alone, which carries Factur-X when the organization has it on)
PREFERENCES = ("", *FORMATS)
FORMAT_LABELS = {"": _n("None"), FACTURX: _n("Factur-X / ZUGFeRD (PDF with XML)"),
                 XRECHNUNG_UBL: _n("XRechnung (UBL)"), XRECHNUNG_CII: _n("XRechnung (CII)")}
SYNTAX = {FACTURX: "CII", XRECHNUNG_UBL: "UBL", XRECHNUNG_CII: "CII"}
XRECHNUNG = {XRECHNUNG_UBL, XRECHNUNG_CII}
E_INVOICE_KINDS = ("invoice", "credit_note")  # EN 16931 knows invoices (380) and credit notes (381)
PREFERENCE_SQL = "e_invoice_format IN ('', 'facturx-cii', 'xrechnung-ubl', 'xrechnung-cii')"

# CIUS / profile identifiers (BT-24)
SPEC_EN16931 = "urn:cen.eu:en16931:2017"
SPEC_XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"

# The fix for a fatal finding, by rule id: what the member has to fill, in words (translated where shown).
# A rule not named here is shown with the rule's own (English) text and its id.
RULE_FIXES = {
    "BR-DE-15": _n("The customer needs a buyer reference (for German public buyers the Leitweg-ID): add it to "
                   "the customer or to this invoice."),
    "BR-DE-2": _n("Add your e-mail address and phone number in Settings (the seller contact of an XRechnung)."),
    "BR-DE-5": _n("Add a contact name in Settings (the seller contact of an XRechnung)."),
    "BR-DE-6": _n("Add your phone number in Settings (the seller contact of an XRechnung)."),
    "BR-DE-7": _n("Add your e-mail address in Settings (the seller contact of an XRechnung)."),
    "BR-DE-23-a": _n("Add your IBAN in Settings: an XRechnung paid by credit transfer names the account."),
    "BR-DE-23-b": _n("Add your IBAN in Settings: an XRechnung paid by credit transfer names the account."),
    "BR-DE-1": _n("Add your IBAN in Settings: an XRechnung states how to pay."),
    "BR-DE-3": _n("Add your city in Settings."),
    "BR-DE-4": _n("Add your postal code in Settings."),
    "BR-DE-8": _n("The customer needs a city."),
    "BR-DE-9": _n("The customer needs a postal code."),
    "BR-DE-11": _n("The delivery address needs a city."),
    "BR-DE-10": _n("The delivery address needs a postal code."),
    "BR-DE-16": _n("Add your VAT ID or tax number in Settings."),
    "BR-DE-19": _n("Your IBAN in Settings is not valid."),
    "PEPPOL-EN16931-R010": _n("The customer needs an e-mail address (the buyer's electronic address of an XRechnung)."),
    "PEPPOL-EN16931-R020": _n("Add your e-mail address in Settings (the seller's electronic address of an XRechnung)."),
    "BR-S-02": _n("Add your VAT ID in Settings: an invoice with standard-rated VAT names it."),
    "BR-Z-02": _n("Add your VAT ID in Settings: an invoice with zero-rated lines names it."),
    "BR-E-02": _n("Add your VAT ID in Settings: an invoice with VAT-exempt lines names it."),
    "BR-AE-02": _n("Reverse charge needs your VAT ID (Settings) and the customer's VAT ID."),
    "BR-AE-03": _n("Reverse charge needs your VAT ID (Settings) and the customer's VAT ID."),
    "BR-AE-04": _n("Reverse charge needs your VAT ID (Settings) and the customer's VAT ID."),
    "BR-IC-02": _n("An intra-EU supply needs your VAT ID (Settings) and the customer's VAT ID."),
    "BR-IC-03": _n("An intra-EU supply needs your VAT ID (Settings) and the customer's VAT ID."),
    "BR-IC-04": _n("An intra-EU supply needs your VAT ID (Settings) and the customer's VAT ID."),
    "BR-IC-11": _n("An intra-EU supply needs a delivery date or service period."),
    "BR-IC-12": _n("An intra-EU supply needs the customer's country (the delivery country)."),
    "BR-G-02": _n("An export needs your VAT ID in Settings."),
    # IGIC (L) is BR-AF-*, IPSI (M) BR-AG-*: lines, allowances and charges of the category name the seller's VAT ID
    **dict.fromkeys(("BR-AF-02", "BR-AF-03", "BR-AF-04"),
                    _n("Add your VAT ID in Settings: an invoice with IGIC (Canary Islands) names it.")),
    **dict.fromkeys(("BR-AG-02", "BR-AG-03", "BR-AG-04"),
                    _n("Add your VAT ID in Settings: an invoice with IPSI (Ceuta and Melilla) names it.")),
    "BR-B-01": _n("Transferred VAT (split payment) is for Italian invoices only: your country, the customer's and "
                  "the delivery address must all be Italy."),
    "BR-B-02": _n("An invoice with transferred VAT (split payment) cannot also have standard-rated lines, discounts "
                  "or charges: give them all the split-payment rate."),
    "BR-O-02": _n("An invoice outside the scope of VAT cannot carry a VAT ID: remove the customer's VAT ID or use "
                  "another tax rate."),
    "BR-CO-26": _n("Add your VAT ID or your company registration number in Settings: an e-invoice names one of "
                   "them so that the customer can identify you."),
    "BR-6": _n("Add your legal name in Settings."),
    "BR-7": _n("The customer needs a name."),
    "BR-8": _n("Complete your postal address in Settings."),
    "BR-9": _n("Add your country in Settings."),
    "BR-10": _n("The customer needs a postal address."),
    "BR-11": _n("The customer needs a country."),
    "BR-CO-9": _n("A VAT ID starts with the country's two-letter code: check yours (Settings) and the customer's."),
    "BR-CL-23": _n("A line's unit has no UN/ECE code: choose one of the listed units."),
}

# fixes for whole families of rules, by rule id prefix
RULE_PREFIX_FIXES = {
    "BR-DEC-": _n("EN 16931 allows amounts with at most two decimals: this invoice has amounts with three. Round "
                  "the prices to two decimals, or issue it without an e-invoice."),
}


def rule_fix(rule_id: str) -> str | None:
    """The fix for a fatal finding of ``rule_id`` (English, translated where shown), or None."""
    if rule_id in RULE_FIXES:
        return RULE_FIXES[rule_id]
    return next((fix for prefix, fix in RULE_PREFIX_FIXES.items() if rule_id.startswith(prefix)), None)
