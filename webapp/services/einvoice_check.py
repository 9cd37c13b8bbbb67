"""The e-invoices an issue stores, checked by the official rules before they leave (issue 15).

At issue, every XML the document will carry is built from the frozen figures and validated (``check``): the
customer's format (required) and, when the organization puts Factur-X in every PDF, the Factur-X CII. A fatal
finding in a required one refuses the issue with the fix in words (``refuse_if_fatal``, from
``domain/einvoice.rule_fix``); a failing Factur-X nobody asked for is left out of the PDF (``passing``).
Warnings are stored and shown. The XML, its SHA-256 and what was found are stored in the issue's transaction
(``store``), and the Factur-X XML is embedded in the stored PDF/A-3b as ``factur-x.xml`` (``embed``, by the
``factur-x`` package). Downloads of a format not stored at issue are checked the same way (``served``).

Validation is the slow part after rendering: ``issuing.prepare_issue_pdf`` runs it before the number lock is
taken, and ``check`` under the lock reuses a report for an XML that is byte-identical.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from webapp.domain.einvoice import E_INVOICE_KINDS, FACTURX, XRECHNUNG, rule_fix
from webapp.domain.errors import ActionError, Text, joined
from webapp.extensions import db
from webapp.i18n import document_locale
from webapp.models import Document, DocumentEInvoice, Organization
from webapp.services import einvoice, einvoice_xml

MAX_FIXES = 8  # the refusal names at most this many fixes; more are counted

NOT_HANDED_OUT = Text("This e-invoice would fail the official rules, so it cannot be downloaded: {problems}")
REFUSED = {"invoice": Text("This invoice cannot be issued: its e-invoice would fail the official rules. {problems}"),
           "credit_note": Text("This credit note cannot be issued: its e-invoice would fail the official rules. "
                               "{problems}")}


@dataclass(frozen=True)
class Checked:
    """One e-invoice as built and checked for an issue. ``required``: the customer gets it (their format, or the
    document's choice); a Factur-X only there because the organization puts it in every PDF is not required."""
    format: str
    xml: bytes
    report: einvoice.Report
    required: bool = True

    @property
    def rules(self) -> str:
        """The rules it was checked with, as the invoice page names them."""
        cen = f"EN 16931 {self.report.cen_rules}"
        return f"XRechnung 3.0 (KoSIT), {cen}" if self.report.xrechnung else cen


def formats(doc: Document, org: Organization) -> list[tuple[str, bool]]:
    """The e-invoices an issue of ``doc`` builds, each with whether it is required: the customer's format, and
    the Factur-X of the PDF when the organization has it on."""
    if doc.kind not in E_INVOICE_KINDS:
        return []
    if doc.self_billed:  # made out for the supplier: the Factur-X of its PDF, always
        return [(FACTURX, True)]
    chosen = einvoice_xml.effective_format(doc)
    wanted = [(chosen, True)] if chosen else []
    if org.facturx_enabled and chosen != FACTURX:
        wanted.insert(0, (FACTURX, False))
    return wanted


def _validate(fmt: str, xml: bytes) -> einvoice.Report:
    return einvoice.validator().validate(xml, xrechnung=fmt in XRECHNUNG)


def check(doc: Document, org: Organization, earlier: tuple[Checked, ...] = ()) -> tuple[Checked, ...]:
    """Build and validate every e-invoice of the (frozen, unflushed) document; a report of ``earlier`` is reused
    for an XML that is byte-identical to the one it was made for."""
    before = {c.format: c for c in earlier}
    out = []
    for fmt, required in formats(doc, org):
        xml = einvoice_xml.build(doc, org, fmt)
        prior = before.get(fmt)
        report = prior.report if prior is not None and prior.xml == xml else _validate(fmt, xml)
        out.append(Checked(fmt, xml, report, required))
    return tuple(out)


def passing(checked: tuple[Checked, ...]) -> tuple[Checked, ...]:
    """What an issue stores and hands out: every e-invoice without a fatal finding. A Factur-X that is not
    required and fails (a consumer without an address, say) is left out of the PDF instead of refusing the issue:
    no e-invoice that fails the rules leaves Tallybook, and a plain invoice is not held up by one nobody asked for."""
    return tuple(c for c in checked if c.report.ok)


def refusing(checked: tuple[Checked, ...]) -> bool:
    return any(c.required and not c.report.ok for c in checked)


def fix_texts(checked: tuple[Checked, ...]) -> list[Text]:
    """What to fix, once per distinct fix, in the order the rules found them."""
    texts: list[Text] = []
    for item in checked:
        for finding in item.report.fatal:
            fix = rule_fix(finding.rule_id)
            text = Text(fix) if fix else Text("{rule}: {message}", rule=finding.rule_id, message=finding.message)
            if text not in texts:
                texts.append(text)
    if len(texts) > MAX_FIXES:
        texts = texts[:MAX_FIXES] + [Text("And {count} more.", count=len(texts) - MAX_FIXES)]
    return texts


def refuse_if_fatal(doc: Document, checked: tuple[Checked, ...]) -> None:
    """Refuse the issue when an e-invoice the customer gets fails the rules, naming the fixes."""
    fixes = fix_texts(tuple(c for c in checked if c.required))
    if fixes:
        raise ActionError("e_invoice_invalid", REFUSED[doc.kind], problems=joined(fixes))


def served(doc: Document, org: Organization, fmt: str) -> bytes:
    """What a download serves: the XML stored at issue, byte for byte; one not stored at issue (another format,
    or a document issued before e-invoices were stored) is built from the frozen figures and checked now, and
    refused with the fixes if it fails the rules (nothing is written)."""
    row = einvoice_xml.stored(doc, fmt)
    if row is not None:
        return row.xml
    xml = einvoice_xml.build(doc, org, fmt)
    fixes = fix_texts((Checked(fmt, xml, _validate(fmt, xml)),))
    if fixes:
        raise ActionError("e_invoice_invalid", NOT_HANDED_OUT, problems=joined(fixes))
    return xml


def facturx_xml(checked: tuple[Checked, ...]) -> bytes | None:
    return next((c.xml for c in checked if c.format == FACTURX), None)


def embed(pdf: bytes, xml: bytes, doc: Document, org: Organization) -> bytes:
    """The PDF/A-3b ``pdf`` with the Factur-X ``xml`` embedded as ``factur-x.xml`` (AFRelationship Data) and the
    XMP Factur-X extension schema naming the EN 16931 conformance level."""
    import facturx

    seller = (doc.seller or {}).get("legal_name") or org.legal_name or org.name
    title = f"{seller}: {doc.number}"
    metadata = {"author": seller, "keywords": "Factur-X, EN 16931", "title": title,
                "subject": f"{doc.number} ({doc.issue_date.isoformat() if doc.issue_date else ''})"}
    return facturx.generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=False,
                                        pdf_metadata=metadata, lang=str(document_locale(doc, org)).replace("_", "-"))


def store(org: Organization, doc: Document, checked: tuple[Checked, ...]) -> None:
    """The checked XMLs, stored once in the issue's transaction (never changed: see models.DocumentEInvoice)."""
    for item in checked:
        db.session.add(DocumentEInvoice(
            org_id=org.id, document=doc, format=item.format, xml=item.xml,
            sha256=hashlib.sha256(item.xml).hexdigest(), rules=item.rules,
            findings=[{"rule": f.rule_id, "flag": f.flag, "message": f.message, "location": f.location}
                      for f in item.report.warnings]))


def render_stored(org: Organization, doc: Document, html: str, facturx: bytes | None) -> bytes:
    """The stored PDF: PDF/A-3b with the Factur-X XML embedded when the document carries one."""
    from webapp.services import pdf

    if facturx is None:
        return pdf.render_html_pdf(html)
    return embed(pdf.render_html_pdf(html, pdf_a=True), facturx, doc, org)
