"""The exchange rate a document states (EN 16931 BT-6 / BT-111): what a draft keeps of it as its header changes,
and the VAT total in the organization's currency frozen at issue (``domain/exchange.py`` holds the arithmetic).

A rate belongs to the currency it converts: changing a draft's currency drops the rate it had (unless a new one
comes with the change), and a document in the organization's own currency keeps none. A credit note states the rate
of the invoice it corrects (``corrections``: a draft credit note is not edited), converting at the invoice's rate.
"""
from __future__ import annotations

from webapp.domain.errors import ActionError
from webapp.domain.exchange import check_rate, converted
from webapp.extensions import db
from webapp.models import Document, Organization
from webapp.services.calculation import MAX_AMOUNT_MINOR


def header_rate(doc: Document, values: dict) -> dict:
    """``values`` (a header change of ``doc``) with the exchange rate the draft keeps after it; ActionError for a
    rate that is wrong, or one given to a document in the organization's own currency."""
    if "exchange_rate" not in values and "currency" not in values:
        return values
    currency = values.get("currency", doc.currency)
    rate = values.get("exchange_rate", doc.exchange_rate)
    new = rate != doc.exchange_rate
    if new:
        check_rate(rate)
    elif currency != doc.currency:
        rate = None  # the old currency's rate goes with it
    org = db.session.get(Organization, doc.org_id)
    if currency == org.currency:
        if new and rate is not None:
            raise ActionError("exchange_rate_not_needed", "The document is in your own currency ({currency}): it "
                              "needs no exchange rate.", "exchange_rate", currency=currency)
        rate = None
    return {**values, "exchange_rate": rate}


def freeze(doc: Document, org: Organization) -> None:
    """At issue (``issuing._freeze``, after the totals): the VAT total in the organization's currency at the
    document's rate (BT-111, rounded half-up to its minor units) and that currency (BT-6); none without a rate or
    in the organization's own currency (whose rate, if any, is dropped)."""
    if doc.currency == org.currency:
        doc.exchange_rate = None
    minor = converted(doc.tax_total, doc.currency, doc.exchange_rate, org.currency)
    if minor is not None and abs(minor) >= MAX_AMOUNT_MINOR:
        raise ActionError("amount_too_large", "The VAT total in {currency} at this exchange rate is too large for one "
                          "invoice.", "exchange_rate", currency=org.currency)
    doc.tax_total_accounting = minor
    doc.accounting_currency = org.currency if minor is not None else None
