"""Contacts (customers and suppliers) and the custom fields an organization defines for them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.einvoice import PREFERENCE_SQL
from webapp.domain.units import _n
from webapp.extensions import db
from webapp.models.types import ScaledDecimal, UTCDateTime, utcnow

ADDRESS_FIELDS = ("street", "street2", "postal_code", "city", "region", "country")


class Contact(db.Model):
    __tablename__ = "contact"
    __table_args__ = (
        Index("ix_contact_org_sort_name", "org_id", "archived", "sort_name"),
        Index("ix_contact_org_email", "org_id", "email"),
        Index("ix_contact_org_created", "org_id", "archived", "created_at"),
        # the shop's own id of its customer (the API's recipient_identifier / external_id): one per organization
        Index("uq_contact_external_id", "org_id", "external_id", unique=True,
              sqlite_where=text("external_id IS NOT NULL"), postgresql_where=text("external_id IS NOT NULL")),
        CheckConstraint(PREFERENCE_SQL, name="e_invoice_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    is_customer: Mapped[bool] = mapped_column(Boolean, default=True)
    is_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    person_name: Mapped[str] = mapped_column(String(200), default="")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")  # lower-cased
    phone: Mapped[str] = mapped_column(String(40), default="")
    locale: Mapped[str] = mapped_column(String(10), default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    vat_id: Mapped[str] = mapped_column(String(20), default="")
    # a business (B2B) or a consumer (B2C): what the VAT rules need besides the country and VAT ID
    is_business: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # the optional online check of ``vat_id`` (services/vies.py) and when it answered; None: not checked (the
    # offline check by python-stdnum is all the rules use then)
    vat_id_valid: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    vat_id_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the reference the buyer wants on its invoices (BT-10: e.g. the Leitweg-ID of a German public buyer)
    buyer_reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # the e-invoice this customer receives (domain/einvoice.PREFERENCES): "" none (the PDF alone)
    e_invoice_format: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # the id the organization's shop or ERP knows this customer by (seed 004's recipient_identifier); None: none
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    street2: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    has_shipping_address: Mapped[bool] = mapped_column(Boolean, default=False)
    shipping_name: Mapped[str] = mapped_column(String(200), default="")
    shipping_street: Mapped[str] = mapped_column(String(200), default="")
    shipping_street2: Mapped[str] = mapped_column(String(200), default="")
    shipping_postal_code: Mapped[str] = mapped_column(String(20), default="")
    shipping_city: Mapped[str] = mapped_column(String(100), default="")
    shipping_region: Mapped[str] = mapped_column(String(100), default="")
    shipping_country: Mapped[str] = mapped_column(String(2), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lower-cased name, company, e-mail and phone: what the list's search matches (trigram index on PostgreSQL).
    search_text: Mapped[str] = mapped_column(Text, default="")
    sort_name: Mapped[str] = mapped_column(String(200), default="")  # lower-cased display name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    field_values: Mapped[list["ContactFieldValue"]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def display_name(self) -> str:
        return self.company_name or self.person_name

    def refresh_search(self) -> None:
        self.sort_name = self.display_name.lower()[:200]
        self.search_text = " ".join(
            p for p in (self.person_name, self.company_name, self.email, self.phone) if p).lower()


class CustomField(db.Model):
    """A field an organization adds to its contacts or to its invoices (``applies_to``): one definition, one set
    of types and rules; the values live beside what they describe (``ContactFieldValue``,
    ``DocumentFieldValue``). Keys are unique in the organization across both."""

    __tablename__ = "custom_field"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    TYPES = {  # labels: translated where shown
        "text": _n("Text"),
        "number": _n("Number"),
        "date": _n("Date"),
        "checkbox": _n("Checkbox"),
        "choice": _n("Single choice"),
        "multichoice": _n("Multiple choice"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))  # used in URLs and CSV headers
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list] = mapped_column(JSON, default=list)  # for choice and multichoice
    position: Mapped[int] = mapped_column(Integer, default=0)
    applies_to: Mapped[str] = mapped_column(String(20), default="customer", server_default="customer")


APPLIES_TO = {"customer": _n("Customers"), "invoice": _n("Invoices")}  # labels: translated where shown


class ContactFieldValue(db.Model):
    """One value of a custom field (a multiple choice has one row per chosen option)."""

    __tablename__ = "contact_field_value"
    __table_args__ = (
        Index("ix_contact_field_value_text", "field_id", "value_text"),
        Index("ix_contact_field_value_number", "field_id", "value_number"),
        Index("ix_contact_field_value_date", "field_id", "value_date"),
        Index("ix_contact_field_value_contact", "contact_id", "field_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_field.id", ondelete="CASCADE"))
    value_text: Mapped[str | None] = mapped_column(String(500), nullable=True)  # text, choice, checkbox
    value_number: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    value_date: Mapped[date | None] = mapped_column(Date, nullable=True)

    contact: Mapped[Contact] = relationship(back_populates="field_values")
    field: Mapped[CustomField] = relationship()


class DocumentFieldValue(db.Model):
    """One value of an invoice's custom field (``applies_to = invoice``); the same shape as ``ContactFieldValue``."""

    __tablename__ = "document_field_value"
    __table_args__ = (
        Index("ix_document_field_value_text", "field_id", "value_text"),
        Index("ix_document_field_value_number", "field_id", "value_number"),
        Index("ix_document_field_value_date", "field_id", "value_date"),
        Index("ix_document_field_value_document", "document_id", "field_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_field.id", ondelete="CASCADE"))
    value_text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    value_number: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    value_date: Mapped[date | None] = mapped_column(Date, nullable=True)

    field: Mapped[CustomField] = relationship()
