"""Reading an incoming e-invoice into data (issue 17): pure Python on lxml and pypdf, no database, no Flask.

``read(data, filename)`` takes what a supplier sent -- an XML (UN/CEFACT CII D16B ``rsm:CrossIndustryInvoice``,
as in Factur-X/ZUGFeRD 2 and XRechnung CII, or UBL 2.1 ``Invoice`` / ``CreditNote``, as in XRechnung UBL and
Peppol) or a PDF carrying one as an embedded file (Factur-X / ZUGFeRD: ``factur-x.xml``, ``zugferd-invoice.xml``,
``xrechnung.xml``, else any embedded ``*.xml`` that is an invoice) -- and returns a ``ReadInvoice``: what the
document states, as written. Nothing is computed, checked or completed here: amounts and quantities are the
``Decimal`` of the text (``Decimal("1.2605")``, ``Decimal("1000")``), signs as written (a UBL credit note states
positive amounts, so does a CII type 381), absent terms are ``None`` (numbers, dates) or ``""`` (text). Whether
the document satisfies EN 16931 is for the official rules (``services/einvoice.validate``) to say.

Business terms read (EN 16931-1): BT-1 number, BT-2 issue date, BT-3 type code, BT-5 currency, BT-6 VAT
accounting currency, BT-9 due date, BT-10 buyer reference, BT-12 contract, BT-13 purchase order, BT-20 payment
terms, BT-22 notes, BT-23 process, BT-24 specification (CIUS), BT-25/BT-26 preceding invoice, BT-72 delivery
date, BT-81 payment means, BT-83 remittance information, BT-84 payment account (IBAN), BT-86 BIC, BG-14 invoicing
period (BT-73/74); the seller (BG-4: BT-27..BT-43) and the buyer (BG-7: BT-44..BT-58) with their addresses;
document allowances and charges (BG-20/BG-21: BT-92..BT-105); the totals (BG-22: BT-106..BT-115, and BT-111);
the VAT breakdown (BG-23: BT-116..BT-121); the lines (BG-25: BT-126, BT-127, BT-129..BT-131, BG-26 period,
BG-27/BG-28 line allowances and charges, BT-146..BT-149 price, BT-151/BT-152 VAT, BT-153..BT-155 item).
In UBL, BT-28 is ``PartyName``, BT-27 ``PartyLegalEntity/RegistrationName``; a note's ``#XXX#`` subject code
prefix (the XRechnung convention) is taken off the note text (CII states it apart).

Safety (an upload is hostile until proven otherwise):

- input larger than ``MAX_BYTES`` is refused before anything parses it (so is an embedded XML that large);
- the XML parser is locked down (``_parser``): no entity resolution, no DTD loading or validation, no network,
  no huge trees, processing instructions dropped;
- a document with a DOCTYPE is refused (``doctype_forbidden``): scanned for before parsing and checked again on
  the parsed tree. No e-invoice has one, and refusing it blocks external entities and entity expansion
  (billion laughs) whatever the parser would have done;
- nothing is ever fetched: no schema location, no external entity, no URL in the document is followed;
- PDFs are opened by pypdf (its own decompression limits apply); the ``factur-x`` package's reader is not used,
  because it parses the embedded XML with lxml's default parser. Whatever pypdf raises on a damaged PDF is
  reported as ``unreadable_pdf``.

Errors are ``ReadError(code, text)`` (a ``ValueError``) with a stable ``code`` (``CODES``), a short English
``Text`` to show, ``attachable`` (the file can still be attached to a purchase entered by hand: a PDF without an
e-invoice, an image) and ``media_type`` (what the file was recognised as, "" unknown).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from webapp.domain.errors import Text

MAX_BYTES = 20 * 1024 * 1024  # an e-invoice is kilobytes, a PDF with one rarely more than a few megabytes

CODES = ("too_large", "empty", "not_xml", "doctype_forbidden", "not_an_invoice", "pdf_without_einvoice",
         "unreadable_pdf", "unsupported")

MESSAGES = {
    "too_large": Text("This file is larger than {limit} MB, too large for an e-invoice."),
    "empty": Text("This file is empty."),
    "not_xml": Text("The e-invoice XML is malformed (line {line}) and cannot be read."),
    "doctype_forbidden": Text("The e-invoice XML declares a document type (DOCTYPE), which no e-invoice has: "
                              "it was refused unread."),
    "not_an_invoice": Text("This XML is not an e-invoice (a CII or UBL invoice or credit note)."),
    "zugferd_1": Text("This is a ZUGFeRD 1 invoice, which is no longer supported: ask the supplier for "
                      "ZUGFeRD 2 (Factur-X) or XRechnung."),
    "pdf_without_einvoice": Text("This PDF carries no e-invoice: it can be attached to a purchase entered by "
                                 "hand."),
    "unreadable_pdf": Text("This PDF is damaged or incomplete and cannot be read."),
    "image": Text("This is an image, not an e-invoice: it can be attached to a purchase entered by hand."),
    "unsupported": Text("This file is neither an e-invoice (XML) nor a PDF."),
}

SYNTAX_CII, SYNTAX_UBL = "cii", "ubl"
SOURCE_XML, SOURCE_PDF = "xml", "pdf"
PDF = "application/pdf"

NS_CII = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
          "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
          "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"}
NS_UBL = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
          "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
UBL_ROOTS = {"{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "Invoice",
             "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": "CreditNote"}
CII_ROOT = "{%s}CrossIndustryInvoice" % NS_CII["rsm"]
ZUGFERD_1_ROOT = "{urn:ferd:CrossIndustryDocument:invoice:1p0}CrossIndustryDocument"

# UNTDID 1001 codes EN 16931 counts as credit notes (the others it allows -- 380, 384, 386, 389, 751 ... -- are
# invoices)
CREDIT_NOTE_TYPES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})

# embedded files that are an e-invoice by name, best first (Factur-X / ZUGFeRD 2.x, ZUGFeRD 2.0, XRechnung in
# ZUGFeRD); any other embedded *.xml is tried after these
EMBEDDED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

IMAGES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)  # xs:decimal
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_CII_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})", re.ASCII)  # format 102
_NOTE_SUBJECT = re.compile(r"#[A-Z]{3}#")  # "#ADU#text": XRechnung's subject code in a UBL note
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


# --- what is read ------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Party:
    """A seller (BG-4) or buyer (BG-7), as written ("" where absent)."""
    name: str = ""  # BT-27 / BT-44 (legal name)
    trading_name: str = ""  # BT-28 / BT-45
    vat_id: str = ""  # BT-31 / BT-48 (CII scheme VA; UBL PartyTaxScheme with TaxScheme VAT)
    tax_number: str = ""  # BT-32 (CII scheme FC; UBL PartyTaxScheme with another TaxScheme)
    registration_id: str = ""  # BT-30 / BT-47
    street: str = ""  # BT-35 / BT-50
    street2: str = ""  # BT-36 / BT-51, and BT-162 / BT-163 after ", " when there is a third line
    postal_code: str = ""  # BT-38 / BT-53
    city: str = ""  # BT-37 / BT-52
    region: str = ""  # BT-39 / BT-54
    country: str = ""  # BT-40 / BT-55 (ISO 3166-1 alpha-2, as written)
    email: str = ""  # BT-43 / BT-58 (contact e-mail); else the electronic address when its scheme is EM
    contact_name: str = ""  # BT-41 / BT-56 (person, else department)
    phone: str = ""  # BT-42 / BT-57
    electronic_address: str = ""  # BT-34 / BT-49
    electronic_address_scheme: str = ""  # its scheme (EM e-mail, 0088 GLN, 0204 Leitweg-ID ...)
    identifier: str = ""  # BT-29 / BT-46, the first
    identifier_scheme: str = ""


@dataclass(frozen=True, kw_only=True)
class ReadAdjustment:
    """A document-level (BG-20/BG-21) or line-level (BG-27/BG-28) allowance or charge."""
    charge: bool  # ChargeIndicator: True a charge, False an allowance
    amount: Decimal | None = None  # BT-92 / BT-99; line BT-136 / BT-141
    base: Decimal | None = None  # BT-93 / BT-100; line BT-137 / BT-142
    percent: Decimal | None = None  # BT-94 / BT-101; line BT-138 / BT-143
    category: str = ""  # BT-95 / BT-102 (document level only)
    rate: Decimal | None = None  # BT-96 / BT-103 (document level only)
    reason: str = ""  # BT-97 / BT-104; line BT-139 / BT-144
    reason_code: str = ""  # BT-98 / BT-105; line BT-140 / BT-145


@dataclass(frozen=True, kw_only=True)
class ReadLine:
    """An invoice line (BG-25)."""
    line_id: str = ""  # BT-126
    name: str = ""  # BT-153
    description: str = ""  # BT-154
    quantity: Decimal | None = None  # BT-129 (UBL CreditNote: CreditedQuantity)
    unit_code: str = ""  # BT-130 (UN/ECE Rec 20/21)
    unit_price: Decimal | None = None  # BT-146, the net price
    base_quantity: Decimal = Decimal(1)  # BT-149 (1 when not stated)
    net_amount: Decimal | None = None  # BT-131
    category: str = ""  # BT-151
    rate: Decimal | None = None  # BT-152
    allowances: tuple[ReadAdjustment, ...] = ()  # BG-27
    charges: tuple[ReadAdjustment, ...] = ()  # BG-28
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    seller_item_id: str = ""  # BT-155
    note: str = ""  # BT-127
    gross_price: Decimal | None = None  # BT-148
    price_discount: Decimal | None = None  # BT-147


@dataclass(frozen=True, kw_only=True)
class ReadTaxGroup:
    """One VAT breakdown group (BG-23)."""
    category: str = ""  # BT-118
    rate: Decimal | None = None  # BT-119
    base: Decimal | None = None  # BT-116
    tax: Decimal | None = None  # BT-117
    exemption_reason: str = ""  # BT-120
    exemption_code: str = ""  # BT-121


@dataclass(frozen=True, kw_only=True)
class ReadTotals:
    """The document totals (BG-22), None where the document does not state one."""
    line_total: Decimal | None = None  # BT-106
    allowance_total: Decimal | None = None  # BT-107
    charge_total: Decimal | None = None  # BT-108
    net_total: Decimal | None = None  # BT-109
    tax_total: Decimal | None = None  # BT-110 (in the invoice currency)
    gross_total: Decimal | None = None  # BT-112
    prepaid: Decimal | None = None  # BT-113
    rounding: Decimal | None = None  # BT-114
    payable: Decimal | None = None  # BT-115


@dataclass(frozen=True, kw_only=True)
class ReadInvoice:
    syntax: str  # "cii" or "ubl"
    customization_id: str = ""  # BT-24
    profile_id: str = ""  # BT-23
    type_code: str = ""  # BT-3
    is_credit_note: bool = False  # a UBL CreditNote, or a credit note type code (CREDIT_NOTE_TYPES)
    number: str = ""  # BT-1
    issue_date: date | None = None  # BT-2
    due_date: date | None = None  # BT-9
    currency: str = ""  # BT-5
    tax_currency: str = ""  # BT-6
    tax_total_accounting: Decimal | None = None  # BT-111 (in tax_currency)
    buyer_reference: str = ""  # BT-10
    order_reference: str = ""  # BT-13
    contract_reference: str = ""  # BT-12
    preceding_invoice: str = ""  # BT-25 (the first)
    preceding_invoice_date: date | None = None  # BT-26
    notes: tuple[str, ...] = ()  # BT-22
    payment_terms: str = ""  # BT-20 (several joined by a line break)
    payment_means_code: str = ""  # BT-81 (the first)
    payment_reference: str = ""  # BT-83
    iban: str = ""  # BT-84, as written (spaces kept), of the first payment means naming an account
    bic: str = ""  # BT-86
    delivery_date: date | None = None  # BT-72
    seller: Party = Party()
    buyer: Party = Party()
    lines: tuple[ReadLine, ...] = ()
    allowances: tuple[ReadAdjustment, ...] = ()  # BG-20
    charges: tuple[ReadAdjustment, ...] = ()  # BG-21
    tax_breakdown: tuple[ReadTaxGroup, ...] = ()  # BG-23
    totals: ReadTotals = ReadTotals()
    period_start: date | None = None  # BT-73
    period_end: date | None = None  # BT-74
    xml: bytes = field(default=b"", repr=False)  # the XML as received (extracted from the PDF when source is pdf)
    source: str = SOURCE_XML  # "xml" or "pdf"


class ReadError(ValueError):
    """A file that cannot be read as an e-invoice. ``code``: one of ``CODES``; ``text``: what to show;
    ``attachable``: the file may still be attached to a purchase entered by hand (a PDF without an e-invoice,
    an image); ``media_type``: what the file was recognised as ("" unknown)."""

    def __init__(self, code: str, text: Text, attachable: bool = False, media_type: str = ""):
        super().__init__(text)
        self.code, self.text, self.attachable, self.media_type = code, text, attachable, media_type

    def __repr__(self) -> str:
        return f"ReadError({self.code!r}, {self.text.english()!r})"


def _error(code: str, message: str | None = None, media_type: str = "", **params) -> ReadError:
    return ReadError(code, Text(MESSAGES[message or code].template, **params), media_type=media_type)


# --- entry point -------------------------------------------------------------------------------------------

def read(data: bytes, filename: str = "") -> ReadInvoice:
    """The e-invoice in ``data`` (an XML, or a PDF with one embedded); ``filename`` is only a hint (a file named
    ``*.xml`` that does not look like XML is reported as malformed XML). Raises ``ReadError``."""
    if len(data) > MAX_BYTES:
        raise _error("too_large", limit=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise _error("empty")
    if data.startswith(b"%PDF-"):
        return _from_pdf(data)
    if _looks_like_xml(data):
        return _from_xml(data, SOURCE_XML)
    if b"%PDF-" in data[:1024]:  # readers accept a PDF header anywhere in the first kilobyte
        return _from_pdf(data)
    if filename.lower().endswith(".xml"):
        return _from_xml(data, SOURCE_XML)
    for magic, media_type in IMAGES:
        if data.startswith(magic):
            raise ReadError("unsupported", MESSAGES["image"], attachable=True, media_type=media_type)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise ReadError("unsupported", MESSAGES["image"], attachable=True, media_type="image/webp")
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypheif"):
        raise ReadError("unsupported", MESSAGES["image"], attachable=True, media_type="image/heic")
    raise _error("unsupported")


def _looks_like_xml(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte order mark
        return data[:200].decode("utf-16", errors="replace").lstrip("\ufeff \t\r\n").startswith("<")
    return data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


# --- XML ---------------------------------------------------------------------------------------------------

def _parser() -> etree.XMLParser:
    """A new locked-down parser (lxml parsers are not to be shared between threads)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=True, remove_comments=True)


