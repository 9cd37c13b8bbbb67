"""E-invoices of issued documents: the XML to download (the invoice page, the API), as stored at issue."""
from __future__ import annotations

from dataclasses import dataclass

from webapp.domain.einvoice import E_INVOICE_KINDS, FACTURX, FORMATS
from webapp.domain.errors import ActionError, Text
from webapp.models import Document
from webapp.services import einvoice_check, einvoice_xml
from webapp.usecases import Actor, load, usecase

DRAFT_HAS_NONE = Text("A draft has no e-invoice yet: issue it first.")
KIND_HAS_NONE = Text("Only invoices and credit notes have an e-invoice.")
PURCHASE_HAS_NONE = Text("A supplier's invoice has no e-invoice made by Tallybook: the supplier's file is its own.")
UNKNOWN_FORMAT = Text("There is no e-invoice format {format}: use xrechnung-ubl, xrechnung-cii or facturx-cii.")


@dataclass(frozen=True)
class EInvoiceFile:
    data: bytes
    filename: str
    format: str
    mimetype: str = "application/xml"


def default_format(doc: Document) -> str:
    """The format a download without one serves: the customer's e-invoice, else the Factur-X CII."""
    return einvoice_xml.effective_format(doc) or FACTURX


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ActionError("unknown_e_invoice_format", UNKNOWN_FORMAT, "format", format=str(fmt)[:40])
    return fmt


@usecase
def download(actor: Actor, document_id: int, fmt: str | None = None) -> EInvoiceFile:
    """The document's XML in ``fmt`` (None: ``default_format``): the bytes stored at issue, or for a document
    not stored at issue, built from its frozen figures and checked by the official rules (nothing is written)."""
    actor.require("view")
    doc = load(actor, Document, document_id, "document")
    if doc.is_draft:
        raise ActionError("document_is_draft", DRAFT_HAS_NONE)
    if doc.kind not in E_INVOICE_KINDS:
        raise ActionError("no_e_invoice", KIND_HAS_NONE)
    if doc.flow == "purchases" and not doc.self_billed:
        raise ActionError("no_e_invoice", PURCHASE_HAS_NONE)
    fmt = check_format(fmt) if fmt else default_format(doc)
    return EInvoiceFile(einvoice_check.served(doc, actor.org, fmt), einvoice_xml.filename(doc, fmt), fmt)
