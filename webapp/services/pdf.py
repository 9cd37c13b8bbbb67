"""PDF documents with WeasyPrint, locked down.

The renderer gets a URL fetcher that allows ``data:`` URIs and files under ``static/`` only: nothing from
the network, no ``file://`` elsewhere, so user text can never make the server fetch or embed anything.
All user text reaches the template escaped (Jinja autoescape).
"""
from __future__ import annotations

import base64
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import gettext
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from webapp.i18n import customer_language, document_locale, page_counter_css
from webapp.models import Document, Organization
from webapp.services.snapshots import parties


STYLESHEET = "pdf/invoice.css"  # under static/


class StaticOnlyFetcher(URLFetcher):
    """Fetches ``data:`` URIs and files inside one folder; refuses everything else."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols={"data", "file"}, timeout=2)
        self.root = root.resolve()

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(self.root):
                raise ValueError(f"refused to read {url}: only files under static/ are allowed")
        elif scheme != "data":
            raise ValueError(f"refused to fetch {url}: documents never load anything from the network")
        return super().fetch(url, headers)


def logo_data_uri(org: Organization) -> str | None:
    if not org.has_logo or not org.logo:
        return None
    return f"data:{org.logo_mime};base64,{base64.b64encode(org.logo).decode()}"


def render_document_html(doc: Document, org: Organization) -> str:
    """The PDF's HTML source, in the customer's language (drafts show a DRAFT watermark)."""
    locale = document_locale(doc, org)
    with customer_language(locale):
        seller, buyer = parties(doc, org)
        # a self-billed invoice is the supplier's: the organization (its buyer) puts no logo on it
        logo = None if doc.flow == "purchases" else logo_data_uri(org)
        return render_template("pdf/invoice.html", doc=doc, org=org, locale=locale, logo=logo,
                               seller=seller, buyer=buyer,
                               qr=epc_qr_data_uri(doc), page_counter=page_counter_css(gettext("Page {page} of {pages}")))


_local = threading.local()


def _renderer_state(static: Path) -> tuple[FontConfiguration, CSS]:
    """The font configuration and the parsed stylesheet, made once per thread (a fifth of a render each)."""
    state = getattr(_local, "state", None)
    if state is None or state[0] != static:
        fonts = FontConfiguration()
        css = CSS(filename=str(static / STYLESHEET), font_config=fonts, url_fetcher=StaticOnlyFetcher(static))
        state = _local.state = (static, fonts, css)
    return state[1], state[2]


def render_html_pdf(html: str, pdf_a: bool = False) -> bytes:
    """The PDF of ``html``; with ``pdf_a`` a PDF/A-3b (the base of a Factur-X PDF: fonts embedded, an sRGB
    output intent, XMP metadata)."""
    static = Path(current_app.static_folder).resolve()
    fonts, css = _renderer_state(static)
    return HTML(string=html, base_url=static.as_uri() + "/", url_fetcher=StaticOnlyFetcher(static)).write_pdf(
        stylesheets=[css], font_config=fonts, pdf_variant="pdf/a-3b" if pdf_a else None)


def render_document_pdf(doc: Document, org: Organization) -> bytes:
    """The document as PDF bytes."""
    return render_html_pdf(render_document_html(doc, org))


def filename(doc: Document) -> str:
    return f"{doc.number}.pdf" if doc.number else f"draft-{doc.kind.replace('_', '-')}-{doc.id}.pdf"


def document_pdf(doc: Document, org: Organization) -> bytes:
    """The PDF a download serves: an issued document's stored bytes, unchanged; a draft rendered now. A purchase
    has none of Tallybook's (the supplier's document is its own)."""
    if doc.flow == "purchases" and not doc.self_billed:
        from webapp.domain.errors import ActionError

        raise ActionError("purchase_has_no_pdf", "A supplier's invoice has no PDF made by Tallybook: the supplier's "
                          "document is its own.")
    return doc.pdf if not doc.is_draft and doc.pdf else render_document_pdf(doc, org)


def epc_qr_data_uri(doc: Document, amount: int | None = None) -> str | None:
    """An SVG data URI of the EPC QR code for a EUR invoice with an IBAN, or None.

    ``amount`` (minor units) defaults to the invoice total less the advance invoices it deducts; the customer's
    page passes what is still due."""
    import segno

    from webapp.domain.epc import epc_payload
    from webapp.domain.money import from_minor

    seller = doc.seller or {}
    if doc.currency != "EUR" or not seller.get("iban"):
        return None
    payload = epc_payload(name=seller.get("legal_name") or seller.get("name", ""), iban=seller["iban"],
                          bic=seller.get("bic", ""), amount=from_minor(doc.payable_total if amount is None else amount, "EUR"),
                          reference=doc.number or "")
    if payload is None:
        return None
    return segno.make(payload, error="m", micro=False, encoding="utf-8").svg_data_uri(scale=3, border=2)
