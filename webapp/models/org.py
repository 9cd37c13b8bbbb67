"""Organizations (tenants), memberships and invitations."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from webapp.domain.roles import ROLES
from webapp.extensions import db
from webapp.models.types import UTCDateTime, one_of, utcnow


class Organization(db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # display name, e.g. the trading name
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    street2: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    vat_id: Mapped[str] = mapped_column(String(20), default="")
    tax_number: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    logo_mime: Mapped[str] = mapped_column(String(20), default="")
    logo_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    locale: Mapped[str] = mapped_column(String(10), default="en")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=14)
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    footer_text: Mapped[str] = mapped_column(Text, default="")
    # The invoice e-mail with {placeholders}; empty: the default text in the customer's language.
    invoice_email_subject: Mapped[str] = mapped_column(String(300), default="", server_default="")
    invoice_email_body: Mapped[str] = mapped_column(Text, default="", server_default="")
    invoice_email_attach_pdf: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Its e-mails come from "<sender name> <the address of MAIL_DEFAULT_SENDER>" (the address stays the server's,
    # so SPF/DKIM hold) with this Reply-To; empty: the organization's name and e-mail (sender_name, reply_address).
    email_sender_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    email_reply_to: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # The IANA time zone its screens show times in (times are stored in UTC); domain/timezones.py.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # the legal registration (EN 16931 BT-30), e.g. "HRB 12345 B, Amtsgericht Charlottenburg"
    registration_id: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # the person customers reach about invoices (EN 16931 BT-41; XRechnung requires it); empty: the org's name
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # every issued PDF is a Factur-X (PDF/A-3b with the EN 16931 CII embedded); off: a plain PDF
    facturx_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Automatic VAT (services/automatic_tax.py, docs/vat-rules.md): new drafts decide each line's VAT from the
    # parties and the product's tax code (``automatic_tax``); ``default_tax_code`` is a product's without one
    automatic_tax: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    default_tax_code: Mapped[str] = mapped_column(String(9), default="S10000000", server_default="S10000000")
    # a small business exempt from VAT (Kleinunternehmer, Section 19 UStG; the EU SME scheme): no VAT charged
    small_business: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # enrolled in the One-Stop-Shop (union scheme; non-Union scheme outside the EU) from this day
    oss_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    # opted for taxation at destination below the EUR 10,000 threshold (Article 59c(3), Directive 2006/112/EC)
    destination_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="organization", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"

    @property
    def display_name(self) -> str:
        return self.legal_name or self.name

    @property
    def sender_name(self) -> str:
        """The display name of the organization's e-mails."""
        return self.email_sender_name or self.name

    @property
    def reply_address(self) -> str:
        """Where replies to the organization's e-mails go ("" when it has no e-mail at all)."""
        return self.email_reply_to or self.email

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_mime)

    def missing_details(self) -> list[str]:
        """The company details an invoice needs that are still empty."""
        required = {
            "legal_name": "legal name",
            "street": "street",
            "postal_code": "postal code",
            "city": "city",
            "country": "country",
        }
        missing = [label for field, label in required.items() if not getattr(self, field)]
        if not (self.vat_id or self.tax_number):
            missing.append("VAT ID or tax number")
        return missing


class VatRegistration(db.Model):
    """A VAT registration of the organization in another country than its own (its home one is ``country`` and
    ``vat_id``): sales taxed there need no "register" warning."""

    __tablename__ = "vat_registration"
    __table_args__ = (UniqueConstraint("org_id", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    vat_id: Mapped[str] = mapped_column(String(20), default="")
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("org_id", "user_id"), CheckConstraint(one_of("role", ROLES), name="role"))

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: F821

    def __init__(self, **kwargs):
        if kwargs.get("role") not in ROLES:
            raise ValueError(f"unknown role {kwargs.get('role')!r}")
        super().__init__(**kwargs)


class Invitation(db.Model):
    """An e-mailed invitation to join an organization; the link carries a token whose hash is stored."""

    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint(one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    organization: Mapped[Organization] = relationship()
    invited_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()
