"""Documents (invoices, credit notes, quotes; sales or purchases), their lines and adjustments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, BigInteger, Boolean, false, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary,
                        String, Text, UniqueConstraint, event, inspect, text)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column, relationship

from webapp.domain import status as state_model
from webapp.domain.einvoice import PREFERENCE_SQL
from webapp.domain.tax import ADJUSTMENT_KINDS, TAX_CATEGORIES
from webapp.extensions import db
from webapp.models.types import ScaledDecimal, UTCDateTime, one_of, utcnow

# an issued document with something due, as SQL (the partial index ix_document_open_due and its readers)
OPEN_DUE_SQL = "status = 'issued' AND gross_total - credited_total - paid_total > 0"
ORDER_REFERENCE_SQL = "order_reference IS NOT NULL AND kind = 'invoice' AND status <> 'cancelled'"
EXCHANGE_RATE_SQL = "exchange_rate IS NULL OR exchange_rate > 0"  # migration 0022 repeats it
SUPPLIER_NUMBER_SQL = "flow = 'purchases' AND supplier_number IS NOT NULL AND status <> 'cancelled'"  # and 0025


class Document(db.Model):
    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("org_id", "kind", "flow", "number"),
        # the list: newest first (by id) with or without a status filter, and the sums per currency
        Index("ix_document_org_kind_id", "org_id", "kind", "id"),
        Index("ix_document_org_status_id", "org_id", "kind", "status", "id"),
        # covers a search of the list with its sums (and any status filter), so it never reads the table
        Index("ix_document_org_search", "org_id", "kind", "flow", "status", "currency", "search_text", "gross_total",
              "due_date", "paid_total", "credited_total", "id"),
        # an invoice's credit notes, a quote's invoice; partial, so SQLite's statistics are not skewed by NULLs
        Index("ix_document_related", "related_id", sqlite_where=text("related_id IS NOT NULL"),
              postgresql_where=text("related_id IS NOT NULL")),
        Index("ix_document_org_issue_date", "org_id", "kind", "issue_date"),
        # the invoices with something due by due date (the dashboard's overdue list); the query repeats
        # OPEN_DUE_SQL literally, so both databases see that it implies the index's condition
        Index("ix_document_open_due", "org_id", "kind", "flow", "due_date", "id", sqlite_where=text(OPEN_DUE_SQL),
              postgresql_where=text(OPEN_DUE_SQL)),
        Index("ix_document_org_contact", "org_id", "contact_id"),
        Index("ix_document_public_token", "public_token", unique=True),
        # one shop order is invoiced once: among the organization's invoices that are not cancelled
        Index("uq_document_order_reference", "org_id", "order_reference", unique=True,
              sqlite_where=text(ORDER_REFERENCE_SQL), postgresql_where=text(ORDER_REFERENCE_SQL)),
        # filter[order_id]: every document of an order, cancelled ones too
        Index("ix_document_org_order", "org_id", "order_reference", sqlite_where=text("order_reference IS NOT NULL"),
              postgresql_where=text("order_reference IS NOT NULL")),
        # the EUR 10,000 threshold: the distance sales of an organization's issue dates in a year
        Index("ix_document_org_distance", "org_id", "issue_date", sqlite_where=text("distance_sales_eur IS NOT NULL"),
              postgresql_where=text("distance_sales_eur IS NOT NULL")),
        # the domain's enums (domain/status.py); the naming convention makes these ck_document_<name>
        # a supplier's number once per supplier and kind (cancelled ones aside)
        Index("uq_document_supplier_number", "org_id", "contact_id", "kind", "supplier_number", unique=True,
              sqlite_where=text(SUPPLIER_NUMBER_SQL), postgresql_where=text(SUPPLIER_NUMBER_SQL)),
        CheckConstraint(one_of("kind", state_model.KINDS), name="kind"),
        CheckConstraint(one_of("flow", state_model.FLOWS), name="flow"),
        CheckConstraint(one_of("status", state_model.STATUSES), name="status"),
        CheckConstraint(f"status = '{state_model.DRAFT}' OR number IS NOT NULL", name="number_unless_draft"),
        CheckConstraint(f"e_invoice_format IS NULL OR {PREFERENCE_SQL}", name="e_invoice_format"),
        CheckConstraint(EXCHANGE_RATE_SQL, name="exchange_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="invoice")  # invoice, credit_note, quote
    flow: Mapped[str] = mapped_column(String(10), default="sales")  # sales, purchases
    # active_history: the committed status is known at flush even when the object was expired
    status: Mapped[str] = mapped_column(String(20), default="draft", active_history=True)
    number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    # Documents keep their customer: a contact with documents cannot be deleted, only archived.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="RESTRICT"), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    chosen_issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # draft: issue on this day
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    service_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    service_period_end: Mapped[date | None] = mapped_column(Date, nullable=True)  # with service_date: a period
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=14)
    customer_reference: Mapped[str] = mapped_column(String(100), default="")
    # the order this invoice bills in the shop or ERP that made it (seed 003's order_id; EN 16931 BT-14)
    order_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # issued outside Tallybook and imported with its own number (never one of the series)
    # EN 16931 BT-10: the buyer's reference (a German public buyer's Leitweg-ID); at issue, the customer's if empty
    buyer_reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # the e-invoice the customer gets (domain/einvoice.PREFERENCES); None on a draft: the customer's preference,
    # decided at issue ("" none)
    e_invoice_format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    imported: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # purchases: the supplier's own number of its document (unique per supplier; never from Tallybook's series,
    # which gives the booking number ``number``); a draft may carry it
    supplier_number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    # a purchase read from a supplier's e-invoice: the totals and VAT breakdown it states, in minor units
    # (services/inbox.py); they are the document's figures, whatever the calculator gets (purchases.differences)
    stated_totals: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # a purchase invoice the organization makes out for its supplier (self-billing, type code 389): its own series,
    # a PDF and a Factur-X whose seller is the supplier (services/purchases.book)
    self_billed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    notes: Mapped[str] = mapped_column(Text, default="")
    discount_percent: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    buyer_name: Mapped[str] = mapped_column(String(200), default="")  # for lists and search
    search_text: Mapped[str] = mapped_column(String(300), default="")  # lower-cased number and buyer name
    seller: Mapped[dict] = mapped_column(JSON, default=dict)  # frozen at issue
    buyer: Mapped[dict] = mapped_column(JSON, default=dict)  # frozen at issue
    # Totals in minor units; kept current for drafts, frozen at issue.
    line_total: Mapped[int] = mapped_column(BigInteger, default=0)
    allowance_total: Mapped[int] = mapped_column(BigInteger, default=0)
    charge_total: Mapped[int] = mapped_column(BigInteger, default=0)
    net_total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_breakdown: Mapped[list] = mapped_column(JSON, default=list)  # [{category, rate, base, tax, note}]
    # EN 16931 BT-6 / BT-111, for a document in another currency than the organization's: the rate it states
    # (1 unit of ``currency`` = ``exchange_rate`` units of the organization's currency; a draft's, then frozen),
    # and at issue the VAT total converted at it (minor units of ``accounting_currency``, the organization's then)
    exchange_rate: Mapped[Decimal | None] = mapped_column(ScaledDecimal(6), nullable=True)
    tax_total_accounting: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    accounting_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    # the PDF as issued, served unchanged from then on whatever happens to settings or templates
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    # the customer's link (/p/<token>): random, at least 128 bits, revocable (a new token replaces it)
    public_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # first visit of the link
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # last sent by e-mail
    # The balance (invoices): payments not voided, and issued credit notes against it (both minor units,
    # kept in the transaction that records them). amount due = gross_total - credited_total - paid_total.
    paid_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    credited_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # an advance (down-payment) invoice (EN 16931 BT-3 386); a final invoice deducts issued ones
    # (``DocumentDeduction``, services/deductions.py): their gross totals, frozen at issue (BT-113), are counted
    # in ``paid_total`` too, so the amount due is what remains after them
    advance: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    prepaid_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # automatic VAT (services/automatic_tax.py): a draft's lines take the rules' decision; frozen with them at issue
    automatic_tax: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # frozen at issue: the net of its cross-border distance sales to consumers (goods, electronically supplied
    # services) in EUR cents (negative for a credit note), which the EUR 10,000 threshold adds up; None: none
    distance_sales_eur: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # quotes: the offer's expiry
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # quotes: accepted/declined
    version: Mapped[int] = mapped_column(Integer, default=1)
    related_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    contact: Mapped["Contact | None"] = relationship()  # noqa: F821
    # the invoice a credit note corrects, the original of a copy, the quote an invoice came from
    related: Mapped["Document | None"] = relationship(remote_side=[id], foreign_keys=[related_id])
    lines: Mapped[list["DocumentLine"]] = relationship(
        back_populates="document", order_by="DocumentLine.position", cascade="all, delete-orphan")
    adjustments: Mapped[list["DocumentAdjustment"]] = relationship(
        back_populates="document", order_by="DocumentAdjustment.id", cascade="all, delete-orphan")
    # a final invoice: the advance invoices it deducts
    deductions: Mapped[list["DocumentDeduction"]] = relationship(
        foreign_keys="DocumentDeduction.final_id", order_by="DocumentDeduction.id", cascade="all, delete-orphan",
        back_populates="final")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @hybrid_property
    def amount_due(self) -> int:
        """gross - credited - paid, in minor units; in a query, the same as an SQL expression."""
        return self.gross_total - self.credited_total - self.paid_total

    @property
    def deducted_total(self) -> int:
        """The gross totals of the advance invoices this invoice deducts: frozen at issue (``prepaid_total``, BT-113);
        a draft's as chosen now."""
        if not self.is_draft or self.flow == "purchases":  # a purchase: what the supplier's invoice deducts
            return self.prepaid_total
        return sum(d.amount for d in self.deductions)

    @property
    def payable_total(self) -> int:
        """What the document asks to be paid: the total less the advance invoices it deducts (BT-115)."""
        return self.gross_total - self.deducted_total + self.stated_rounding

    @property
    def stated_rounding(self) -> int:
        """The rounding amount a supplier's e-invoice adds to what is payable (BT-114; 0 for all else)."""
        return int((self.stated_totals or {}).get("rounding") or 0)

    @property
    def current_status(self) -> str:
        """The status the action table is read with (a sent quote past its date is expired)."""
        from webapp.domain.status import effective_status

        return effective_status(self.kind, self.status, self.valid_until, date.today())

    @property
    def shown_status(self) -> str:
        """The status pages show: what happened. An issued quote is stored "sent" (the state model's status
        for an open offer), but it shows "sent" only once it was e-mailed (``sent_at``, which
        services/sending.send sets when it queues the e-mail); before that it shows "issued"."""
        status = self.current_status
        if self.kind == "quote" and status == "sent" and self.sent_at is None:
            return "issued"
        return status

    @property
    def payment_state(self) -> str | None:
        """unpaid, partially_paid, paid, overpaid or credited for issued invoices; None otherwise."""
        from webapp.domain.status import payment_state

        if self.kind != "invoice" or self.status == "draft":
            return None
        return payment_state(self.gross_total, self.credited_total, self.paid_total)

    @property
    def is_overdue(self) -> bool:
        return (self.kind == "invoice" and self.status == "issued" and self.amount_due > 0
                and self.due_date is not None and self.due_date < date.today())

    def accounting_vat(self, org_currency: str | None) -> tuple[int, str] | None:
        """BT-111 and BT-6: the VAT total in the organization's currency and that currency, or None (no rate, or
        the document is in it). Frozen at issue; a draft's as it would be frozen now (``org_currency``: the
        organization's currency)."""
        if not self.is_draft:
            if self.tax_total_accounting is None or not self.accounting_currency:
                return None
            return self.tax_total_accounting, self.accounting_currency
        from webapp.domain.exchange import converted

        minor = converted(self.tax_total, self.currency, self.exchange_rate, org_currency)
        return None if minor is None else (minor, org_currency)

    def refresh_search(self) -> None:
        parts = (self.number or "", self.supplier_number or "", self.buyer_name)
        self.search_text = " ".join(p for p in parts if p).lower()[:300]


