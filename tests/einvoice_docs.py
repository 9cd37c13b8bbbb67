"""What the e-invoice screen, API and e-mail tests share: an organization and customers whose invoices pass the
XRechnung rules (seller contact, e-mail and phone, IBAN; the buyer's address, e-mail and buyer reference), and
the stored e-invoice row of an issued document."""
from __future__ import annotations

import hashlib

from tests import factories
from webapp.extensions import db
from webapp.models import DocumentEInvoice, Organization
from webapp.models.types import utcnow
from webapp.services import einvoice_xml

LEITWEG_ID = "04011000-12345-03"


def ready(org: Organization) -> Organization:
    """``org`` with what an XRechnung names of its seller (BT-41 to BT-43, BT-34) besides the company details."""
    factories.complete_org(org)
    org.email, org.phone, org.contact_name = "billing@seller.example", "+49 30 1234567", "Jana Buchhalter"
    db.session.commit()
    return org


def customer(org: Organization, e_invoice_format: str = "xrechnung-ubl", buyer_reference: str = LEITWEG_ID,
             name: str = "Stadt Musterhausen", **values):
    return factories.contact(org, name, email="rechnung@musterhausen.example", street="Rathausplatz 1",
                             postal_code="20095", city="Hamburg", buyer_reference=buyer_reference,
                             e_invoice_format=e_invoice_format, **values)


def stored_row(doc, fmt: str, marker: bytes = b"") -> DocumentEInvoice:
    """The document's stored e-invoice in ``fmt``: the one issuing stored, else one written here as issuing writes
    it (the XML built from the frozen figures; ``marker``, an XML comment, tells stored bytes from a rebuild)."""
    row = einvoice_xml.stored(doc, fmt)
    if row is None:
        org = db.session.get(Organization, doc.org_id)
        xml = einvoice_xml.build(doc, org, fmt) + marker
        row = DocumentEInvoice(org_id=doc.org_id, document_id=doc.id, format=fmt, xml=xml,
                               sha256=hashlib.sha256(xml).hexdigest(),
                               rules="EN 16931 1.3.16" if fmt == "facturx-cii" else "XRechnung 3.0",
                               findings=[], validated_at=utcnow())
        db.session.add(row)
        db.session.commit()
    return row
