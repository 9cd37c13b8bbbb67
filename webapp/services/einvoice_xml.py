"""E-invoice XML of an issued document: CII (Factur-X EN 16931, XRechnung) and UBL 2.1 (XRechnung).

Built from the frozen snapshot and totals (never recomputed): ``einvoice_data`` maps the document to EN 16931's
business terms once; ``cii`` and ``ubl`` write them, element by element in the order the XML Schemas demand.
Empty terms are left out (an empty element is an error under both schemas).
"""
from __future__ import annotations

from datetime import date

from lxml import etree
from sqlalchemy import select

from webapp.domain.einvoice import FORMATS, SYNTAX
from webapp.extensions import db
from webapp.models import Contact, Document, DocumentEInvoice, Organization
from webapp.services.einvoice_data import AllowanceCharge, EInvoice, Party, amount_text, decimal_text, einvoice


def effective_format(doc: Document) -> str:
    """The e-invoice the customer gets for ``doc``: its own choice, or on a draft the customer's preference
    ("" none)."""
    if doc.e_invoice_format is not None:
        return doc.e_invoice_format
    contact = db.session.get(Contact, doc.contact_id) if doc.contact_id else None
    return contact.e_invoice_format if contact is not None else ""


def stored(doc: Document, fmt: str) -> DocumentEInvoice | None:
    return db.session.scalar(select(DocumentEInvoice).where(DocumentEInvoice.document_id == doc.id,
                                                            DocumentEInvoice.format == fmt))