def _has_doctype(data: bytes) -> bool:
    if _DOCTYPE.search(data):
        return True
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "<!doctype" in data.decode("utf-16", errors="replace").lower()
    return False


def _from_xml(data: bytes, source: str) -> ReadInvoice:
    if len(data) > MAX_BYTES:
        raise _error("too_large", limit=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise _error("empty")
    if _has_doctype(data):
        raise _error("doctype_forbidden")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        raise _error("not_xml", line=e.lineno or 1) from None
    except ValueError:  # e.g. a byte string lxml cannot decode at all
        raise _error("not_xml", line=1) from None
    if root is None:
        raise _error("not_xml", line=1)
    if root.getroottree().docinfo.doctype:  # what the scan could not see (an unusual encoding)
        raise _error("doctype_forbidden")
    if root.tag == CII_ROOT:
        return _cii(root, data, source)
    if root.tag in UBL_ROOTS:
        return _ubl(root, UBL_ROOTS[root.tag], data, source)
    if root.tag == ZUGFERD_1_ROOT:
        raise _error("not_an_invoice", "zugferd_1")
    raise _error("not_an_invoice")


# --- value helpers -----------------------------------------------------------------------------------------

_NOTHING = etree.Element("nothing")  # what a missing aggregate reads as: it has no children (never changed)


def _node(parent, path: str, ns: dict):
    found = parent.find(path, ns) if parent is not None else None
    return found if found is not None else _NOTHING


def _text(parent, path: str, ns: dict) -> str:
    found = parent.find(path, ns) if parent is not None else None
    return "".join(found.itertext()).strip() if found is not None else ""


def _texts(parent, path: str, ns: dict) -> list[str]:
    return [text for text in ("".join(node.itertext()).strip() for node in parent.findall(path, ns)) if text]


def _decimal(text: str) -> Decimal | None:
    """The xs:decimal ``text`` exactly as written (trailing zeros kept); None when absent or not a decimal
    (the official rules report that)."""
    text = text.strip()
    if not text or len(text) > 64 or not _DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


def _number(parent, path: str, ns: dict) -> Decimal | None:
    return _decimal(_text(parent, path, ns))


def _date(text: str, pattern: re.Pattern) -> date | None:
    match = pattern.match(text.strip())
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _indicator(text: str) -> bool:
    return text.strip().lower() in ("true", "1")


# --- CII ---------------------------------------------------------------------------------------------------

def _cii_date(parent, path: str) -> date | None:
    """A CII date (``udt:DateTimeString`` or ``qdt:DateTimeString``, format 102) under ``path``."""
    holder = _node(parent, path, NS_CII)
    node = holder.find("udt:DateTimeString", NS_CII)
    if node is None:
        node = holder.find("qdt:DateTimeString", NS_CII)
    if node is None:
        return None
    return _date("".join(node.itertext()), _CII_DATE)


def _cii_party(node) -> Party:
    n = NS_CII
    if node is _NOTHING:
        return Party()
    address = _node(node, "ram:PostalTradeAddress", n)
    line2, line3 = _text(address, "ram:LineTwo", n), _text(address, "ram:LineThree", n)
    contact = _node(node, "ram:DefinedTradeContact", n)
    electronic = _node(node, "ram:URIUniversalCommunication/ram:URIID", n)
    vat_id = tax_number = ""
    for registration in node.findall("ram:SpecifiedTaxRegistration/ram:ID", n):
        value, scheme = "".join(registration.itertext()).strip(), (registration.get("schemeID") or "").strip()
        if scheme == "VA" and not vat_id:
            vat_id = value
        elif scheme == "FC" and not tax_number:
            tax_number = value
    identifier = next(iter(node.findall("ram:ID", n) + node.findall("ram:GlobalID", n)), _NOTHING)
    electronic_address = "".join(electronic.itertext()).strip()
    electronic_scheme = (electronic.get("schemeID") or "").strip()
    email = _text(contact, "ram:EmailURIUniversalCommunication/ram:URIID", n)
    return Party(
        name=_text(node, "ram:Name", n),
        trading_name=_text(node, "ram:SpecifiedLegalOrganization/ram:TradingBusinessName", n),
        vat_id=vat_id, tax_number=tax_number,
        registration_id=_text(node, "ram:SpecifiedLegalOrganization/ram:ID", n),
        street=_text(address, "ram:LineOne", n),
        street2=", ".join(part for part in (line2, line3) if part),
        postal_code=_text(address, "ram:PostcodeCode", n),
        city=_text(address, "ram:CityName", n),
        region=_text(address, "ram:CountrySubDivisionName", n),
        country=_text(address, "ram:CountryID", n),
        email=email or (electronic_address if electronic_scheme == "EM" else ""),
        contact_name=_text(contact, "ram:PersonName", n) or _text(contact, "ram:DepartmentName", n),
        phone=_text(contact, "ram:TelephoneUniversalCommunication/ram:CompleteNumber", n),
        electronic_address=electronic_address, electronic_address_scheme=electronic_scheme,
        identifier="".join(identifier.itertext()).strip(),
        identifier_scheme=(identifier.get("schemeID") or "").strip())


def _cii_adjustment(node, document_level: bool) -> ReadAdjustment:
    n = NS_CII
    tax = _node(node, "ram:CategoryTradeTax", n)
    return ReadAdjustment(
        charge=_indicator(_text(node, "ram:ChargeIndicator/udt:Indicator", n)),
        amount=_number(node, "ram:ActualAmount", n), base=_number(node, "ram:BasisAmount", n),
        percent=_number(node, "ram:CalculationPercent", n),
        category=_text(tax, "ram:CategoryCode", n) if document_level else "",
        rate=_number(tax, "ram:RateApplicablePercent", n) if document_level else None,
        reason=_text(node, "ram:Reason", n), reason_code=_text(node, "ram:ReasonCode", n))


def _split(adjustments: list[ReadAdjustment]) -> tuple[tuple[ReadAdjustment, ...], tuple[ReadAdjustment, ...]]:
    return tuple(a for a in adjustments if not a.charge), tuple(a for a in adjustments if a.charge)


def _cii_line(item) -> ReadLine:
    n = NS_CII
    document = _node(item, "ram:AssociatedDocumentLineDocument", n)
    product = _node(item, "ram:SpecifiedTradeProduct", n)
    agreement = _node(item, "ram:SpecifiedLineTradeAgreement", n)
    net_price = _node(agreement, "ram:NetPriceProductTradePrice", n)
    gross_price = _node(agreement, "ram:GrossPriceProductTradePrice", n)
    quantity = _node(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", n)
    settlement = _node(item, "ram:SpecifiedLineTradeSettlement", n)
    tax = _node(settlement, "ram:ApplicableTradeTax", n)
    base_quantity = _number(net_price, "ram:BasisQuantity", n)
    if base_quantity is None:
        base_quantity = _number(gross_price, "ram:BasisQuantity", n)
    allowances, charges = _split([_cii_adjustment(a, document_level=False)
                                  for a in settlement.findall("ram:SpecifiedTradeAllowanceCharge", n)])
    return ReadLine(
        line_id=_text(document, "ram:LineID", n),
        name=_text(product, "ram:Name", n), description=_text(product, "ram:Description", n),
        quantity=_decimal("".join(quantity.itertext())), unit_code=(quantity.get("unitCode") or "").strip(),
        unit_price=_number(net_price, "ram:ChargeAmount", n),
        base_quantity=base_quantity if base_quantity is not None else Decimal(1),
        net_amount=_number(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", n),
        category=_text(tax, "ram:CategoryCode", n), rate=_number(tax, "ram:RateApplicablePercent", n),
        allowances=allowances, charges=charges,
        period_start=_cii_date(settlement, "ram:BillingSpecifiedPeriod/ram:StartDateTime"),
        period_end=_cii_date(settlement, "ram:BillingSpecifiedPeriod/ram:EndDateTime"),
        seller_item_id=_text(product, "ram:SellerAssignedID", n),
        note="\n".join(_texts(document, "ram:IncludedNote/ram:Content", n)),
        gross_price=_number(gross_price, "ram:ChargeAmount", n),
        price_discount=_number(gross_price, "ram:AppliedTradeAllowanceCharge/ram:ActualAmount", n))


def _tax_totals(amounts: list, currency: str, tax_currency: str) -> tuple[Decimal | None, Decimal | None]:
    """BT-110 and BT-111 among the VAT totals (elements with a currencyID): the one in the invoice currency (or
    without a currency) is BT-110, the one in the VAT accounting currency BT-111."""
    total = accounting = None
    total_seen = False
    for node in amounts:
        value = _decimal("".join(node.itertext()))
        unit = (node.get("currencyID") or "").strip()
        if tax_currency and unit == tax_currency and (unit != currency or total_seen):
            accounting = value
        elif not total_seen:
            total, total_seen = value, True
    return total, accounting


def _cii(root, data: bytes, source: str) -> ReadInvoice:
    n = NS_CII
    header = root.find("rsm:ExchangedDocument", n)
    if header is None:
        raise _error("not_an_invoice")
    context = _node(root, "rsm:ExchangedDocumentContext", n)
    transaction = _node(root, "rsm:SupplyChainTradeTransaction", n)
    agreement = _node(transaction, "ram:ApplicableHeaderTradeAgreement", n)
    delivery = _node(transaction, "ram:ApplicableHeaderTradeDelivery", n)
    settlement = _node(transaction, "ram:ApplicableHeaderTradeSettlement", n)
    summation = _node(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation", n)
    currency = _text(settlement, "ram:InvoiceCurrencyCode", n)
    tax_currency = _text(settlement, "ram:TaxCurrencyCode", n)
    tax_total, tax_total_accounting = _tax_totals(summation.findall("ram:TaxTotalAmount", n), currency,
                                                  tax_currency)
    means = settlement.findall("ram:SpecifiedTradeSettlementPaymentMeans", n)
    account = next((m for m in means if _text(m, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID", n)
                    or _text(m, "ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID", n)), _NOTHING)
    terms = settlement.findall("ram:SpecifiedTradePaymentTerms", n)
    preceding = _node(settlement, "ram:InvoiceReferencedDocument", n)
    type_code = _text(header, "ram:TypeCode", n)
    allowances, charges = _split([_cii_adjustment(a, document_level=True)
                                  for a in settlement.findall("ram:SpecifiedTradeAllowanceCharge", n)])
    return ReadInvoice(
        syntax=SYNTAX_CII,
        customization_id=_text(context, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", n),
        profile_id=_text(context, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", n),
        type_code=type_code, is_credit_note=type_code in CREDIT_NOTE_TYPES,
        number=_text(header, "ram:ID", n),
        issue_date=_cii_date(header, "ram:IssueDateTime"),
        due_date=next((d for d in (_cii_date(t, "ram:DueDateDateTime") for t in terms) if d), None),
        currency=currency, tax_currency=tax_currency, tax_total_accounting=tax_total_accounting,
        buyer_reference=_text(agreement, "ram:BuyerReference", n),
        order_reference=_text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID", n),
        contract_reference=_text(agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID", n),
        preceding_invoice=_text(preceding, "ram:IssuerAssignedID", n),
        preceding_invoice_date=_cii_date(preceding, "ram:FormattedIssueDateTime"),
        notes=tuple(text for text in ("\n".join(_texts(note, "ram:Content", n))
                                      for note in header.findall("ram:IncludedNote", n)) if text),
        payment_terms="\n".join(text for t in terms for text in _texts(t, "ram:Description", n)),
        payment_means_code=next((code for m in means if (code := _text(m, "ram:TypeCode", n))), ""),
        payment_reference=_text(settlement, "ram:PaymentReference", n),
        iban=(_text(account, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID", n)
              or _text(account, "ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID", n)),
        bic=_text(account, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID", n),
        delivery_date=_cii_date(delivery, "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime"),
        seller=_cii_party(_node(agreement, "ram:SellerTradeParty", n)),
        buyer=_cii_party(_node(agreement, "ram:BuyerTradeParty", n)),
        lines=tuple(_cii_line(item) for item in transaction.findall("ram:IncludedSupplyChainTradeLineItem", n)),
        allowances=allowances, charges=charges,
        tax_breakdown=tuple(ReadTaxGroup(
            category=_text(group, "ram:CategoryCode", n), rate=_number(group, "ram:RateApplicablePercent", n),
            base=_number(group, "ram:BasisAmount", n), tax=_number(group, "ram:CalculatedAmount", n),
            exemption_reason=_text(group, "ram:ExemptionReason", n),
            exemption_code=_text(group, "ram:ExemptionReasonCode", n))
            for group in settlement.findall("ram:ApplicableTradeTax", n)),
        totals=ReadTotals(
            line_total=_number(summation, "ram:LineTotalAmount", n),
            allowance_total=_number(summation, "ram:AllowanceTotalAmount", n),
            charge_total=_number(summation, "ram:ChargeTotalAmount", n),
            net_total=_number(summation, "ram:TaxBasisTotalAmount", n),
            tax_total=tax_total,
            gross_total=_number(summation, "ram:GrandTotalAmount", n),
            prepaid=_number(summation, "ram:TotalPrepaidAmount", n),
            rounding=_number(summation, "ram:RoundingAmount", n),
            payable=_number(summation, "ram:DuePayableAmount", n)),
        period_start=_cii_date(settlement, "ram:BillingSpecifiedPeriod/ram:StartDateTime"),
        period_end=_cii_date(settlement, "ram:BillingSpecifiedPeriod/ram:EndDateTime"),
        xml=data, source=source)


# --- UBL ---------------------------------------------------------------------------------------------------

def _ubl_date(parent, path: str) -> date | None:
    return _date(_text(parent, path, NS_UBL), _ISO_DATE)


def _ubl_party(node) -> Party:
    n = NS_UBL
    if node is _NOTHING:
        return Party()
    address = _node(node, "cac:PostalAddress", n)
    line2, line3 = _text(address, "cbc:AdditionalStreetName", n), _text(address, "cac:AddressLine/cbc:Line", n)
    contact = _node(node, "cac:Contact", n)
    legal = _node(node, "cac:PartyLegalEntity", n)
    vat_id = tax_number = ""
    for scheme in node.findall("cac:PartyTaxScheme", n):
        value = _text(scheme, "cbc:CompanyID", n)
        if _text(scheme, "cac:TaxScheme/cbc:ID", n).upper() == "VAT":
            vat_id = vat_id or value
        else:
            tax_number = tax_number or value
    endpoint = _node(node, "cbc:EndpointID", n)
    identifier = _node(node, "cac:PartyIdentification/cbc:ID", n)
    electronic_address = "".join(endpoint.itertext()).strip()
    electronic_scheme = (endpoint.get("schemeID") or "").strip()
    email = _text(contact, "cbc:ElectronicMail", n)
    return Party(
        name=_text(legal, "cbc:RegistrationName", n),
        trading_name=_text(node, "cac:PartyName/cbc:Name", n),
        vat_id=vat_id, tax_number=tax_number,
        registration_id=_text(legal, "cbc:CompanyID", n),
        street=_text(address, "cbc:StreetName", n),
        street2=", ".join(part for part in (line2, line3) if part),
        postal_code=_text(address, "cbc:PostalZone", n),
        city=_text(address, "cbc:CityName", n),
        region=_text(address, "cbc:CountrySubentity", n),
        country=_text(address, "cac:Country/cbc:IdentificationCode", n),
        email=email or (electronic_address if electronic_scheme == "EM" else ""),
        contact_name=_text(contact, "cbc:Name", n),
        phone=_text(contact, "cbc:Telephone", n),
        electronic_address=electronic_address, electronic_address_scheme=electronic_scheme,
        identifier="".join(identifier.itertext()).strip(),
        identifier_scheme=(identifier.get("schemeID") or "").strip())


def _ubl_adjustment(node, document_level: bool) -> ReadAdjustment:
    n = NS_UBL
    tax = _node(node, "cac:TaxCategory", n)
    return ReadAdjustment(
        charge=_indicator(_text(node, "cbc:ChargeIndicator", n)),
        amount=_number(node, "cbc:Amount", n), base=_number(node, "cbc:BaseAmount", n),
        percent=_number(node, "cbc:MultiplierFactorNumeric", n),
        category=_text(tax, "cbc:ID", n) if document_level else "",
        rate=_number(tax, "cbc:Percent", n) if document_level else None,
        reason=_text(node, "cbc:AllowanceChargeReason", n), reason_code=_text(node, "cbc:AllowanceChargeReasonCode", n))


def _ubl_line(node, quantity_tag: str) -> ReadLine:
    n = NS_UBL
    item = _node(node, "cac:Item", n)
    tax = _node(item, "cac:ClassifiedTaxCategory", n)
    price = _node(node, "cac:Price", n)
    quantity = _node(node, quantity_tag, n)
    base_quantity = _number(price, "cbc:BaseQuantity", n)
    allowances, charges = _split([_ubl_adjustment(a, document_level=False)
                                  for a in node.findall("cac:AllowanceCharge", n)])
    return ReadLine(
        line_id=_text(node, "cbc:ID", n),
        name=_text(item, "cbc:Name", n), description=_text(item, "cbc:Description", n),
        quantity=_decimal("".join(quantity.itertext())), unit_code=(quantity.get("unitCode") or "").strip(),
        unit_price=_number(price, "cbc:PriceAmount", n),
        base_quantity=base_quantity if base_quantity is not None else Decimal(1),
        net_amount=_number(node, "cbc:LineExtensionAmount", n),
        category=_text(tax, "cbc:ID", n), rate=_number(tax, "cbc:Percent", n),
        allowances=allowances, charges=charges,
        period_start=_ubl_date(node, "cac:InvoicePeriod/cbc:StartDate"),
        period_end=_ubl_date(node, "cac:InvoicePeriod/cbc:EndDate"),
        seller_item_id=_text(item, "cac:SellersItemIdentification/cbc:ID", n),
        note="\n".join(_texts(node, "cbc:Note", n)),
        gross_price=_number(price, "cac:AllowanceCharge/cbc:BaseAmount", n),
        price_discount=_number(price, "cac:AllowanceCharge/cbc:Amount", n))


def _ubl(root, kind: str, data: bytes, source: str) -> ReadInvoice:
    n = NS_UBL
    line_tag, quantity_tag = (("cac:CreditNoteLine", "cbc:CreditedQuantity") if kind == "CreditNote"
                              else ("cac:InvoiceLine", "cbc:InvoicedQuantity"))
    currency = _text(root, "cbc:DocumentCurrencyCode", n)
    tax_currency = _text(root, "cbc:TaxCurrencyCode", n)
    tax_totals = root.findall("cac:TaxTotal", n)
    amounts = [amount for total in tax_totals for amount in total.findall("cbc:TaxAmount", n)]
    tax_total, tax_total_accounting = _tax_totals(amounts, currency, tax_currency)
    # the breakdown belongs to the VAT total in the invoice currency (BT-110); the one in the accounting currency
    # (BT-111) has none
    breakdown_total = next((t for t in tax_totals if t.find("cac:TaxSubtotal", n) is not None), _NOTHING)
    means = root.findall("cac:PaymentMeans", n)
    account = next((m for m in means if _text(m, "cac:PayeeFinancialAccount/cbc:ID", n)), _NOTHING)
    totals = _node(root, "cac:LegalMonetaryTotal", n)
    preceding = _node(root, "cac:BillingReference/cac:InvoiceDocumentReference", n)
    type_code = _text(root, f"cbc:{kind}TypeCode", n)
    allowances, charges = _split([_ubl_adjustment(a, document_level=True)
                                  for a in root.findall("cac:AllowanceCharge", n)])
    due_date = _ubl_date(root, "cbc:DueDate") or next(
        (d for d in (_ubl_date(m, "cbc:PaymentDueDate") for m in means) if d), None)
    return ReadInvoice(
        syntax=SYNTAX_UBL,
        customization_id=_text(root, "cbc:CustomizationID", n),
        profile_id=_text(root, "cbc:ProfileID", n),
        type_code=type_code, is_credit_note=kind == "CreditNote" or type_code in CREDIT_NOTE_TYPES,
        number=_text(root, "cbc:ID", n),
        issue_date=_ubl_date(root, "cbc:IssueDate"),
        due_date=due_date,
        currency=currency, tax_currency=tax_currency, tax_total_accounting=tax_total_accounting,
        buyer_reference=_text(root, "cbc:BuyerReference", n),
        order_reference=_text(root, "cac:OrderReference/cbc:ID", n),
        contract_reference=_text(root, "cac:ContractDocumentReference/cbc:ID", n),
        preceding_invoice=_text(preceding, "cbc:ID", n),
        preceding_invoice_date=_ubl_date(preceding, "cbc:IssueDate"),
        notes=tuple(text for text in (_NOTE_SUBJECT.sub("", note, count=1) if _NOTE_SUBJECT.match(note) else note
                                      for note in _texts(root, "cbc:Note", n)) if text),
        payment_terms="\n".join(text for t in root.findall("cac:PaymentTerms", n) for text in _texts(t, "cbc:Note", n)),
        payment_means_code=next((code for m in means if (code := _text(m, "cbc:PaymentMeansCode", n))), ""),
        payment_reference=next((ref for m in means if (ref := _text(m, "cbc:PaymentID", n))), ""),
        iban=_text(account, "cac:PayeeFinancialAccount/cbc:ID", n),
        bic=_text(account, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", n),
        delivery_date=_ubl_date(root, "cac:Delivery/cbc:ActualDeliveryDate"),
        seller=_ubl_party(_node(root, "cac:AccountingSupplierParty/cac:Party", n)),
        buyer=_ubl_party(_node(root, "cac:AccountingCustomerParty/cac:Party", n)),
        lines=tuple(_ubl_line(line, quantity_tag) for line in root.findall(line_tag, n)),
        allowances=allowances, charges=charges,
        tax_breakdown=tuple(ReadTaxGroup(
            category=_text(subtotal, "cac:TaxCategory/cbc:ID", n),
            rate=_number(subtotal, "cac:TaxCategory/cbc:Percent", n),
            base=_number(subtotal, "cbc:TaxableAmount", n), tax=_number(subtotal, "cbc:TaxAmount", n),
            exemption_reason=_text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReason", n),
            exemption_code=_text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode", n))
            for subtotal in breakdown_total.findall("cac:TaxSubtotal", n)),
        totals=ReadTotals(
            line_total=_number(totals, "cbc:LineExtensionAmount", n),
            allowance_total=_number(totals, "cbc:AllowanceTotalAmount", n),
            charge_total=_number(totals, "cbc:ChargeTotalAmount", n),
            net_total=_number(totals, "cbc:TaxExclusiveAmount", n),
            tax_total=tax_total,
            gross_total=_number(totals, "cbc:TaxInclusiveAmount", n),
            prepaid=_number(totals, "cbc:PrepaidAmount", n),
            rounding=_number(totals, "cbc:PayableRoundingAmount", n),
            payable=_number(totals, "cbc:PayableAmount", n)),
        period_start=_ubl_date(root, "cac:InvoicePeriod/cbc:StartDate"),
        period_end=_ubl_date(root, "cac:InvoicePeriod/cbc:EndDate"),
        xml=data, source=source)


# --- PDF ---------------------------------------------------------------------------------------------------

def _embedded_xml(data: bytes) -> list[tuple[str, object]]:
    """The embedded files of the PDF whose name ends in .xml, the known e-invoice names first. pypdf reads a
    file's content only when asked (``.content``), so others are never decompressed."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:  # a PDF encrypted for printing rights only opens with the empty password
        reader.decrypt("")
    files = [(f.name or "", f) for f in reader.attachment_list]

    def rank(item) -> int:
        name = item[0].lower()
        return EMBEDDED_NAMES.index(name) if name in EMBEDDED_NAMES else len(EMBEDDED_NAMES)

    return sorted((item for item in files if item[0].lower().endswith(".xml")), key=rank)


def _from_pdf(data: bytes) -> ReadInvoice:
    try:
        candidates = _embedded_xml(data)
    except Exception:  # pypdf on a damaged or hostile PDF: whatever it raises, the PDF cannot be read
        raise _error("unreadable_pdf", media_type=PDF) from None
    for _name, embedded in candidates:
        size = getattr(embedded, "size", None)
        if isinstance(size, int) and size > MAX_BYTES:
            raise _error("too_large", limit=MAX_BYTES // (1024 * 1024))
        try:
            content = embedded.content
        except Exception:  # a broken stream inside an otherwise readable PDF
            raise _error("unreadable_pdf", media_type=PDF) from None
        try:
            return _from_xml(content, SOURCE_PDF)
        except ReadError as e:
            if e.text.template == MESSAGES["zugferd_1"].template:  # still a PDF invoice to enter by hand
                raise ReadError(e.code, e.text, attachable=True, media_type=PDF) from None
            if e.code in ("not_an_invoice", "empty"):  # another kind of XML attached to the PDF: look further
                continue
            raise  # a malformed or hostile e-invoice is reported as such
    raise ReadError("pdf_without_einvoice", MESSAGES["pdf_without_einvoice"], attachable=True, media_type=PDF)