class DocumentLine(db.Model):
    __tablename__ = "document_line"
    __table_args__ = (
        Index("ix_document_line_document", "document_id", "position"),
        CheckConstraint(one_of("tax_category", TAX_CATEGORIES), name="tax_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), active_history=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal("1"))
    unit: Mapped[str] = mapped_column(String(20), default="piece")
    unit_price: Mapped[Decimal] = mapped_column(ScaledDecimal(6), default=Decimal("0"))
    discount_percent: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rate.id", ondelete="SET NULL"), nullable=True)
    # snapshot of the rate: what the document shows even if the rate changes or is archived
    tax_percent: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal("0"))
    tax_category: Mapped[str] = mapped_column(String(2), default="S")
    exemption_note: Mapped[str] = mapped_column(Text, default="")
    net_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units (BT-131)
    # EN 16931 BT-149: the unit price is per this many units (default 1; a price per 100 kg has 100)
    base_quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal("1"), server_default="10000")
    # EN 16931 BG-26: the line's own service period (BT-134 start, BT-135 end; either or both)
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    # the product's tax code (domain/tax_codes.py) the VAT rules read; "": the product's, else the organization's
    tax_code: Mapped[str] = mapped_column(String(9), default="", server_default="")
    # the country whose VAT the line follows, and the rule that said so (domain/vat_rules.py), with its decision:
    # {explanation, warning, vatex, exemption_type, oss, hand_set} (explanation/warning as domain.errors.text_json)
    tax_jurisdiction: Mapped[str] = mapped_column(String(2), default="", server_default="")
    tax_rule: Mapped[str] = mapped_column(String(40), default="", server_default="")
    tax_decision: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    stated_net: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # a supplier's BT-131 (inbox)
    # a purchase line: what it was for (models/catalog.ExpenseCategory); sales lines have none
    expense_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("expense_category.id", ondelete="RESTRICT"), nullable=True, index=True)
    # a credit note's line: the invoice line it credits (the quantity credited is the negated quantity)
    source_line_id: Mapped[int | None] = mapped_column(ForeignKey("document_line.id", ondelete="SET NULL"),
                                                       nullable=True, index=True)

    document: Mapped[Document] = relationship(back_populates="lines")
    expense_category: Mapped["ExpenseCategory | None"] = relationship(lazy="selectin")  # noqa: F821
    # EN 16931 BG-27 / BG-28: the line's own allowances and charges (in its net amount, BT-131)
    adjustments: Mapped[list["DocumentLineAdjustment"]] = relationship(
        back_populates="line", order_by="DocumentLineAdjustment.position", cascade="all, delete-orphan",
        lazy="selectin")  # the lines of a document read theirs in one query

    def amounts(self, kind: str) -> tuple[Decimal, ...]:
        """The amounts of the line's allowances (``kind`` "allowance") or charges, in their order."""
        return tuple(a.amount for a in self.adjustments if a.kind == kind)