def build(doc: Document, org: Organization, fmt: str) -> bytes:
    """The XML of an issued document in ``fmt`` (domain/einvoice.FORMATS), UTF-8 bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown e-invoice format {fmt!r}")
    data = einvoice(doc, org, fmt)
    root = cii(data) if SYNTAX[fmt] == "CII" else ubl(data)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- writing helpers ---------------------------------------------------------------------------------------

class _Writer:
    def __init__(self, namespaces: dict[str, str]):
        self.ns = namespaces

    def qname(self, tag: str) -> str:
        prefix, name = tag.split(":")
        return f"{{{self.ns[prefix]}}}{name}"

    def el(self, parent, tag: str, text=None, **attrs):
        """A child element; ``text`` None makes an element for children, "" (or an empty value) none at all."""
        node = etree.SubElement(parent, self.qname(tag), {k: v for k, v in attrs.items() if v})
        if text is not None:
            node.text = str(text)
        return node

    def opt(self, parent, tag: str, text, **attrs):
        """A child element only when ``text`` is not empty."""
        if text is None or text == "":
            return None
        return self.el(parent, tag, text, **attrs)


# --- CII (UN/CEFACT CrossIndustryInvoice D16B) -------------------------------------------------------------

CII_NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
          "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
          "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}


def _cii_date(w: _Writer, parent, tag: str, value: date, qualified: bool = False):
    holder = w.el(parent, tag)
    w.el(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _cii_party(w: _Writer, parent, tag: str, party: Party, with_contact: bool):
    node = w.el(parent, tag)
    w.el(node, "ram:Name", party.name)
    if party.trading_name or party.registration_id:
        legal = w.el(node, "ram:SpecifiedLegalOrganization")
        w.opt(legal, "ram:ID", party.registration_id)
        w.opt(legal, "ram:TradingBusinessName", party.trading_name)
    if with_contact and (party.contact_name or party.phone or party.contact_email):
        contact = w.el(node, "ram:DefinedTradeContact")
        w.opt(contact, "ram:PersonName", party.contact_name)
        if party.phone:
            w.el(w.el(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", party.phone)
        if party.contact_email:
            w.el(w.el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.contact_email)
    _cii_address(w, node, party)
    if party.email:
        w.el(w.el(node, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if party.vat_id:
        w.el(w.el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if party.tax_number:
        w.el(w.el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")
    return node


def _cii_address(w: _Writer, node, party: Party):
    a = party.address
    address = w.el(node, "ram:PostalTradeAddress")
    w.opt(address, "ram:PostcodeCode", a.postal_code)
    w.opt(address, "ram:LineOne", a.street)
    w.opt(address, "ram:LineTwo", a.street2)
    w.opt(address, "ram:CityName", a.city)
    w.el(address, "ram:CountryID", a.country)
    w.opt(address, "ram:CountrySubDivisionName", a.region)


def _cii_allowance(w: _Writer, parent, item: AllowanceCharge, currency: str, document_level: bool):
    node = w.el(parent, "ram:SpecifiedTradeAllowanceCharge")
    w.el(w.el(node, "ram:ChargeIndicator"), "udt:Indicator", "true" if item.charge else "false")
    if item.percent is not None:
        w.el(node, "ram:CalculationPercent", decimal_text(item.percent))
        w.el(node, "ram:BasisAmount", amount_text(item.base, currency))
    w.el(node, "ram:ActualAmount", amount_text(item.amount, currency))
    w.opt(node, "ram:ReasonCode", item.reason_code)
    w.opt(node, "ram:Reason", item.reason)
    if document_level:
        tax = w.el(node, "ram:CategoryTradeTax")
        w.el(tax, "ram:TypeCode", "VAT")
        w.el(tax, "ram:CategoryCode", item.category)
        if item.category != "O":
            w.el(tax, "ram:RateApplicablePercent", decimal_text(item.rate))


def cii(d: EInvoice):
    w = _Writer(CII_NS)
    root = etree.Element(w.qname("rsm:CrossIndustryInvoice"), nsmap=CII_NS)
    context = w.el(root, "rsm:ExchangedDocumentContext")
    if d.process_id:
        w.el(w.el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", d.process_id)
    w.el(w.el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", d.spec_id)
    header = w.el(root, "rsm:ExchangedDocument")
    w.el(header, "ram:ID", d.number)
    w.el(header, "ram:TypeCode", d.type_code)
    _cii_date(w, header, "ram:IssueDateTime", d.issue_date)
    for note in d.notes:
        w.el(w.el(header, "ram:IncludedNote"), "ram:Content", note)

    transaction = w.el(root, "rsm:SupplyChainTradeTransaction")
    for line in d.lines:
        item = w.el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        w.el(w.el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
        product = w.el(item, "ram:SpecifiedTradeProduct")
        w.el(product, "ram:Name", line.name)
        w.opt(product, "ram:Description", line.description)
        agreement = w.el(item, "ram:SpecifiedLineTradeAgreement")
        price = w.el(agreement, "ram:NetPriceProductTradePrice")
        w.el(price, "ram:ChargeAmount", decimal_text(line.price))
        if line.base_quantity != 1:
            w.el(price, "ram:BasisQuantity", decimal_text(line.base_quantity), unitCode=line.unit_code)
        w.el(w.el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", decimal_text(line.quantity),
             unitCode=line.unit_code)
        settlement = w.el(item, "ram:SpecifiedLineTradeSettlement")
        tax = w.el(settlement, "ram:ApplicableTradeTax")
        w.el(tax, "ram:TypeCode", "VAT")
        w.el(tax, "ram:CategoryCode", line.category)
        if line.category != "O":
            w.el(tax, "ram:RateApplicablePercent", decimal_text(line.rate))
        if line.period_start or line.period_end:
            period = w.el(settlement, "ram:BillingSpecifiedPeriod")
            if line.period_start:
                _cii_date(w, period, "ram:StartDateTime", line.period_start)
            if line.period_end:
                _cii_date(w, period, "ram:EndDateTime", line.period_end)
        for adjustment in (*line.allowances, *line.charges):
            _cii_allowance(w, settlement, adjustment, d.currency, document_level=False)
        w.el(w.el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
             amount_text(line.net_amount, d.currency))

    agreement = w.el(transaction, "ram:ApplicableHeaderTradeAgreement")
    w.opt(agreement, "ram:BuyerReference", d.buyer_reference)
    _cii_party(w, agreement, "ram:SellerTradeParty", d.seller, with_contact=True)
    _cii_party(w, agreement, "ram:BuyerTradeParty", d.buyer, with_contact=False)
    if d.sales_order:
        w.el(w.el(agreement, "ram:SellerOrderReferencedDocument"), "ram:IssuerAssignedID", d.sales_order)
    if d.purchase_order:
        w.el(w.el(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", d.purchase_order)
    # the preceding invoices beyond the first (CII D16B holds one InvoiceReferencedDocument): supporting documents
    # (BG-24: BT-122, type 916, BT-123)
    for (number, _issued_on), name in zip(d.more_preceding, d.more_preceding_names):
        document = w.el(agreement, "ram:AdditionalReferencedDocument")
        w.el(document, "ram:IssuerAssignedID", number)
        w.el(document, "ram:TypeCode", "916")
        w.opt(document, "ram:Name", name)

    delivery = w.el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if d.ship_to is not None:
        ship = w.el(delivery, "ram:ShipToTradeParty")
        w.el(ship, "ram:Name", d.ship_to.name)
        _cii_address(w, ship, d.ship_to)
    if d.delivery_date:
        _cii_date(w, w.el(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", d.delivery_date)

    settlement = w.el(transaction, "ram:ApplicableHeaderTradeSettlement")
    w.opt(settlement, "ram:PaymentReference", d.remittance)
    w.opt(settlement, "ram:TaxCurrencyCode", d.tax_currency)  # BT-6
    w.el(settlement, "ram:InvoiceCurrencyCode", d.currency)
    means = w.el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    w.el(means, "ram:TypeCode", d.payment_means)
    if d.iban:
        account = w.el(means, "ram:PayeePartyCreditorFinancialAccount")
        w.el(account, "ram:IBANID", d.iban)
        w.opt(account, "ram:AccountName", d.account_name)
        if d.bic:
            w.el(w.el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", d.bic)
    for group in d.tax_groups:
        tax = w.el(settlement, "ram:ApplicableTradeTax")
        w.el(tax, "ram:CalculatedAmount", amount_text(group.tax, d.currency))
        w.el(tax, "ram:TypeCode", "VAT")
        w.opt(tax, "ram:ExemptionReason", group.reason)
        w.el(tax, "ram:BasisAmount", amount_text(group.base, d.currency))
        w.el(tax, "ram:CategoryCode", group.category)
        w.opt(tax, "ram:ExemptionReasonCode", group.reason_code)
        # the breakdown states a rate for every category, 0 for O (XRechnung BR-DE-14; EN 16931 forbids one on O
        # lines and allowances only)
        w.el(tax, "ram:RateApplicablePercent", decimal_text(group.rate))
    if d.period_start or d.period_end:
        period = w.el(settlement, "ram:BillingSpecifiedPeriod")
        if d.period_start:
            _cii_date(w, period, "ram:StartDateTime", d.period_start)
        if d.period_end:
            _cii_date(w, period, "ram:EndDateTime", d.period_end)
    for adjustment in (*d.allowances, *d.charges):
        _cii_allowance(w, settlement, adjustment, d.currency, document_level=True)
    if d.payment_terms or d.due_date:
        terms = w.el(settlement, "ram:SpecifiedTradePaymentTerms")
        w.opt(terms, "ram:Description", d.payment_terms)
        if d.due_date:
            _cii_date(w, terms, "ram:DueDateDateTime", d.due_date)
    totals = w.el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    money = lambda value: amount_text(value, d.currency)  # noqa: E731
    w.el(totals, "ram:LineTotalAmount", money(d.line_total))
    if d.charges:
        w.el(totals, "ram:ChargeTotalAmount", money(d.charge_total))
    if d.allowances:
        w.el(totals, "ram:AllowanceTotalAmount", money(d.allowance_total))
    w.el(totals, "ram:TaxBasisTotalAmount", money(d.net_total))
    w.el(totals, "ram:TaxTotalAmount", money(d.tax_total), currencyID=d.currency)
    if d.tax_currency:  # BT-111
        w.el(totals, "ram:TaxTotalAmount", amount_text(d.tax_total_accounting, d.tax_currency),
             currencyID=d.tax_currency)
    w.el(totals, "ram:GrandTotalAmount", money(d.gross_total))
    if d.prepaid:
        w.el(totals, "ram:TotalPrepaidAmount", money(d.prepaid))
    w.el(totals, "ram:DuePayableAmount", money(d.due_payable))
    for number, issued_on in d.preceding[:1]:  # BG-3: the first preceding invoice (the others: BG-24, above)
        reference = w.el(settlement, "ram:InvoiceReferencedDocument")
        w.el(reference, "ram:IssuerAssignedID", number)
        if issued_on:
            _cii_date(w, reference, "ram:FormattedIssueDateTime", issued_on, qualified=True)
    return root


# --- UBL 2.1 (Invoice / CreditNote) ------------------------------------------------------------------------

UBL_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
UBL_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_ROOT = {"Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
            "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"}


def _ubl_address(w: _Writer, parent, tag: str, party: Party):
    a = party.address
    address = w.el(parent, tag)
    w.opt(address, "cbc:StreetName", a.street)
    w.opt(address, "cbc:AdditionalStreetName", a.street2)
    w.opt(address, "cbc:CityName", a.city)
    w.opt(address, "cbc:PostalZone", a.postal_code)
    w.opt(address, "cbc:CountrySubentity", a.region)
    w.el(w.el(address, "cac:Country"), "cbc:IdentificationCode", a.country)


def _ubl_party(w: _Writer, parent, tag: str, party: Party, with_contact: bool):
    node = w.el(w.el(parent, tag), "cac:Party")
    w.opt(node, "cbc:EndpointID", party.email, schemeID="EM")
    if party.trading_name:
        w.el(w.el(node, "cac:PartyName"), "cbc:Name", party.trading_name)
    _ubl_address(w, node, "cac:PostalAddress", party)
    if party.vat_id:
        scheme = w.el(node, "cac:PartyTaxScheme")
        w.el(scheme, "cbc:CompanyID", party.vat_id)
        w.el(w.el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if party.tax_number:
        scheme = w.el(node, "cac:PartyTaxScheme")
        w.el(scheme, "cbc:CompanyID", party.tax_number)
        w.el(w.el(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
    legal = w.el(node, "cac:PartyLegalEntity")
    w.el(legal, "cbc:RegistrationName", party.name)
    w.opt(legal, "cbc:CompanyID", party.registration_id)
    if with_contact and (party.contact_name or party.phone or party.contact_email):
        contact = w.el(node, "cac:Contact")
        w.opt(contact, "cbc:Name", party.contact_name)
        w.opt(contact, "cbc:Telephone", party.phone)
        w.opt(contact, "cbc:ElectronicMail", party.contact_email)


def _ubl_tax_category(w: _Writer, parent, tag: str, category: str, rate, reason_code: str = "", reason: str = "",
                      breakdown: bool = False):
    node = w.el(parent, tag)
    w.el(node, "cbc:ID", category)
    if category != "O" or breakdown:  # as in the CII breakdown
        w.el(node, "cbc:Percent", decimal_text(rate))
    w.opt(node, "cbc:TaxExemptionReasonCode", reason_code)
    w.opt(node, "cbc:TaxExemptionReason", reason)
    w.el(w.el(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def _ubl_allowance(w: _Writer, parent, item: AllowanceCharge, currency: str, document_level: bool):
    node = w.el(parent, "cac:AllowanceCharge")
    w.el(node, "cbc:ChargeIndicator", "true" if item.charge else "false")
    w.opt(node, "cbc:AllowanceChargeReasonCode", item.reason_code)
    w.opt(node, "cbc:AllowanceChargeReason", item.reason)
    if item.percent is not None:
        w.el(node, "cbc:MultiplierFactorNumeric", decimal_text(item.percent))
    w.el(node, "cbc:Amount", amount_text(item.amount, currency), currencyID=currency)
    if item.percent is not None:
        w.el(node, "cbc:BaseAmount", amount_text(item.base, currency), currencyID=currency)
    if document_level:
        _ubl_tax_category(w, node, "cac:TaxCategory", item.category, item.rate)


def ubl(d: EInvoice):
    kind = "CreditNote" if d.is_credit_note else "Invoice"
    namespaces = {None: UBL_ROOT[kind], "cac": UBL_CAC, "cbc": UBL_CBC}
    w = _Writer({"cac": UBL_CAC, "cbc": UBL_CBC, "root": UBL_ROOT[kind]})
    root = etree.Element(w.qname(f"root:{kind}"), nsmap=namespaces)
    money = lambda value: amount_text(value, d.currency)  # noqa: E731
    w.el(root, "cbc:CustomizationID", d.spec_id)
    w.opt(root, "cbc:ProfileID", d.process_id)
    w.el(root, "cbc:ID", d.number)
    w.el(root, "cbc:IssueDate", d.issue_date.isoformat())
    if kind == "Invoice":
        w.opt(root, "cbc:DueDate", d.due_date.isoformat() if d.due_date else "")
    w.el(root, f"cbc:{kind}TypeCode", d.type_code)
    for note in d.notes:
        w.el(root, "cbc:Note", note)
    w.el(root, "cbc:DocumentCurrencyCode", d.currency)
    w.opt(root, "cbc:TaxCurrencyCode", d.tax_currency)  # BT-6
    w.opt(root, "cbc:BuyerReference", d.buyer_reference)
    if d.period_start or d.period_end:
        period = w.el(root, "cac:InvoicePeriod")
        w.opt(period, "cbc:StartDate", d.period_start.isoformat() if d.period_start else "")
        w.opt(period, "cbc:EndDate", d.period_end.isoformat() if d.period_end else "")
    if d.purchase_order or d.sales_order:
        order = w.el(root, "cac:OrderReference")
        w.el(order, "cbc:ID", d.purchase_order or "NA")  # a sales order alone still needs an order ID
        w.opt(order, "cbc:SalesOrderID", d.sales_order)
    for number, issued_on in d.preceding:  # BG-3, one cac:BillingReference each
        reference = w.el(w.el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        w.el(reference, "cbc:ID", number)
        w.opt(reference, "cbc:IssueDate", issued_on.isoformat() if issued_on else "")
    _ubl_party(w, root, "cac:AccountingSupplierParty", d.seller, with_contact=True)
    _ubl_party(w, root, "cac:AccountingCustomerParty", d.buyer, with_contact=False)
    if d.delivery_date or d.ship_to is not None:
        delivery = w.el(root, "cac:Delivery")
        w.opt(delivery, "cbc:ActualDeliveryDate", d.delivery_date.isoformat() if d.delivery_date else "")
        if d.ship_to is not None:
            _ubl_address(w, w.el(delivery, "cac:DeliveryLocation"), "cac:Address", d.ship_to)
            w.el(w.el(w.el(delivery, "cac:DeliveryParty"), "cac:PartyName"), "cbc:Name", d.ship_to.name)
    means = w.el(root, "cac:PaymentMeans")
    w.el(means, "cbc:PaymentMeansCode", d.payment_means)
    if kind == "CreditNote" and d.due_date:
        w.el(means, "cbc:PaymentDueDate", d.due_date.isoformat())
    w.opt(means, "cbc:PaymentID", d.remittance)
    if d.iban:
        account = w.el(means, "cac:PayeeFinancialAccount")
        w.el(account, "cbc:ID", d.iban)
        w.opt(account, "cbc:Name", d.account_name)
        if d.bic:
            w.el(w.el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", d.bic)
    if d.payment_terms:
        w.el(w.el(root, "cac:PaymentTerms"), "cbc:Note", d.payment_terms)
    for adjustment in (*d.allowances, *d.charges):
        _ubl_allowance(w, root, adjustment, d.currency, document_level=True)
    tax_total = w.el(root, "cac:TaxTotal")
    w.el(tax_total, "cbc:TaxAmount", money(d.tax_total), currencyID=d.currency)
    for group in d.tax_groups:
        subtotal = w.el(tax_total, "cac:TaxSubtotal")
        w.el(subtotal, "cbc:TaxableAmount", money(group.base), currencyID=d.currency)
        w.el(subtotal, "cbc:TaxAmount", money(group.tax), currencyID=d.currency)
        _ubl_tax_category(w, subtotal, "cac:TaxCategory", group.category, group.rate, group.reason_code, group.reason,
                          breakdown=True)
    if d.tax_currency:  # BT-111: a second total, in the seller's currency, without a breakdown
        w.el(w.el(root, "cac:TaxTotal"), "cbc:TaxAmount", amount_text(d.tax_total_accounting, d.tax_currency),
             currencyID=d.tax_currency)
    totals = w.el(root, "cac:LegalMonetaryTotal")
    w.el(totals, "cbc:LineExtensionAmount", money(d.line_total), currencyID=d.currency)
    w.el(totals, "cbc:TaxExclusiveAmount", money(d.net_total), currencyID=d.currency)
    w.el(totals, "cbc:TaxInclusiveAmount", money(d.gross_total), currencyID=d.currency)
    if d.allowances:
        w.el(totals, "cbc:AllowanceTotalAmount", money(d.allowance_total), currencyID=d.currency)
    if d.charges:
        w.el(totals, "cbc:ChargeTotalAmount", money(d.charge_total), currencyID=d.currency)
    if d.prepaid:
        w.el(totals, "cbc:PrepaidAmount", money(d.prepaid), currencyID=d.currency)
    w.el(totals, "cbc:PayableAmount", money(d.due_payable), currencyID=d.currency)
    line_tag, quantity_tag = (("cac:CreditNoteLine", "cbc:CreditedQuantity") if kind == "CreditNote"
                              else ("cac:InvoiceLine", "cbc:InvoicedQuantity"))
    for line in d.lines:
        node = w.el(root, line_tag)
        w.el(node, "cbc:ID", line.id)
        w.el(node, quantity_tag, decimal_text(line.quantity), unitCode=line.unit_code)
        w.el(node, "cbc:LineExtensionAmount", money(line.net_amount), currencyID=d.currency)
        if line.period_start or line.period_end:
            period = w.el(node, "cac:InvoicePeriod")
            w.opt(period, "cbc:StartDate", line.period_start.isoformat() if line.period_start else "")
            w.opt(period, "cbc:EndDate", line.period_end.isoformat() if line.period_end else "")
        for adjustment in (*line.allowances, *line.charges):
            _ubl_allowance(w, node, adjustment, d.currency, document_level=False)
        item = w.el(node, "cac:Item")
        w.opt(item, "cbc:Description", line.description)
        w.el(item, "cbc:Name", line.name)
        _ubl_tax_category(w, item, "cac:ClassifiedTaxCategory", line.category, line.rate)
        price = w.el(node, "cac:Price")
        w.el(price, "cbc:PriceAmount", decimal_text(line.price), currencyID=d.currency)
        if line.base_quantity != 1:
            w.el(price, "cbc:BaseQuantity", decimal_text(line.base_quantity), unitCode=line.unit_code)
    return root



def document_xml(doc: Document, org: Organization, fmt: str) -> bytes:
    """What a download serves: the XML stored at issue, byte for byte; for a document issued before e-invoices
    were stored (or in a format not stored at issue), built now from its frozen figures."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown e-invoice format {fmt!r}")
    row = stored(doc, fmt)
    return row.xml if row is not None else build(doc, org, fmt)


FILE_SUFFIX = {"facturx-cii": "factur-x", "xrechnung-ubl": "xrechnung-ubl", "xrechnung-cii": "xrechnung-cii"}


def filename(doc: Document, fmt: str) -> str:
    return f"{doc.number}-{FILE_SUFFIX[fmt]}.xml"
