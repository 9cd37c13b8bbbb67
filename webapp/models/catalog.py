"""The product catalog and tax rates."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import false, Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.domain.tax import TAX_CATEGORIES
from webapp.extensions import db
from webapp.models.types import ScaledDecimal, UTCDateTime, one_of, utcnow


class TaxRate(db.Model):
    __tablename__ = "tax_rate"
    __table_args__ = (Index("ix_tax_rate_org", "org_id", "archived"),
                      CheckConstraint(one_of("category", TAX_CATEGORIES), name="category"))

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    percent: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    category: Mapped[str] = mapped_column(String(2))  # EN 16931: S, Z, E, AE, K, G, O
    exemption_note: Mapped[str] = mapped_column(Text, default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by the first issued document that uses the rate; from then on it can only be archived.
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def in_use(self) -> bool:
        return self.first_used_at is not None

    @property
    def label(self) -> str:
        """As audit summaries name it (plain digits); screens use ``i18n.tax_rate_label`` (the member's locale)."""
        return self.label_with(f"{self.percent.normalize():f}")

    def label_with(self, percent: str) -> str:
        return f"{self.name} ({percent} %, {self.category})"


class Product(db.Model):
    __tablename__ = "product"
    __table_args__ = (
        Index("ix_product_org_sort_name", "org_id", "archived", "sort_name"),
        Index("ix_product_org_sku", "org_id", "sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20), default="piece")  # key of domain.units.UNITS
    unit_price: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    price_includes_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rate.id", ondelete="RESTRICT"), nullable=True)
    sku: Mapped[str] = mapped_column(String(64), default="")
    # what it is for VAT (domain/tax_codes.py, e.g. D10000000 SaaS); "": the organization's default_tax_code
    tax_code: Mapped[str] = mapped_column(String(9), default="", server_default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    sort_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tax_rate: Mapped[TaxRate | None] = relationship()

    def refresh_search(self) -> None:
        self.sort_name = self.name.lower()[:200]
        self.search_text = " ".join(p for p in (self.name, self.sku, (self.description or "")[:200]) if p).lower()


class ExpenseCategory(db.Model):
    """What a purchase line was for (rent, materials, software ...): the organization's own short list, with an
    optional account number of its chart of accounts for the accountant. Archived, never deleted, once in use."""
    __tablename__ = "expense_category"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_expense_category_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    account: Mapped[str] = mapped_column(String(20), default="", server_default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.account})" if self.account else self.name