class DocumentLineAdjustment(db.Model):
    """An allowance (BG-27) or charge (BG-28) of one line: an amount in major units (net, or gross when the
    document's prices include VAT, as the line's price), with a reason and/or an UNTDID reason code."""

    __tablename__ = "document_line_adjustment"
    __table_args__ = (
        Index("ix_document_line_adjustment_line", "line_id", "position"),
        CheckConstraint(one_of("kind", ADJUSTMENT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("document_line.id", ondelete="CASCADE"), active_history=True)
    kind: Mapped[str] = mapped_column(String(10))  # allowance, charge
    amount: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal("0"))
    reason: Mapped[str] = mapped_column(String(200), default="")  # BT-139 / BT-144
    reason_code: Mapped[str] = mapped_column(String(3), default="")  # BT-140 (UNTDID 5189) / BT-145 (7161)
    position: Mapped[int] = mapped_column(Integer, default=0)

    line: Mapped[DocumentLine] = relationship(back_populates="adjustments")


class DocumentAdjustment(db.Model):
    """A document-level amount allowance (discount) or charge (shipping, fees) with its tax rate."""

    __tablename__ = "document_adjustment"
    __table_args__ = (
        CheckConstraint(one_of("kind", ADJUSTMENT_KINDS), name="kind"),
        CheckConstraint(one_of("tax_category", TAX_CATEGORIES), name="tax_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True,
                                             active_history=True)
    kind: Mapped[str] = mapped_column(String(10))  # allowance, charge
    reason: Mapped[str] = mapped_column(String(200), default="")
    # BT-98 (UNTDID 5189) / BT-105 (UNTDID 7161); a reason or a code is required (BR-33, BR-38)
    reason_code: Mapped[str] = mapped_column(String(3), default="", server_default="")
    amount: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal("0"))
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rate.id", ondelete="SET NULL"), nullable=True)
    tax_percent: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal("0"))
    tax_category: Mapped[str] = mapped_column(String(2), default="S")
    exemption_note: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[Document] = relationship(back_populates="adjustments")


