"""Documents: one /invoices resource for invoices, credit notes and quotes (``kind``), their items, and the
actions of seeds 000-004 (finalize, attach_payment ...). Amounts are integers in the currency's minor unit;
unit prices may be given finer as ``unit_price`` (a decimal string, up to 6 decimals). Every write goes
through the web's use cases (``usecases.drafts``, ``issuing``, ``payments`` ...)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from flask import g, jsonify, request, url_for
from flask_babel import gettext
from pydantic import AliasChoices, Field, model_validator
from spectree import Response as Answers
from sqlalchemy import func, select

from webapp.api import problems
from webapp.api.base import actor, etag, idempotent, wanted_version
from webapp.api.messages import EmailDetails, field_map as message_fields, message_of
from webapp.api.schemas import Day, Flag, Id, Input, ListQuery, MinorAmount, Output, Problem, Query, decimal_input, decimal_text, text
from webapp.api.spec import bp, spec
from webapp.domain import status as status_table
from webapp.domain.einvoice import FORMATS, PREFERENCES
from webapp.domain.money import from_minor, precision, to_minor
from webapp.domain.tax import CATEGORIES, NOTE_FORBIDDEN, NOTE_REQUIRED, TAX_CATEGORIES
from webapp.domain.units import UNITS, unece_code
from webapp.extensions import db
from webapp.models import AuditEvent, Document, DocumentDeduction, DocumentFieldValue, DocumentLine, Organization, Payment, User
from webapp.api.customers import FIELD_MAP as CUSTOMER_FIELDS, CustomerIn, _custom_json as custom_json
from webapp.api.customers import _values as customer_values, custom_filters
from webapp.queries.contacts import filter_clause
from webapp.domain.vat_rules import EXEMPTION_TYPES
from webapp.services import attributes, automatic_tax
from webapp.services import einvoice_xml
from webapp.services import deductions
from webapp.services import pdf as pdf_service
from webapp.services.drafts import CUSTOMERS_CHOICE
from webapp.services.webhooks import payment_status
from webapp.domain.timezones import zone
from webapp.queries.documents import PAYMENT_STATUSES, payment_status_filter
from webapp.usecases import drafts as draft_usecases
from webapp.usecases import einvoices as einvoice_usecases
from webapp.usecases import issuing as issuing_usecases
from webapp.usecases import load
from webapp.usecases import payments as payment_usecases
from webapp.web.files import download

TAGS = ["Invoices"]
ITEM_TAGS = ["Invoice items"]
ACTION_TAGS = ["Invoice actions"]
ERRORS = {"HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem, "HTTP_409": Problem, "HTTP_422": Problem}
UNIT_BY_CODE = {code: key for key, (_, code) in UNITS.items()}
CustomAttributes = dict[str, str | int | bool | list[str] | None]
KINDS = ("invoice", "credit_note", "quote")

# an item's fields in the use cases -> the API's
LINE_FIELD_MAP = {"period_start": "service_period.start_date", "period_end": "service_period.end_date"}
# the use cases' fields -> the API's (problem pointers)
FIELD_MAP = {"chosen_issue_date": "issue_date", "service_date": "billing_period.start_date",
             "service_period_end": "billing_period.end_date", "payment_terms_days": "payment_terms.days",
             "customer_reference": "customer_reference", "prices_include_tax": "price_tax_inclusive",
             "discount_percent": "discount.value", "contact_id": "customer_id",
             "order_reference": "order_id", "buyer_reference": "buyer_reference",
             "e_invoice_format": "e_invoice_format", "is_e_invoice": "is_e_invoice", "exchange_rate": "exchange_rate",
             "advance": "is_advance", "deducted_advance_ids": "deducted_advance_ids",
             "automatic_tax": "automatic_tax_calculation.enabled", "supplier_number": "supplier_number"}
IS_ADVANCE = ("An advance (down-payment) invoice: EN 16931 type code 386, titled so; a final invoice deducts it "
              "(deducted_advance_ids)")
DEDUCTED_ADVANCE_IDS = ("The customer's issued advance invoices (is_advance) in this currency that this invoice "
                        "deducts: their totals with VAT are prepaid (amount_prepaid, BT-113), checked again at issue "
                        "(the sum at most the total; none deducted by another issued invoice)")


# --- requests -------------------------------------------------------------------------------------

class PaymentTerms(Input):
    type: Literal["NET"] = "NET"
    days: int = Field(ge=0, le=365, description="Days from the invoice date to the due date")


class BillingPeriod(Input):
    start_date: Day
    end_date: Day | None = None


class Discount(Input):
    """A discount on the whole invoice (seed 004): a percentage of every line, or an amount (minor units; the
    invoice's lines must then share one VAT rate)."""
    type: Literal["percentage", "amount"] = "percentage"
    value: decimal_input(4, "The percentage (0-100), or the amount in minor units", 10**13)


class TaxFields(Input):
    tax_rate_id: Id | None = Field(None, description="One of the organization's tax rates (GET /tax-rates)")
    tax_rate: decimal_input(4, "The VAT percentage, e.g. 19 (seed 002): the organization's rate of it") | None = None
    tax_category: Literal[*TAX_CATEGORIES] | None = Field(  # type: ignore[valid-type]
        None, description="EN 16931 VAT category (S standard, Z zero, E exempt, AE reverse charge, K intra-EU, "
                          "G export, O outside the scope, L Canary Islands IGIC, M Ceuta and Melilla IPSI, B "
                          "transferred VAT / split payment); with tax_rate. Default S above 0 %.")


class ServicePeriod(Input):
    """An item's own service period (EN 16931 BG-26): a start, an end, or both."""
    start_date: Day | None = None
    end_date: Day | None = None

    @model_validator(mode="after")
    def _one_date(self):
        if self.start_date is None and self.end_date is None:
            raise ValueError("give start_date, end_date or both")
        return self


class ItemAdjustmentIn(Input):
    """An allowance (EN 16931 BG-27) or charge (BG-28) of one item, in its extratax_amount. A reason, a
    reason_code or both."""
    amount: MinorAmount = Field(description="Minor units, above 0; net, or gross with price_tax_inclusive")
    reason: text(200, "BT-139 / BT-144", examples=["Loyalty discount"]) = ""
    reason_code: text(3, "UNTDID 5189 for allowances (BT-140, e.g. 95 discount), UNTDID 7161 for charges "
                         "(BT-145, e.g. FC freight, ABK miscellaneous)", examples=["95"]) = ""


TAX_CODE = ("What the item is for VAT (docs/vat-rules.md): P00000000 goods, P10000000 food, P20000000 books, "
            "S10000000 services, S30000000 accommodation, D10000000 electronically supplied services (SaaS), ...; "
            "read by automatic_tax_calculation. Default: the product's, else the organization's")


class ProductTaxRef(Input):
    """Seed 001's ``product: {tax_code}`` on an item."""
    tax_code: text(9, TAX_CODE, examples=["D10000000"])


class AutomaticTax(Input):
    enabled: Flag = Field(description="true: the VAT of each item follows from the organization's and the "
                                      "customer's registrations and the item's tax_code (docs/vat-rules.md); an "
                                      "item with a tax_rate of its own keeps it (set by hand)")


class ItemIn(TaxFields):
    """An item (a line). Give its price one way: ``unit_extratax_amount`` (net) or ``unit_tax_included_amount``
    (gross) in minor units, or ``unit_price`` in major units with up to 6 decimals (net or gross as the
    invoice's ``price_tax_inclusive``)."""
    description: text(5000, examples=["Premium Subscription - Monthly"]) | None = Field(
        None, validation_alias=AliasChoices("description", "title"))
    expense_category_id: Id | None = Field(None, description="flow purchases: the line's expense category (one of "
                                                            "the organization's, not archived); null none")
    quantity: decimal_input(4, "How many units (not 0; negative for a deduction)") = Decimal(1)
    unit_extratax_amount: MinorAmount | None = Field(None, validation_alias=AliasChoices(
        "unit_extratax_amount", "unit_amount"))
    unit_tax_included_amount: MinorAmount | None = None
    unit_price: decimal_input(6, "The price of one unit in major units, e.g. 0.00125") | None = None
    unit: Literal[*UNITS] | None = Field(None, description="The unit's key")  # type: ignore[valid-type]
    unit_code: Literal[*UNIT_BY_CODE] | None = Field(  # type: ignore[valid-type]
        None, description="Or the unit as its UN/ECE Recommendation 20 code (C62, HUR, KGM ...)")
    discount_percent: decimal_input(4, "A discount on this item, 0-100") | None = None
    product_id: Id | None = Field(None, description="Fill description, unit, price and tax from this product")
    tax_code: text(9, TAX_CODE, examples=["D10000000"]) | None = None
    product: ProductTaxRef | None = Field(None, description="Seed 001: the item's product as its tax_code")
    base_quantity: decimal_input(4, "The unit price is per this many units (EN 16931 BT-149), e.g. 100 for a "
                                    "price per 100 kg; above 0, default 1") | None = None
    service_period: ServicePeriod | None = Field(None, description="This item's own service period (BG-26)")
    allowances: list[ItemAdjustmentIn] = Field(default_factory=list, max_length=20,
                                               description="Taken off this item's extratax_amount (BG-27)")
    charges: list[ItemAdjustmentIn] = Field(default_factory=list, max_length=20,
                                            description="Added to this item's extratax_amount (BG-28)")

    @model_validator(mode="after")
    def _one_price(self):
        given = [n for n in ("unit_extratax_amount", "unit_tax_included_amount", "unit_price")
                 if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError("give the price once: unit_extratax_amount, unit_tax_included_amount or unit_price")
        if self.tax_code is not None and self.product is not None and self.tax_code != self.product.tax_code:
            raise ValueError("give the tax code once: tax_code or product.tax_code")
        return self


class AdjustmentIn(TaxFields):
    amount: MinorAmount = Field(description="Net, or gross with price_tax_inclusive; minor units, above 0")
    reason: text(200, examples=["Shipping"]) = ""
    reason_code: text(3, "UNTDID 5189 for allowances (BT-98, e.g. 95), UNTDID 7161 for charges (BT-105, e.g. "
                         "FC); a reason, a reason_code or both", examples=["FC"]) = ""


class PaymentDetails(Input):
    amount: MinorAmount | None = Field(None, description="Minor units; default: the whole amount due")
    paid_on: Day | None = Field(None, description="Default: today")
    method: Literal[*("bank_transfer", "card", "cash", "cheque", "paypal", "other")] = "bank_transfer"  # type: ignore
    reference: text(100, examples=["STRIPE_ch_abc123"]) = ""


EInvoiceFormat = Literal[*PREFERENCES]  # type: ignore[valid-type]
E_INVOICE_FORMAT = ("The e-invoice the customer gets: facturx-cii, xrechnung-ubl, xrechnung-cii, or empty for none; "
                    "null (default): the customer's e_invoice_format, decided at issue")
IS_E_INVOICE = ("Seed 004's switch: true without e_invoice_format is the customer's format (xrechnung-ubl when it "
                "has none), false is none")
EXCHANGE_RATE = ("For an invoice in another currency than the organization's: 1 unit of the invoice's currency = this "
                 "many units of the organization's (e.g. 1.1712 for 1 GBP = 1.1712 EUR), above 0, up to 6 decimals. "
                 "The invoice states its VAT total in the organization's currency at this rate (EN 16931 BT-6/BT-111); "
                 "a credit note takes its invoice's rate. Not for an invoice in the organization's own currency")


class InvoiceIn(Input):
    """A new document. ``status``: ``draft`` (default), ``issued`` (finalized at once) or ``paid`` (finalized and
    paid with ``payment_details``), as seed 004."""
    kind: Literal["invoice", "quote"] = "invoice"
    is_quote: Flag | None = Field(None, description="true: a quote (seed 002); the same as kind=quote")
    flow: Literal["sales", "purchases"] = Field("sales", description="sales: you invoice a customer; purchases "
                                                                    "(seed 001): a supplier's invoice you record "
                                                                    "(supplier_id), booked by finalize")
    customer_id: Id | None = Field(None, description="The customer; or recipient_identifier (exactly one of them)")
    supplier_id: Id | None = Field(None, description="flow purchases: the supplier (a contact; it becomes a "
                                                     "supplier); the customer is your organization")
    supplier_number: text(60, "flow purchases: the supplier's own number of its invoice, unique per supplier",
                          examples=["RE-2026-0815"]) | None = None
    self_billed: bool = Field(False, description="flow purchases, kind invoice: you make the invoice out for the "
                                                 "supplier (self-billing, seed 001's marketplace payouts); finalize "
                                                 "numbers it in your self-billing series and makes its PDF and "
                                                 "Factur-X of type code 389")
    recipient_identifier: text(100, "Instead of customer_id (seed 004): your own id of the customer; the customer "
                                    "with this external_id, else a new one made from recipient",
                               examples=["shop-customer-4711"]) | None = None
    recipient: CustomerIn | None = Field(None, description="With recipient_identifier: the customer to create "
                                                           "(as POST /customers) if none has that identifier yet; "
                                                           "a customer found is not changed")
    custom_attributes: CustomAttributes | None = Field(None, description="The invoice's custom fields (Settings: "
                                                                         "fields for invoices) by key")
    currency: text(3, "ISO 4217; default: the customer's, else the organization's; fixed after creation",
                   examples=["EUR"]) | None = None
    price_tax_inclusive: Flag | None = Field(None, description="Prices include VAT (seed 003); default: as the "
                                                               "items' amounts say, else the organization's")
    calculate_from_net: Flag | None = Field(None, description="Seed 002: true = net prices")
    automatic_tax_calculation: AutomaticTax | None = Field(None, description="Seed 000; default: the "
                                                                             "organization's setting")
    payment_terms: PaymentTerms | None = None
    notes: text(5000, "Shown on the document") | None = Field(None, validation_alias=AliasChoices(
        "notes", "memo", "invoice_note"))
    customer_reference: text(100, "The customer's reference or purchase order number") | None = Field(
        None, validation_alias=AliasChoices("customer_reference", "customer_purchase_order_id"))
    order_id: text(100, "The order this invoice bills in your shop or ERP (seed 003): one live invoice per "
                        "order, so an order is never invoiced twice", examples=["ORDER-1001"]) | None = None
    buyer_reference: text(100, "EN 16931 BT-10, e.g. the Leitweg-ID of a German public buyer; empty: the "
                               "customer's, at issue", examples=["04011000-12345-03"]) | None = None
    e_invoice_format: EInvoiceFormat | None = Field(None, description=E_INVOICE_FORMAT)
    is_e_invoice: Flag | None = Field(None, description=IS_E_INVOICE)
    exchange_rate: decimal_input(6, EXCHANGE_RATE, 10**6) | None = None
    is_advance: Flag | None = Field(None, description=IS_ADVANCE)
    deducted_advance_ids: list[Id] | None = Field(None, max_length=50, description=DEDUCTED_ADVANCE_IDS)
    billing_period: BillingPeriod | None = None
    issue_date: Day | None = Field(None, description="Issue on this day instead of the day of finalizing")
    valid_until: Day | None = Field(None, description="Quotes: the offer's last day")
    discount: Discount | None = None
    items: list[ItemIn] = Field(default_factory=list, max_length=100)
    allowances: list[AdjustmentIn] = Field(default_factory=list, max_length=50)
    charges: list[AdjustmentIn] = Field(default_factory=list, max_length=50)
    status: Literal["draft", "issued", "paid"] = "draft"
    number: text(40, "An invoice issued outside Tallybook, imported with its own number (seed 002): unique in the "
                     "organization, marked imported, never taken from the series; with status issued or paid and "
                     "its issue_date", examples=["2023-0815"]) | None = None
    payment_details: PaymentDetails | None = None
    email_details: EmailDetails | None = Field(None, description="With status issued or paid: e-mail the "
                                                                 "invoice at once, in the same request (seed 004)")


class InvoicePatch(Input):
    """A change of a draft: only the fields given change. Send the version (If-Match or ``version``)."""
    version: int | None = Field(None, ge=1)
    supplier_number: text(60, "flow purchases: the supplier's number; an empty string removes it") | None = None
    customer_id: Id | None = None
    custom_attributes: CustomAttributes | None = Field(None, description="Only the keys given change")
    price_tax_inclusive: Flag | None = None
    payment_terms: PaymentTerms | None = None
    notes: text(5000) | None = None
    customer_reference: text(100) | None = None
    buyer_reference: text(100, "BT-10; an empty string: the customer's, at issue") | None = None
    e_invoice_format: EInvoiceFormat | None = Field(None, description=E_INVOICE_FORMAT.replace(
        "null (default)", "null"))
    is_e_invoice: Flag | None = Field(None, description=IS_E_INVOICE)
    order_id: text(100, "The shop's order; an empty string removes it") | None = None
    exchange_rate: decimal_input(6, EXCHANGE_RATE + "; null removes it", 10**6) | None = None
    is_advance: Flag | None = Field(None, description=IS_ADVANCE)
    deducted_advance_ids: list[Id] | None = Field(None, max_length=50, description=DEDUCTED_ADVANCE_IDS +
                                                  "; replaces the choice, [] deducts none")
    billing_period: BillingPeriod | None = None
    issue_date: Day | None = None
    valid_until: Day | None = None
    discount_percent: decimal_input(4, "0-100; 0 removes it") | None = None
    automatic_tax_calculation: AutomaticTax | None = Field(None, description="On: the rules decide every item "
                                                                             "(rates set before are let go)")


class ItemPatch(ItemIn):
    version: int | None = Field(None, ge=1)
    quantity: decimal_input(4, "How many units") | None = None  # type: ignore[assignment]


class Versioned(Input):
    version: int | None = Field(None, ge=1, description="The draft's version (or If-Match)")


class TransactionData(Input):
    amount: MinorAmount | None = Field(None, description="Minor units, above 0; default: what is due")
    currency: text(3) | None = Field(None, description="Must be the invoice's")
    transaction_type: Literal["payment", "refund"] = "payment"
    reference: text(100) = ""
    paid_on: Day | None = Field(None, validation_alias=AliasChoices("date", "paid_on"),
                                description="When the money moved (or `date`); default: today")
    method: Literal[*("bank_transfer", "card", "cash", "cheque", "paypal", "other")] = "bank_transfer"  # type: ignore
    note: text(2000) = ""


class AttachPayment(Input):
    """Seed 000: an empty body records what is due as paid today."""
    transaction_data: TransactionData | None = None


class InvoiceListQuery(ListQuery):
    model_config = ListQuery.model_config | {"extra": "allow"}  # filter[custom_attributes][KEY][...]: checked below

    kind: Literal[*KINDS] | None = Field(None, alias="filter[kind]")  # type: ignore[valid-type]
    flow: Literal["sales", "purchases"] | None = Field(None, alias="filter[flow]", description="Sales or purchases")
    status: Literal[*status_table.STATUSES] | None = Field(None, alias="filter[status]")  # type: ignore
    customer_id: Id | None = Field(None, alias="filter[customer_id]")
    order_id: str | None = Field(None, alias="filter[order_id]", max_length=100, description="The shop's order")
    date_from: Day | None = Field(None, alias="filter[date_from]", description="Issued on or after")
    date_to: Day | None = Field(None, alias="filter[date_to]", description="Issued on or before")
    search: str | None = Field(None, alias="filter[search]", max_length=100, description="Number or customer")
    payment_status: Literal[*PAYMENT_STATUSES] | None = Field(  # type: ignore[valid-type]
        None, alias="filter[payment_status]", description="Invoices in this payment status (as `payment_status`)")


# --- answers --------------------------------------------------------------------------------------

class Exemption(Output):
    type: str
    legal_notice: str


class ItemTax(Output):
    tax_rate_id: str | None
    percentage: str
    category: str
    exemption: Exemption | None
    jurisdiction: str | None = Field(description="With automatic tax: the country whose VAT applies")
    tax_code: str | None = Field(description="Items: the tax code the rules read (its own, its product's or the "
                                             "organization's default)")
    rule: str | None = Field(description="With automatic tax: the rule applied (docs/vat-rules.md), e.g. "
                                         "reverse_charge, distance_destination, hand_set")
    explanation: str | None = Field(description="With automatic tax: the decision in one line")
    warning: str | None = Field(description="With automatic tax: what the seller must do, e.g. register for OSS")


class ItemAdjustmentOut(Output):
    id: Id
    amount: int = Field(description="As entered, minor units")
    reason: str
    reason_code: str


class ItemOut(Output):
    id: Id
    position: int
    description: str
    quantity: str
    unit: str
    unit_code: str
    unit_price: str = Field(description="As entered: net, or gross with price_tax_inclusive")
    unit_extratax_amount: int | None = Field(description="Net unit price in minor units, if it is whole")
    discount_percent: str | None
    product_id: str | None
    base_quantity: str = Field(description="The unit price is per this many units (BT-149)")
    service_period: dict | None = Field(description="{start_date, end_date} (BG-26), or null")
    allowances: list[ItemAdjustmentOut]
    charges: list[ItemAdjustmentOut]
    extratax_amount: int = Field(description="EN 16931 BT-131: quantity x unit price / base_quantity - "
                                             "allowances + charges, rounded")
    tax_amount: int = Field(description="This item's share of its VAT group's tax: the items' and "
                                        "adjustments' shares add up to the group's tax exactly")
    tax_included_amount: int
    tax: ItemTax
    expense_category_id: str | None = Field(description="Purchases: the line's expense category")


class AdjustmentOut(Output):
    id: Id
    reason: str
    reason_code: str
    amount: int = Field(description="As entered, minor units")
    tax_amount: int | None = Field(description="Its share of its VAT group's tax (negative for an allowance); "
                                               "null in lists")
    tax: ItemTax


class TaxGroup(Output):
    tax_id: str = "vat"
    percentage: str
    category: str
    category_name: str
    taxable_amount: int
    tax_amount: int
    jurisdiction: str
    exemption: Exemption | None


class Kpis(Output):
    outstanding: int
    overdue: int
    last_payment_date: date | None
    payment_applied: int
    credit_issued: int
    last_cancelled_on: date | None
    last_reactivated_on: date | None = Field(description="When a new invoice was last made from this cancelled "
                                                         "one (reactivate), in the organization's time zone")


class DeductionOut(Output):
    advance_id: Id
    number: str | None = Field(description="The advance invoice's number")
    amount: int = Field(description="Its total with VAT, minor units (frozen at issue)")


class InvoiceOut(Output):
    id: Id
    object: Literal["invoice"] = "invoice"
    kind: str
    is_quote: bool
    flow: str
    status: str
    document_number: str | None
    imported: bool = Field(description="Issued outside Tallybook and imported with its own number")
    document_date: date | None
    due_date: date | None
    currency: str
    customer_id: str | None = Field(description="Sales: the customer")
    supplier_id: str | None = Field(description="Purchases: the supplier")
    supplier_number: str | None = Field(description="Purchases: the supplier's own number")
    self_billed: bool = Field(description="Purchases: made out by you for the supplier (type code 389)")
    customer_name: str
    price_tax_inclusive: bool
    payment_terms: dict
    notes: str
    customer_reference: str
    buyer_reference: str = Field(description="BT-10 as the invoice has it (a draft's empty one: the customer's, "
                                             "at issue)")
    e_invoice_format: EInvoiceFormat = Field(description="The e-invoice the customer gets (a draft: as it would "
                                                         "be issued now); empty: none")
    is_e_invoice: bool = Field(description="e_invoice_format is not empty")
    exchange_rate: str | None = Field(description="1 unit of currency = this many units of accounting_currency, as the "
                                                  "invoice states it; null: none")
    accounting_currency: str | None = Field(description="EN 16931 BT-6: the organization's currency, when the invoice "
                                                        "states its VAT total in it too")
    total_tax_amount_accounting: int | None = Field(description="EN 16931 BT-111: the VAT total in accounting_currency "
                                                                "(minor units) at exchange_rate; frozen at issue")
    type: Literal["LINKED_WITH_ORDER", "NOT_LINKED_WITH_ORDER"] = Field(description="Seed 003: has an order_id")
    order_id: str | None
    custom_attributes: dict[str, str | bool | list[str] | None] = Field(
        description="The invoice's custom fields by key (as a customer's custom_fields); frozen once issued")
    billing_period: dict | None
    issue_date: date | None = Field(description="Drafts: the chosen issue date, if any")
    valid_until: date | None
    discount_percent: str | None
    items: list[ItemOut] | None = Field(description="null in lists: GET the invoice or its items")
    allowances: list[AdjustmentOut]
    charges: list[AdjustmentOut]
    taxes: list[TaxGroup]
    total_lines_amount: int
    total_allowance_amount: int
    total_charge_amount: int
    total_extratax_amount: int
    total_tax_amount: int
    total_tax_included_amount: int
    payment_status: Literal["OPEN", "DUE", "PARTIALLY_PAID", "PAID", "OVERPAID", "CREDITED"] | None
    overdue: bool
    amount_due: int
    amount_remaining: int
    amount_paid: int
    amount_overpaid: int
    amount_credited: int
    is_advance: bool = Field(description=IS_ADVANCE)
    amount_prepaid: int = Field(description="EN 16931 BT-113: the advance invoices this invoice deducts (minor units; a "
                                            "draft's as chosen); counted as settled in amount_paid's place, not in it")
    deductions: list[DeductionOut] = Field(description="The advance invoices this invoice deducts")
    related_id: str | None = Field(description="A credit note's invoice, a copy's original, a quote's invoice")
    kpis: Kpis | None = Field(description="Seed 003's figures; null in lists")
    created_by: str | None
    created_on: datetime
    last_updated_by: str | None
    last_updated_on: datetime
    issued_on: datetime | None
    version: int
    pdf_url: str | None
    customer_url: str | None
    credit_note_ids: list[str] | None = Field(None, description="The credit notes that correct this invoice "
                                                                "(drafts too); null in lists")


class InvoiceList(Output):
    data: list[InvoiceOut]
    has_more: bool


class ItemList(Output):
    data: list[ItemOut]


def _jurisdiction(doc: Document) -> str:
    return (doc.seller or {}).get("country") or actor().org.country or ""


def _exemption(category: str, note: str, decided: str | None = None):
    """The exemption of an item or VAT group: the categories that need a legal note, and B (split payment)
    when its rate has one; none for the taxed categories that take no note (S, Z, L, M). ``decided``: the type
    the VAT rules gave (e.g. SMALL_BUSINESS for an E line of a small business)."""
    if category in NOTE_FORBIDDEN or not (category in NOTE_REQUIRED or note):
        return None
    return {"type": decided or EXEMPTION_TYPES.get(category, category), "legal_notice": note}


def _tax(target, doc: Document | None = None) -> dict:
    """An item's or adjustment's tax; an item of a document with automatic tax (or a decision copied from one)
    carries the rules' decision (services/automatic_tax.py)."""
    decision = getattr(target, "tax_decision", None) or {}
    automatic = doc is not None and isinstance(target, DocumentLine) and (doc.automatic_tax or bool(decision))
    explanation = automatic_tax.explanation(target) if automatic else None
    warning = automatic_tax.warning(target) if automatic else None
    return {"tax_rate_id": str(target.tax_rate_id) if target.tax_rate_id else None,
            "percentage": decimal_text(target.tax_percent), "category": target.tax_category,
            "exemption": _exemption(target.tax_category, target.exemption_note, decision.get("exemption_type")),
            "jurisdiction": (target.tax_jurisdiction or None) if automatic else None,
            "tax_code": automatic_tax.line_tax_code(actor().org, target) if automatic else None,
            "rule": (target.tax_rule or None) if automatic else None,
            "explanation": str(explanation) if explanation else None, "warning": str(warning) if warning else None}


def _shares(doc: Document, lines: list[DocumentLine], adjustment_nets: dict[int, int]) -> dict:
    """Each line's and adjustment's share of its VAT group's tax, in minor units: the group's tax (as stored,
    rounded once per group) spread by the largest remainder, so the shares add up to it exactly."""
    members: dict[tuple[str, str], list[tuple[object, int]]] = {}
    for line in lines:
        members.setdefault((line.tax_category, decimal_text(line.tax_percent)), []).append((("line", line.id),
                                                                                            line.net_amount))
    for adj in doc.adjustments:
        members.setdefault((adj.tax_category, decimal_text(adj.tax_percent)), []).append((("adj", adj.id),
                                                                                          adjustment_nets[adj.id]))
    shares = {}
    for group in doc.tax_breakdown:
        items = members.get((group["category"], decimal_text(Decimal(group["rate"]))), [])
        base = sum(net for _, net in items)
        if not items:
            continue
        raw = [(key, Decimal(group["tax"]) * net / base if base else Decimal(0)) for key, net in items]
        floors = {key: int(value.to_integral_value(rounding="ROUND_FLOOR")) for key, value in raw}
        rest = group["tax"] - sum(floors.values())
        order = sorted(raw, key=lambda kv: (kv[1] - floors[kv[0]]), reverse=True)
        for key, _ in order[:max(rest, 0)]:
            floors[key] += 1
        shares.update(floors)
    return shares


def _minor(amount: Decimal, currency: str) -> int:
    return to_minor(amount.quantize(Decimal(1).scaleb(-precision(currency)), rounding=ROUND_HALF_UP), currency)


def _item_adjustments(doc: Document, line: DocumentLine, kind: str) -> list[dict]:
    return [{"id": str(a.id), "amount": _minor(a.amount, doc.currency), "reason": a.reason,
             "reason_code": a.reason_code} for a in line.adjustments if a.kind == kind]


def item_json(doc: Document, line: DocumentLine, shares: dict) -> dict:
    tax = shares.get(("line", line.id), 0)
    net_unit = None
    if not doc.prices_include_tax:
        scaled = line.unit_price.scaleb(precision(doc.currency))
        if scaled == scaled.to_integral_value():
            net_unit = int(scaled)
    return {"id": str(line.id), "position": line.position, "description": line.description,
            "quantity": decimal_text(line.quantity), "unit": line.unit, "unit_code": unece_code(line.unit),
            "unit_price": decimal_text(line.unit_price), "unit_extratax_amount": net_unit,
            "discount_percent": decimal_text(line.discount_percent),
            "product_id": str(line.product_id) if line.product_id else None,
            "base_quantity": decimal_text(line.base_quantity),
            "service_period": ({"start_date": line.period_start, "end_date": line.period_end}
                               if line.period_start or line.period_end else None),
            "allowances": _item_adjustments(doc, line, "allowance"), "charges": _item_adjustments(doc, line, "charge"),
            "extratax_amount": line.net_amount, "tax_amount": tax, "tax_included_amount": line.net_amount + tax,
            "tax": _tax(line, doc),
            "expense_category_id": str(line.expense_category_id) if line.expense_category_id else None}


def _adjustment_nets(doc: Document) -> dict[int, int]:
    from webapp.services.calculation import adjustment_figures

    return {f.adjustment.id: abs(f.net) * (-1 if f.kind == "allowance" else 1)
            for f in adjustment_figures(doc) if f.adjustment is not None}


def _attributes_json(doc: Document, given: dict | None) -> dict:
    if given is None:
        given = attributes.values(doc, attributes.fields(doc.org_id))
    return {key: custom_json(value) for key, value in given.items()}


def invoice_json(doc: Document, with_items: bool = True, attribute_values: dict | None = None) -> dict:
    nets = _adjustment_nets(doc) if doc.adjustments and with_items else {}
    lines = list(doc.lines) if with_items else []
    shares = _shares(doc, lines, nets) if with_items else {}
    due = doc.amount_due
    invoice = doc.kind == "invoice" and not doc.is_draft
    effective = einvoice_xml.effective_format(doc)
    accounting = doc.accounting_vat(db.session.get(Organization, doc.org_id).currency)

    def adjustments(kind):
        return [{"id": str(a.id), "reason": a.reason, "reason_code": a.reason_code, "amount": to_minor(a.amount.quantize(
            Decimal(1).scaleb(-precision(doc.currency)), rounding=ROUND_HALF_UP), doc.currency),
            "tax_amount": shares.get(("adj", a.id), 0) if with_items else None,
            "tax": _tax(a)} for a in doc.adjustments if a.kind == kind]

    return {
        "id": str(doc.id), "object": "invoice", "kind": doc.kind, "is_quote": doc.kind == "quote",
        "flow": doc.flow, "status": doc.current_status, "document_number": doc.number,
        "imported": doc.imported,
        "document_date": doc.issue_date, "due_date": doc.due_date if doc.kind == "invoice" else None,
        "currency": doc.currency,
        "customer_id": str(doc.contact_id) if doc.contact_id and doc.flow == "sales" else None,
        "supplier_id": str(doc.contact_id) if doc.contact_id and doc.flow == "purchases" else None,
        "supplier_number": doc.supplier_number, "self_billed": doc.self_billed,
        "customer_name": doc.buyer_name, "price_tax_inclusive": doc.prices_include_tax,
        "payment_terms": {"type": "NET", "days": doc.payment_terms_days}, "notes": doc.notes,
        "customer_reference": doc.customer_reference, "buyer_reference": doc.buyer_reference,
        "e_invoice_format": effective, "is_e_invoice": effective != "",
        "exchange_rate": decimal_text(doc.exchange_rate), "accounting_currency": accounting[1] if accounting else None,
        "total_tax_amount_accounting": accounting[0] if accounting else None,
        "type": "LINKED_WITH_ORDER" if doc.order_reference else "NOT_LINKED_WITH_ORDER",
        "order_id": doc.order_reference,
        "custom_attributes": _attributes_json(doc, attribute_values),
        "billing_period": ({"start_date": doc.service_date, "end_date": doc.service_period_end}
                           if doc.service_date else None),
        "issue_date": doc.chosen_issue_date if doc.is_draft else doc.issue_date,
        "valid_until": doc.valid_until, "discount_percent": decimal_text(doc.discount_percent),
        "items": [item_json(doc, line, shares) for line in lines] if with_items else None,
        "allowances": adjustments("allowance"), "charges": adjustments("charge"),
        "taxes": [{"tax_id": "vat", "percentage": decimal_text(Decimal(t["rate"])), "category": t["category"],
                   "category_name": CATEGORIES.get(t["category"], t["category"]), "taxable_amount": t["base"],
                   "tax_amount": t["tax"], "jurisdiction": t.get("jurisdiction") or _jurisdiction(doc),
                   "exemption": _exemption(t["category"], t.get("note", ""), t.get("exemption_type"))}
                  for t in doc.tax_breakdown],
        "total_lines_amount": doc.line_total, "total_allowance_amount": doc.allowance_total,
        "total_charge_amount": doc.charge_total, "total_extratax_amount": doc.net_total,
        "total_tax_amount": doc.tax_total, "total_tax_included_amount": doc.gross_total,
        "payment_status": payment_status(doc), "overdue": doc.is_overdue,
        "amount_due": max(due, 0) if invoice else 0, "amount_remaining": max(due, 0) if invoice else 0,
        "amount_paid": deductions.paid_in_money(doc), "amount_overpaid": max(-due, 0) if invoice else 0,
        "amount_credited": doc.credited_total,
        "is_advance": doc.advance, "amount_prepaid": doc.deducted_total if doc.kind == "invoice" else 0,
        "deductions": [{"advance_id": str(d.advance_id), "number": d.advance.number, "amount": d.amount}
                       for d in doc.deductions] if doc.kind == "invoice" else [],
        "related_id": str(doc.related_id) if doc.related_id else None,
        "kpis": None, "created_by": None, "created_on": doc.created_at, "last_updated_by": None,
        "last_updated_on": doc.updated_at, "issued_on": doc.issued_at, "version": doc.version,
        "pdf_url": url_for("api.invoice_pdf", document_id=doc.id, _external=True)
        if not doc.is_draft and (doc.flow == "sales" or doc.self_billed) else None,
        "customer_url": (url_for("public.document", token=doc.public_token, _external=True)
                         if doc.public_token else None),
        "credit_note_ids": None,
    }


def _who(event: AuditEvent | None, users: dict, tokens: dict) -> str | None:
    if event is None:
        return None
    token_id = (event.data or {}).get("api_token_id")
    if token_id is not None:
        return f"API token {tokens.get(token_id, token_id)}"
    return users.get(event.actor_id)


def _details(doc: Document, body: dict) -> dict:
    """What a single invoice adds to the list's view: who made and last changed it (a member's e-mail, or the
    API token), seed 003's KPIs."""
    from webapp.models import ApiToken

    of_doc = select(AuditEvent).where(AuditEvent.org_id == doc.org_id, AuditEvent.object_type == "document",
                                      AuditEvent.object_id == doc.id)
    # two rows, however long the document's history: how it was made, and its latest change
    created = db.session.scalar(of_doc.where(AuditEvent.action.in_(("document.created", "document.duplicated")))
                                .order_by(AuditEvent.id).limit(1))
    latest = db.session.scalar(of_doc.order_by(AuditEvent.id.desc()).limit(1))
    events = [e for e in (created, latest) if e is not None]
    user_ids = {e.actor_id for e in events if e.actor_id} | ({doc.created_by_id} if doc.created_by_id else set())
    token_ids = {(e.data or {}).get("api_token_id") for e in events} - {None}
    users = {u.id: u.email for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    tokens = ({t.id: t.name for t in db.session.scalars(select(ApiToken).where(ApiToken.id.in_(token_ids)))}
              if token_ids else {})
    body["created_by"] = _who(created, users, tokens) or users.get(doc.created_by_id)
    body["last_updated_by"] = _who(latest, users, tokens)
    last_payment = db.session.scalar(select(func.max(Payment.paid_on)).where(
        Payment.document_id == doc.id, Payment.voided_at.is_(None), Payment.amount > 0))
    cancelled = db.session.scalar(select(func.min(Document.issue_date)).where(
        Document.related_id == doc.id, Document.kind == "credit_note", Document.status != "draft")) \
        if doc.status == "cancelled" else None
    reactivated = db.session.scalar(of_doc.where(AuditEvent.action == "document.reactivated")
                                    .order_by(AuditEvent.id.desc()).limit(1)) if doc.status == "cancelled" else None
    due = max(doc.amount_due, 0) if doc.kind == "invoice" and not doc.is_draft else 0
    body["credit_note_ids"] = [str(i) for i in db.session.scalars(select(Document.id).where(
        Document.org_id == doc.org_id, Document.related_id == doc.id, Document.kind == "credit_note")
        .order_by(Document.id))] if doc.kind == "invoice" else []
    body["kpis"] = {"outstanding": due, "overdue": due if doc.is_overdue else 0,
                    "last_payment_date": last_payment, "payment_applied": doc.paid_total,
                    "credit_issued": doc.credited_total, "last_cancelled_on": cancelled,
                    "last_reactivated_on": reactivated.created_at.astimezone(zone(actor().org.time_zone)).date()
                    if reactivated is not None else None}
    return body


def answer(doc: Document, status: int = 200):
    db.session.flush()
    db.session.refresh(doc)
    response = jsonify(_details(doc, invoice_json(doc)))
    response.status_code = status
    response.headers["ETag"] = etag(doc.version)
    return response


# --- parsing into the use cases' inputs -------------------------------------------------------------

def _price(item: ItemIn, currency: str) -> tuple[Decimal | None, bool | None]:
    """The item's unit price in major units, and whether it is gross (None: as the invoice says)."""
    if item.unit_extratax_amount is not None:
        return from_minor(item.unit_extratax_amount, currency), False
    if item.unit_tax_included_amount is not None:
        return from_minor(item.unit_tax_included_amount, currency), True
    return item.unit_price, None


def _tax_args(spec_: TaxFields) -> dict:
    return {"tax_rate_id": int(spec_.tax_rate_id) if spec_.tax_rate_id else None,
            "tax_percent": spec_.tax_rate, "tax_category": spec_.tax_category}


def _item_adjustments_in(items: list[ItemAdjustmentIn], currency: str) -> tuple:
    return tuple(draft_usecases.LineAdjustmentInput(amount=from_minor(a.amount, currency), reason=a.reason,
                                                    reason_code=a.reason_code) for a in items)


def _period(item: ItemIn) -> draft_usecases.LinePeriod | None:
    if item.service_period is None:
        return None
    return draft_usecases.LinePeriod(item.service_period.start_date, item.service_period.end_date)


def _new_line(item: ItemIn, currency: str) -> tuple[draft_usecases.NewLine, bool | None]:
    price, gross = _price(item, currency)
    unit = item.unit or (UNIT_BY_CODE[item.unit_code] if item.unit_code else None)
    return draft_usecases.NewLine(
        description=item.description, quantity=item.quantity if "quantity" in item.model_fields_set or
        item.product_id is None else None, unit_price=price, unit=unit, discount_percent=item.discount_percent,
        product_id=int(item.product_id) if item.product_id else None, base_quantity=item.base_quantity,
        period=_period(item), allowances=_item_adjustments_in(item.allowances, currency),
        charges=_item_adjustments_in(item.charges, currency), **_tax_args(item),
        tax_code=item.tax_code if item.tax_code is not None else (item.product.tax_code if item.product else None),
        expense_category_id=int(item.expense_category_id) if item.expense_category_id else None), gross


def _currency_of(body: InvoiceIn) -> str:
    if body.currency:
        return body.currency.upper()
    from webapp.models import Contact

    if body.recipient_identifier is not None:
        from webapp.services.contacts import by_external_id

        found = by_external_id(actor().org.id, body.recipient_identifier)
        return (found.currency if found else (body.recipient.currency if body.recipient else "")
                ) or actor().org.currency
    if body.flow == "purchases":
        contact = load(actor(), Contact, int(body.supplier_id), "supplier")
    else:
        contact = load(actor(), Contact, int(body.customer_id), "customer")
    return contact.currency or actor().org.currency


def _one_customer(body: InvoiceIn) -> None:
    """Exactly one of customer_id and recipient_identifier; recipient only with recipient_identifier. A purchase:
    supplier_id (the customer is the organization itself), no customer."""
    if body.flow == "purchases":
        if body.supplier_id is None:
            raise problems.Problem(422, "supplier_required", gettext("Give the supplier: supplier_id."),
                                   [{"code": "supplier_required", "detail": "", "pointer": "/supplier_id"}])
        if body.customer_id is not None or body.recipient_identifier is not None:
            raise problems.Problem(422, "customer_of_purchase", gettext(
                "A purchase's customer is your organization: give supplier_id only."),
                [{"code": "customer_of_purchase", "detail": "", "pointer": "/customer_id"}])
        return
    if body.supplier_id is not None or body.supplier_number is not None or body.self_billed:
        raise problems.Problem(422, "supplier_of_sale", gettext(
            "supplier_id and supplier_number are for purchases (flow purchases)."),
            [{"code": "supplier_of_sale", "detail": "", "pointer": "/supplier_id"}])
    if body.customer_id is not None and body.recipient_identifier is not None:
        raise problems.Problem(422, "customer_twice", gettext(
            "Give customer_id or recipient_identifier, not both."),
            [{"code": "customer_twice", "detail": "", "pointer": "/recipient_identifier"}])
    if body.customer_id is None and body.recipient_identifier is None:
        raise problems.Problem(422, "customer_required", gettext(
            "Give the customer: customer_id, or recipient_identifier (with recipient for a new one)."),
            [{"code": "customer_required", "detail": "", "pointer": "/customer_id"}])
    if body.recipient is not None and body.recipient_identifier is None:
        raise problems.Problem(422, "recipient_needs_identifier", gettext(
            "recipient goes with recipient_identifier."),
            [{"code": "recipient_needs_identifier", "detail": "", "pointer": "/recipient"}])


def _inclusive(body_flag: bool | None, kinds: list[tuple[int, bool | None]], pointer_of) -> bool | None:
    """Whether prices include VAT: the body's flag, else what the items' amounts say; a contradiction is a 422."""
    stated = [(i, g) for i, g in kinds if g is not None]
    wanted = body_flag if body_flag is not None else (stated[0][1] if stated else None)
    wrong = [i for i, g in stated if g != wanted]
    if wrong:
        raise problems.Problem(422, "mixed_price_kinds", gettext(
            "Give every price net (unit_extratax_amount) or every price gross (unit_tax_included_amount), as "
            "price_tax_inclusive says."), [{"code": "mixed_price_kinds", "detail": gettext("This price is the other "
                                                                                       "kind."),
                                            "pointer": pointer_of(i)} for i in wrong])
    return wanted


def _document_input(body: InvoiceIn) -> draft_usecases.DocumentInput:
    _one_customer(body)
    currency = _currency_of(body)
    try:
        precision(currency)
    except Exception:  # noqa: BLE001 - an unknown code: the use case says so with its own message
        currency_ok = False
    else:
        currency_ok = True
    parsed = [_new_line(item, currency if currency_ok else "EUR") for item in body.items]
    flag = body.price_tax_inclusive
    if flag is None and body.calculate_from_net is not None:
        flag = not body.calculate_from_net
    inclusive = _inclusive(flag, [(i, gross) for i, (_, gross) in enumerate(parsed)], lambda i: f"/items/{i}")
    adjustments = []
    for kind, items in (("allowance", body.allowances), ("charge", body.charges)):
        for adj in items:
            adjustments.append(draft_usecases.NewAdjustment(
                kind=kind, amount=from_minor(adj.amount, currency) if currency_ok else Decimal(adj.amount),
                reason=adj.reason, reason_code=adj.reason_code, **_tax_args(adj)))
    discount = None
    if body.discount is not None:
        if body.discount.type == "percentage":
            discount = body.discount.value
        else:
            rates = {(i.tax_rate_id, i.tax_rate, i.tax_category) for i in body.items}
            if len(rates) != 1:
                raise problems.Problem(422, "discount_needs_one_rate", gettext(
                    "An amount discount needs items of one VAT rate; give allowances with their tax_rate instead."),
                    [{"code": "discount_needs_one_rate", "detail": "", "pointer": "/discount"}])
            first = body.items[0]
            adjustments.append(draft_usecases.NewAdjustment(
                kind="allowance", amount=from_minor(int(body.discount.value), currency), reason=gettext("Discount"),
                reason_code="95", **_tax_args(first)))
    kind = "quote" if body.is_quote else body.kind
    recipient = None
    if body.recipient is not None:
        from webapp.usecases.customers import CustomerInput

        values = customer_values(body.recipient)
        values.pop("is_supplier", None)
        recipient = CustomerInput(values=values, custom=body.recipient.custom_fields)
    return draft_usecases.DocumentInput(
        contact_id=int(body.supplier_id if body.flow == "purchases" else body.customer_id or 0) or None,
        flow=body.flow, supplier_number=body.supplier_number, self_billed=body.self_billed,
        recipient_identifier=body.recipient_identifier, recipient=recipient,
        custom_attributes=body.custom_attributes, kind=kind, currency=body.currency, prices_include_tax=inclusive,
        payment_terms_days=body.payment_terms.days if body.payment_terms else None,
        chosen_issue_date=body.issue_date,
        service_date=body.billing_period.start_date if body.billing_period else None,
        service_period_end=body.billing_period.end_date if body.billing_period else None,
        customer_reference=body.customer_reference or "", notes=body.notes or "", discount_percent=discount,
        order_reference=body.order_id, buyer_reference=body.buyer_reference or "",
        e_invoice_format=body.e_invoice_format, is_e_invoice=body.is_e_invoice, exchange_rate=body.exchange_rate,
        is_advance=bool(body.is_advance),
        automatic_tax=body.automatic_tax_calculation.enabled if body.automatic_tax_calculation else None,
        deducted_advance_ids=tuple(int(i) for i in body.deducted_advance_ids or ()),
        valid_until=body.valid_until, lines=tuple(line for line, _ in parsed), adjustments=tuple(adjustments))


def _field_map(body_items: int = 0, body: InvoiceIn | None = None) -> dict:
    mapping = dict(FIELD_MAP)
    # the recipient's errors (recipient.<the customer's field>) at the API's names of the customer's fields
    mapping["external_id"] = "recipient_identifier"
    for name in ("company_name", "person_name", "email", "phone", "locale", "currency", "country", "vat_id",
                 "shipping_country", "notes"):
        mapping[f"recipient.{name}"] = "recipient." + CUSTOMER_FIELDS.get(name, name)
    for i in range(body_items):
        for name, api in (("description", "description"), ("quantity", "quantity"), ("unit", "unit"),
                          ("unit_price", "unit_price"), ("discount_percent", "discount_percent"),
                          ("tax_rate", "tax_rate"), ("product_id", "product_id"), ("base_quantity", "base_quantity"),
                          ("tax_code", "tax_code"), ("expense_category_id", "expense_category_id"),
                          *LINE_FIELD_MAP.items()):
            mapping[f"lines.{i}.{name}"] = f"items.{i}.{api}"
        if body is not None:
            for kind in ("allowances", "charges"):
                for k in range(len(getattr(body.items[i], kind))):
                    for name in ("amount", "reason", "reason_code"):
                        mapping[f"lines.{i}.{kind}.{k}.{name}"] = f"items.{i}.{kind}.{k}.{name}"
    if body is not None:  # the use case's adjustments: the allowances, then the charges (then an amount discount)
        listed = [("allowances", k) for k in range(len(body.allowances))] + [
            ("charges", k) for k in range(len(body.charges))]
        for index, (kind, k) in enumerate(listed):
            for name, api in (("amount", "amount"), ("reason", "reason"), ("reason_code", "reason_code"),
                              ("kind", "kind"), ("tax_rate", "tax_rate")):
                mapping[f"adjustments.{index}.{name}"] = f"{kind}.{k}.{api}"
    return mapping


# --- routes ---------------------------------------------------------------------------------------

def _doc(document_id: int) -> Document:
    return load(actor(), Document, document_id, "document")


@bp.get("/invoices")
@spec.validate(query=InvoiceListQuery, resp=Answers(HTTP_200=InvoiceList, **ERRORS), tags=TAGS)
def list_invoices():
    """List invoices, credit notes and quotes

    Newest first, `limit` at a time; filter by `filter[kind]`, `filter[status]`, `filter[customer_id]`, the
    issue date (`filter[date_from]`, `filter[date_to]`), `filter[search]` (number or customer name) and
    `filter[payment_status]` (OPEN, DUE, PARTIALLY_PAID, PAID, OVERPAID, CREDITED: invoices only); custom
    attributes as customers' custom fields (`filter[custom_attributes][KEY][o]` and `[v]`). Items are left out:
    GET one invoice for them."""
    query: InvoiceListQuery = request.context.query
    stmt = select(Document).where(Document.org_id == actor().org.id)
    if query.kind:
        stmt = stmt.where(Document.kind == query.kind)
    if query.flow:
        stmt = stmt.where(Document.flow == query.flow)
    if query.status:
        stmt = stmt.where(Document.status == query.status)
    if query.customer_id:
        stmt = stmt.where(Document.contact_id == int(query.customer_id))
    if query.order_id:
        stmt = stmt.where(Document.order_reference == query.order_id.strip())
    if query.date_from:
        stmt = stmt.where(Document.issue_date >= query.date_from)
    if query.date_to:
        stmt = stmt.where(Document.issue_date <= query.date_to)
    if query.search:
        stmt = stmt.where(Document.search_text.contains(query.search.strip().lower(), autoescape=True))
    if query.payment_status:
        stmt = stmt.where(*payment_status_filter(query.payment_status))
    if query.starting_after:
        stmt = stmt.where(Document.id < int(query.starting_after))
    invoice_fields = attributes.fields(actor().org.id)
    for custom in custom_filters(invoice_fields, InvoiceListQuery, "custom_attributes"):
        stmt = stmt.where(filter_clause(custom, DocumentFieldValue, DocumentFieldValue.document_id == Document.id))
    from sqlalchemy.orm import selectinload

    rows = db.session.scalars(stmt.order_by(Document.id.desc()).limit(query.limit + 1)
                              .options(selectinload(Document.adjustments),
                                       selectinload(Document.deductions).joinedload(DocumentDeduction.advance))).all()
    values = attributes.values_of_many([d.id for d in rows[:query.limit]], invoice_fields)
    from webapp.models import Contact

    # the customers whose preference a draft's e_invoice_format shows: read in one query, held while answering
    choosing = {d.contact_id for d in rows[:query.limit] if d.e_invoice_format is None and d.contact_id}
    held = db.session.scalars(select(Contact).where(Contact.id.in_(choosing))).all() if choosing else []
    body = {"data": [invoice_json(d, with_items=False, attribute_values=values[d.id]) for d in rows[:query.limit]],
            "has_more": len(rows) > query.limit}
    del held
    return jsonify(body)


@bp.post("/invoices")
@idempotent
@spec.validate(json=InvoiceIn, resp=Answers(HTTP_201=InvoiceOut, **ERRORS), tags=TAGS)
def create_invoice():
    """Create an invoice or a quote

    With up to 100 items in one call; the totals follow from them (EN 16931: VAT per group, rounded once).
    `status: issued` finalizes it at once (number, date, PDF), `status: paid` also records a payment
    (`payment_details`, default: the whole amount today); with either, `email_details` e-mails it in the same
    transaction (as POST /invoices/{id}/send; a refused e-mail refuses the whole request)."""
    body: InvoiceIn = request.context.json
    g.api_field_map = _field_map(len(body.items), body)
    data = _document_input(body)
    if body.status == "draft":
        if body.payment_details is not None:
            raise problems.Problem(422, "payment_details_need_paid", gettext(
                "payment_details go with status paid."), [{"code": "payment_details_need_paid", "detail": "",
                                                           "pointer": "/payment_details"}])
        if body.number is not None:
            raise problems.Problem(422, "number_needs_issued", gettext(
                "A number is given only to an invoice issued elsewhere: send it with status issued or paid."),
                [{"code": "number_needs_issued", "detail": "", "pointer": "/number"}])
        if body.email_details is not None:
            raise problems.Problem(422, "email_details_need_issued", gettext(
                "email_details go with status issued or paid."), [{"code": "email_details_need_issued", "detail": "",
                                                                    "pointer": "/email_details"}])
        doc = draft_usecases.create_document(actor(), data)
    else:
        paid = None
        if body.status == "paid":
            details = body.payment_details or PaymentDetails()
            paid = issuing_usecases.PaidWith(paid_on=details.paid_on or date.today(), amount=details.amount,
                                             method=details.method, reference=details.reference,
                                             key=request.headers.get("Idempotency-Key", "").strip()[:64])
        g.api_field_map = {**g.api_field_map, **message_fields("email_details")}
        doc = issuing_usecases.create_issued(actor(), data, paid, message_of(body.email_details),
                                             number=body.number)
    response = answer(doc, 201)
    response.headers["Location"] = url_for("api.get_invoice", document_id=doc.id)
    return response


@bp.get("/invoices/<int:document_id>")
@spec.validate(resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=TAGS)
def get_invoice(document_id: int):
    """Get an invoice, credit note or quote

    With its items, allowances and charges, the VAT breakdown (`taxes`), the payment state and seed 003's
    KPIs. The `ETag` is the draft's version for If-Match."""
    return answer(_doc(document_id))


@bp.patch("/invoices/<int:document_id>")
@spec.validate(json=InvoicePatch, resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=TAGS)
def update_invoice(document_id: int):
    """Change a draft

    Only the fields given change; a stale version (If-Match or `version`) is a 409."""
    body: InvoicePatch = request.context.json
    doc = _doc(document_id)
    given = body.model_fields_set
    g.api_field_map = FIELD_MAP
    header = None
    if given - {"version", "customer_id", "custom_attributes", "deducted_advance_ids"}:
        header = draft_usecases.HeaderInput(
            currency=doc.currency,
            prices_include_tax=body.price_tax_inclusive if "price_tax_inclusive" in given and
            body.price_tax_inclusive is not None else doc.prices_include_tax,
            chosen_issue_date=body.issue_date if "issue_date" in given else doc.chosen_issue_date,
            service_date=(body.billing_period.start_date if body.billing_period else None)
            if "billing_period" in given else doc.service_date,
            service_period_end=(body.billing_period.end_date if body.billing_period else None)
            if "billing_period" in given else doc.service_period_end,
            payment_terms_days=body.payment_terms.days if body.payment_terms else doc.payment_terms_days,
            customer_reference=body.customer_reference if body.customer_reference is not None
            else doc.customer_reference,
            notes=body.notes if body.notes is not None else doc.notes,
            discount_percent=body.discount_percent if "discount_percent" in given else doc.discount_percent,
            valid_until=body.valid_until if "valid_until" in given else doc.valid_until,
            order_reference=body.order_id if "order_id" in given else None,
            buyer_reference=body.buyer_reference,
            # null: the customer's choice (given), absent: unchanged
            e_invoice_format=(body.e_invoice_format if body.e_invoice_format is not None else CUSTOMERS_CHOICE)
            if "e_invoice_format" in given else None,
            is_e_invoice=body.is_e_invoice, is_advance=body.is_advance,
            automatic_tax=body.automatic_tax_calculation.enabled if body.automatic_tax_calculation else None,
            supplier_number=body.supplier_number,
            exchange_rate=body.exchange_rate if "exchange_rate" in given else doc.exchange_rate)
    change = draft_usecases.DraftChange(header=header,
                                        contact_id=int(body.customer_id) if body.customer_id else None,
                                        custom_attributes=body.custom_attributes,
                                        deducted_advance_ids=None if body.deducted_advance_ids is None else tuple(
                                            int(i) for i in body.deducted_advance_ids))
    return answer(draft_usecases.change_draft(actor(), document_id, wanted_version(body.version), change))


@bp.delete("/invoices/<int:document_id>")
@spec.validate(resp=Answers(HTTP_204=None, **ERRORS), tags=TAGS)
def delete_invoice(document_id: int):
    """Delete a draft

    Issued documents are never deleted: cancel an invoice with a credit note."""
    draft_usecases.delete_draft(actor(), document_id, wanted_version())
    return "", 204


@bp.get("/invoices/<int:document_id>/items")
@spec.validate(resp=Answers(HTTP_200=ItemList, **ERRORS), tags=ITEM_TAGS)
def list_items(document_id: int):
    """List an invoice's items"""
    doc = _doc(document_id)
    shares = _shares(doc, list(doc.lines), _adjustment_nets(doc) if doc.adjustments else {})
    return jsonify({"data": [item_json(doc, line, shares) for line in doc.lines]})


def _item_answer(doc: Document, line_id: int, status: int = 200):
    db.session.flush()
    db.session.refresh(doc)
    line = next(line for line in doc.lines if line.id == line_id)
    shares = _shares(doc, list(doc.lines), _adjustment_nets(doc) if doc.adjustments else {})
    response = jsonify(item_json(doc, line, shares))
    response.status_code = status
    response.headers["ETag"] = etag(doc.version)
    return response


@bp.post("/invoices/<int:document_id>/items")
@idempotent
@spec.validate(json=ItemIn, resp=Answers(HTTP_201=ItemOut, **ERRORS), tags=ITEM_TAGS)
def add_item(document_id: int):
    """Add an item to a draft

    The totals are recalculated (seed 002 step 4); the answer's ETag is the draft's new version."""
    body: ItemIn = request.context.json
    doc = _doc(document_id)
    line, gross = _new_line(body, doc.currency)
    _inclusive(doc.prices_include_tax, [(0, gross)], lambda i: "/")
    g.api_field_map = {"tax_rate": "tax_rate", **LINE_FIELD_MAP}
    change = draft_usecases.add_full_line(actor(), document_id, wanted_version(), line)
    return _item_answer(change.document, change.line.id, 201)


@bp.patch("/invoices/<int:document_id>/items/<int:line_id>")
@spec.validate(json=ItemPatch, resp=Answers(HTTP_200=ItemOut, **ERRORS), tags=ITEM_TAGS)
def update_item(document_id: int, line_id: int):
    """Change an item of a draft

    Only the fields given change."""
    body: ItemPatch = request.context.json
    doc = _doc(document_id)
    line = draft_usecases.line_of(doc, line_id)
    price, gross = _price(body, doc.currency)
    _inclusive(doc.prices_include_tax, [(0, gross)], lambda i: "/")
    given = body.model_fields_set
    data = draft_usecases.LineInput(
        description=body.description if body.description is not None else line.description,
        quantity=body.quantity if body.quantity is not None else line.quantity,
        unit=body.unit or (UNIT_BY_CODE[body.unit_code] if body.unit_code else line.unit),
        unit_price=price if price is not None else line.unit_price,
        discount_percent=body.discount_percent if "discount_percent" in given else line.discount_percent,
        tax_rate_id=int(body.tax_rate_id) if body.tax_rate_id else (
            None if {"tax_rate", "tax_category"} & given else line.tax_rate_id),
        tax_percent=body.tax_rate if "tax_rate" in given else None,
        tax_category=body.tax_category if "tax_category" in given else None,
        base_quantity=body.base_quantity if "base_quantity" in given and body.base_quantity is not None else None,
        period=(_period(body) or draft_usecases.LinePeriod()) if "service_period" in given else None,
        allowances=_item_adjustments_in(body.allowances, doc.currency) if "allowances" in given else None,
        charges=_item_adjustments_in(body.charges, doc.currency) if "charges" in given else None,
        tax_code=body.tax_code if body.tax_code is not None else (body.product.tax_code if body.product else None),
        set_category="expense_category_id" in given,
        expense_category_id=int(body.expense_category_id) if body.expense_category_id else None)
    g.api_field_map = {"tax_rate_id": "tax_rate_id", **LINE_FIELD_MAP}
    change = draft_usecases.change_line(actor(), document_id, line_id, wanted_version(body.version), data)
    return _item_answer(change.document, line_id)


@bp.delete("/invoices/<int:document_id>/items/<int:line_id>")
@spec.validate(resp=Answers(HTTP_204=None, **ERRORS), tags=ITEM_TAGS)
def delete_item(document_id: int, line_id: int):
    """Remove an item from a draft"""
    removed = draft_usecases.remove_line(actor(), document_id, line_id, wanted_version())
    response = jsonify()
    response.status_code = 204
    response.headers["ETag"] = etag(removed.document.version)
    return response


@bp.post("/invoices/<int:document_id>/finalize")
@idempotent
@spec.validate(json=Versioned, resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def finalize_invoice(document_id: int):
    """Finalize (issue) a draft

    Seed 000 step 3: the next number of the series, the invoice date (today, or the chosen issue date), the
    due date from the payment terms, the stored PDF; from then on it never changes."""
    body: Versioned | None = request.context.json
    doc = _doc(document_id)
    version = wanted_version(body.version if body else None)
    return answer(issuing_usecases.issue(actor(), document_id, version if version is not None else doc.version))


@bp.post("/invoices/<int:document_id>/attach_payment")
@idempotent
@spec.validate(json=AttachPayment, resp=Answers(HTTP_200=InvoiceOut, **ERRORS), tags=ACTION_TAGS)
def attach_payment(document_id: int):
    """Record a payment or a refund

    Seed 000 step 4: an empty body pays what is due today; `transaction_data` records a partial payment, more
    than is due (reported as `amount_overpaid`) or a refund."""
    body: AttachPayment | None = request.context.json
    doc = _doc(document_id)
    data = (body.transaction_data if body else None) or TransactionData()
    if data.currency and data.currency.upper() != doc.currency:
        raise problems.Problem(422, "currency_mismatch", gettext(
            "The payment is in %(given)s, the invoice in %(currency)s.", given=data.currency,
            currency=doc.currency), [{"code": "currency_mismatch", "detail": "",
                                      "pointer": "/transaction_data/currency"}])
    amount = data.amount if data.amount is not None else max(doc.amount_due, 0)
    g.api_field_map = {"amount": "transaction_data.amount"}
    doc, _ = payment_usecases.record_payment(actor(), document_id, payment_usecases.PaymentInput(
        amount=from_minor(amount, doc.currency), paid_on=data.paid_on or date.today(),
        refund=data.transaction_type == "refund", method=data.method, reference=data.reference, note=data.note,
        key=request.headers.get("Idempotency-Key", "").strip()[:64] or issuing_usecases.new_key(),
        allow_overpayment=True))
    return answer(doc)


@bp.get("/invoices/<int:document_id>/pdf")
@spec.validate(resp=Answers(HTTP_200=None, **ERRORS), tags=TAGS)
def invoice_pdf(document_id: int):
    """The PDF

    An issued document's PDF is the one stored when it was issued, byte for byte; a draft's is rendered now
    and marked as a draft."""
    doc = _doc(document_id)
    return download(pdf_service.document_pdf(doc, actor().org), pdf_service.filename(doc))


class EInvoiceQuery(Query):
    format: Literal[*FORMATS] | None = Field(  # type: ignore[valid-type]
        None, description="xrechnung-ubl, xrechnung-cii or facturx-cii; default: the customer's e-invoice format, "
                          "else facturx-cii")


@bp.get("/invoices/<int:document_id>/xml")
@spec.validate(query=EInvoiceQuery, resp=Answers(HTTP_200=None, **ERRORS), tags=TAGS)
def invoice_xml(document_id: int):
    """The e-invoice XML

    An issued invoice's or credit note's EN 16931 e-invoice (`application/xml`): XRechnung 3.0 as UBL 2.1
    (`xrechnung-ubl`) or CII (`xrechnung-cii`), or the Factur-X EN 16931 CII its PDF carries (`facturx-cii`).
    The bytes stored and checked when it was issued, unchanged. A draft has none yet (422
    `document_is_draft`), nor has a quote (422 `no_e_invoice`)."""
    query: EInvoiceQuery = request.context.query
    file = einvoice_usecases.download(actor(), document_id, query.format)
    return download(file.data, file.filename, file.mimetype)
