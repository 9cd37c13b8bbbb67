"""Frozen copies of seller and buyer: what an issued document keeps, and what a draft would keep now."""
from __future__ import annotations

from webapp.i18n import document_text
from webapp.extensions import db
from webapp.models import Contact, Document, Organization


def seller_snapshot(org: Organization) -> dict:
    return {k: getattr(org, k) for k in (
        "legal_name", "name", "street", "street2", "postal_code", "city", "region", "country", "vat_id",
        "tax_number", "email", "phone", "website", "bank_name", "iban", "bic", "footer_text", "locale", "contact_name", "registration_id")}


def buyer_snapshot(contact: Contact) -> dict:
    data = {k: getattr(contact, k) for k in (
        "company_name", "person_name", "email", "phone", "vat_id", "street", "street2", "postal_code", "city",
        "region", "country", "locale", "has_shipping_address", "shipping_name", "shipping_street",
        "shipping_street2", "shipping_postal_code", "shipping_city", "shipping_region", "shipping_country")}
    data["name"] = contact.display_name
    return data


def parties(doc: Document, org: Organization) -> tuple[dict, dict]:
    """(seller, buyer) as the document shows them: the copies frozen at issue, or for a draft the copies it
    would freeze now (``org`` is the document's organization)."""
    if doc.seller and doc.buyer:
        return doc.seller, doc.buyer
    contact = db.session.get(Contact, doc.contact_id) if doc.contact_id else None
    if doc.flow == "purchases":  # the supplier sold, the organization bought (purchases.book freezes them so)
        return buyer_snapshot(contact) if contact else {"name": document_text(doc, org, "No supplier yet")}, seller_snapshot(org)
    seller = doc.seller or seller_snapshot(org)
    if doc.buyer:
        return seller, doc.buyer
    return seller, buyer_snapshot(contact) if contact else {"name": document_text(doc, org, "No customer yet")}