# --- issued documents never change ----------------------------------------------------------------

# What an issued document says. Only its status (e.g. issued -> cancelled) and bookkeeping fields
# added by later features may change once it is issued.
FROZEN_FIELDS = frozenset({
    "kind", "flow", "number", "contact_id", "currency", "prices_include_tax", "issue_date", "due_date",
    "service_date", "service_period_end", "payment_terms_days", "customer_reference", "notes",
    "discount_percent", "order_reference", "imported", "buyer_reference", "e_invoice_format", "buyer_name", "search_text", "seller", "buyer", "line_total", "allowance_total", "charge_total",
    "net_total", "tax_total", "gross_total", "tax_breakdown", "org_id", "pdf", "pdf_sha256", "valid_until",
    "related_id", "exchange_rate", "tax_total_accounting", "accounting_currency", "advance", "prepaid_total",
    "automatic_tax", "distance_sales_eur", "supplier_number", "stated_totals", "self_billed",
})


class ImmutableDocumentError(RuntimeError):
    """Something tried to change or delete an issued document."""


def _committed_status(document: Document) -> str | None:
    history = inspect(document).attrs.status.history
    if history.deleted:
        return history.deleted[0]
    return document.status if not history.added else None


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued_documents(session, flush_context, instances):
    dirty = session.dirty  # computed once: each read walks the whole identity map
    for obj in list(dirty) + list(session.deleted):
        if isinstance(obj, Document):
            status = _committed_status(obj)
            if status in (None, "draft"):
                continue
            if obj in session.deleted:
                raise ImmutableDocumentError(f"document {obj.id} is {status} and cannot be deleted")
            state = inspect(obj)
            changed = {a.key for a in state.attrs if a.key in FROZEN_FIELDS and a.history.has_changes()}
            new_status = obj.status
            # the status changes an issued document may still make: the transitions of domain/status.py
            if not state_model.status_change_allowed(obj.kind, status, new_status):
                raise ImmutableDocumentError(f"document {obj.id} is {status}; it cannot become {new_status}")
            if changed:
                raise ImmutableDocumentError(f"document {obj.id} is {status}; cannot change {sorted(changed)}")
    for obj in list(dirty) + list(session.deleted):
        if isinstance(obj, DocumentEInvoice) and (obj in session.deleted or session.is_modified(obj)):
            raise ImmutableDocumentError(f"the e-invoice {obj.id} of document {obj.document_id} cannot change")
    for obj in list(session.new) + list(dirty) + list(session.deleted):
        if isinstance(obj, DocumentDeduction) and (obj not in dirty or session.is_modified(obj)):
            final = session.get(Document, obj.final_id) if obj.final_id is not None else obj.final
            if final is not None and _committed_status(final) not in (None, "draft"):
                raise ImmutableDocumentError(f"document {final.id} is {final.status}; its deductions cannot change")
            continue
        if isinstance(obj, DocumentLineAdjustment):
            if obj in dirty and not session.is_modified(obj):
                continue
            # the line it belongs to now, and the one it belonged to: neither may be on an issued document
            line_ids = {obj.line_id, *inspect(obj).attrs.line_id.history.deleted}
            if obj.line is not None:
                line_ids.add(obj.line.id)
            for line_id in line_ids - {None}:
                line = session.get(DocumentLine, line_id)
                document = session.get(Document, line.document_id) if line is not None else None
                if document is not None and _committed_status(document) not in (None, "draft"):
                    raise ImmutableDocumentError(f"document {document.id} is {document.status}; its lines cannot change")
            continue  # a new line carrying it is checked as a line below
        if isinstance(obj, (DocumentLine, DocumentAdjustment)):
            if obj in dirty and not session.is_modified(obj):
                continue
            # the document it belongs to now, and the one it belonged to (a line may not leave an issued one)
            owners = {obj.document_id, *inspect(obj).attrs.document_id.history.deleted}
            if obj.document is not None:
                owners.add(obj.document.id)
            for document_id in owners - {None}:
                document = session.get(Document, document_id)
                if document is not None and _committed_status(document) not in (None, "draft"):
                    raise ImmutableDocumentError(f"document {document.id} is {document.status}; its lines cannot change")


class DocumentEInvoice(db.Model):
    """An e-invoice of an issued document (services/einvoice_xml.py): the XML as built and checked at issue, its
    SHA-256, and what the official rules found. Written once, in the issue's transaction; never changed."""

    __tablename__ = "document_einvoice"
    __table_args__ = (UniqueConstraint("document_id", "format"),
                      CheckConstraint("format IN ('facturx-cii', 'xrechnung-ubl', 'xrechnung-cii')", name="format"))

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(20))  # domain/einvoice.FORMATS
    xml: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    sha256: Mapped[str] = mapped_column(String(64))
    rules: Mapped[str] = mapped_column(String(100), default="")  # e.g. "EN 16931 1.3.16"
    # the findings that were not fatal (a fatal one refuses the issue): [{rule, flag, message, location}]
    findings: Mapped[list] = mapped_column(JSON, default=list)
    validated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship()


class DocumentDeduction(db.Model):
    """An advance invoice a final invoice deducts (services/deductions.py): chosen on the final invoice's draft;
    at issue checked again and frozen with the advance's gross total and VAT (minor units), never changed after."""

    __tablename__ = "document_deduction"
    __table_args__ = (UniqueConstraint("final_id", "advance_id"), Index("ix_document_deduction_advance", "advance_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    final_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    advance_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # the advance invoice's gross_total
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # its tax_total (the PDF names it)

    final: Mapped[Document] = relationship(foreign_keys=[final_id], back_populates="deductions")
    advance: Mapped[Document] = relationship(foreign_keys=[advance_id])


class DocumentNote(db.Model):
    """An internal note on a document (never shown to the customer), with any number of files (at most
    services/notes.MAX_FILES)."""
    __tablename__ = "document_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped["User | None"] = relationship()  # noqa: F821
    files: Mapped[list["DocumentNoteFile"]] = relationship(
        back_populates="note", order_by=lambda: (DocumentNoteFile.position, DocumentNoteFile.id),
        cascade="all, delete-orphan", passive_deletes=True)


class DocumentNoteFile(db.Model):
    """A file of a note: kept by services/storage.py under <org id>/<file_key> (outside static/)."""
    __tablename__ = "document_note_file"
    __table_args__ = (Index("ix_document_note_file_note", "note_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("document_note.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(200))
    file_mime: Mapped[str] = mapped_column(String(40))
    file_size: Mapped[int] = mapped_column(Integer)
    file_key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)  # the order the files were added in
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    note: Mapped[DocumentNote] = relationship(back_populates="files")


class DocumentFile(db.Model):
    """The supplier's file of a purchase (services/inbox.py): kept by services/storage.py under <org id>/<file_key>;
    the same bytes (``sha256``) once per organization. An e-invoice keeps its syntax, the official rules'
    findings (as ``DocumentEInvoice.findings``) and what the import noted (``text_json`` messages)."""
    __tablename__ = "document_file"
    __table_args__ = (UniqueConstraint("org_id", "sha256", name="uq_document_file_sha256"),
                      UniqueConstraint("document_id", name="uq_document_file_document"))

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(200))
    file_mime: Mapped[str] = mapped_column(String(60))
    file_size: Mapped[int] = mapped_column(Integer)
    file_key: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    syntax: Mapped[str] = mapped_column(String(10), default="", server_default="")  # cii, ubl; "" not an e-invoice
    rules: Mapped[str] = mapped_column(String(100), default="", server_default="")
    findings: Mapped[list | None] = mapped_column(JSON, nullable=True)  # None: not validated (not an e-invoice)
    notes: Mapped[list | None] = mapped_column(JSON, nullable=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship()
