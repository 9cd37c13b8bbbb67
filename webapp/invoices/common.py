"""What the invoice route modules share: loading a document for a page, the editor's context, the document
page (the full page a refused note or a reload renders)."""
from __future__ import annotations

import secrets
from functools import partial

from babel.numbers import format_decimal
from flask import abort, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from webapp.domain import status as status_table
from webapp.extensions import db
from webapp.forms import ButtonForm, clean_line
from webapp.htmx import render
from webapp.i18n import member_locale
from webapp.invoices.forms import (KEEP_TAX, AdjustmentForm, HeaderForm, LineForm, MarkPaidForm, QuickCustomerForm,
                                   e_invoice_choices, line_tax_code_choices, rate_choices)
from webapp.domain.einvoice import FORMAT_LABELS
from webapp.models import (AuditEvent, Contact, Document, DocumentAdjustment, DocumentEInvoice, DocumentFile,
                           DocumentLine, DocumentNote, OutboxMessage, TaxRate)
from webapp.services import (attributes, automatic_tax, deductions, einvoice_xml, issuing, links, payments, purchases,
                             snapshots)
from webapp.domain.errors import text_from_json
from webapp.services import expense_categories
from webapp.services import notes as note_rules
from webapp.services.drafts import PAYMENT_TERMS
from webapp.tenancy import current_actor, current_org, get_or_404, scoped
from webapp.usecases.documents import allowed_actions
from webapp.usecases.einvoices import E_INVOICE_KINDS


def load(document_id: int) -> Document:
    return get_or_404(Document, document_id)


def sent_version() -> int:
    """The editor's current version (kept up to date out of band), or the form's own without JavaScript.
    A change without a version is refused like a stale one."""
    for name in ("current_version", "version"):
        value = request.form.get(name, type=int)
        if value is not None:
            return value
    return -1


def rates(extra=()) -> list[TaxRate]:
    """The active tax rates, plus the archived ones the draft still uses."""
    found = db.session.scalars(scoped(TaxRate).where(TaxRate.archived.is_(False))
                               .order_by(TaxRate.is_default.desc(), TaxRate.category, TaxRate.percent.desc())).all()
    ids = {r.id for r in found}
    found = list(found)
    for rate_id in extra:
        if rate_id and rate_id not in ids:
            rate = db.session.get(TaxRate, rate_id)
            if rate is not None and rate.org_id == current_org().id:
                found.append(rate)
    return found


def customer_matches() -> tuple[str, list[Contact]]:
    q = clean_line(request.args.get("q", ""))[:100]
    if not q:
        return q, []
    return q, db.session.scalars(scoped(Contact).where(Contact.archived.is_(False),
                                                       Contact.search_text.contains(q.lower(), autoescape=True))
                                 .order_by(Contact.sort_name).limit(10)).all()


def header_form(doc: Document, formdata=None) -> HeaderForm:
    terms = str(doc.payment_terms_days) if doc.payment_terms_days in PAYMENT_TERMS else "custom"
    form = HeaderForm(formdata=formdata, obj=doc, payment_terms=terms,
                      payment_terms_custom=doc.payment_terms_days if terms == "custom" else None,
                      e_invoice="customer" if doc.e_invoice_format is None else doc.e_invoice_format)
    contact = db.session.get(Contact, doc.contact_id) if doc.contact_id else None
    form.e_invoice.choices = e_invoice_choices(contact.e_invoice_format if contact is not None else "")
    if doc.flow == "purchases":  # the supplier's document: its date, the organization's order reference
        form.chosen_issue_date.label.text = _("Invoice date")
        form.chosen_issue_date.description = _("The supplier's date; empty: the day you book it.")
        form.customer_reference.label.text = _("Our order reference")
    return form


def deduction_choices(doc: Document) -> list[tuple[Document, bool]]:
    """The advance invoices the final invoice's draft may deduct, each with whether it does (a chosen one that can no
    longer be deducted stays listed, ticked, until it is unticked: issuing refuses it and says why)."""
    chosen = {d.advance_id: d.advance for d in doc.deductions}
    offered = {a.id: a for a in deductions.candidates(doc)}
    return [(a, a.id in chosen) for a in sorted({**offered, **chosen}.values(), key=lambda a: (a.issue_date, a.id))]




def _as_entered(form, item, formdata) -> None:
    """A line or adjustment whose VAT names none of the organization's rates (a supplier's rate, read from its
    e-invoice) is offered that VAT as entered (``KEEP_TAX``), chosen until another rate is."""
    if item.tax_rate_id is None and (item.tax_category != "O" or item.tax_percent):
        label = _("%(category)s %(rate)s %% (as entered)", category=item.tax_category,
                  rate=format_decimal(item.tax_percent.normalize(), locale=member_locale()))
        form.tax_rate_id.choices = [(KEEP_TAX, label), *form.tax_rate_id.choices]
        if formdata is None:
            form.tax_rate_id.data = KEEP_TAX


def category_choices(doc: Document, lines) -> list:
    """A purchase's expense categories to choose from (the archived ones ``lines`` still use too); none for sales."""
    if doc.flow != "purchases":
        return []
    keep = {line.expense_category_id for line in lines if line.expense_category_id}
    return [(0, "—"), *((c.id, c.label) for c in expense_categories.of(doc.org_id, keep=keep))]


QUICK_ROWS = 3  # the quick entry's rows on screen (usecases/inbox.MAX_QUICK_ROWS may be sent)


def quick_forms(doc: Document, formdata=None) -> list:
    """The quick entry's rows of a purchase draft without lines (``q0``, ``q1`` ...): rate, net, VAT, category."""
    if doc.flow != "purchases" or doc.lines:
        return []
    from webapp.purchases.forms import QuickRowForm

    from webapp.services.calculation import default_tax_rate

    rate_list, categories = rate_choices(rates([])), category_choices(doc, [])
    default = default_tax_rate(current_org())
    forms = []
    for index in range(QUICK_ROWS):
        form = QuickRowForm(formdata=formdata, prefix=f"q{index}")
        form.tax_rate_id.choices, form.expense_category_id.choices = rate_list, categories
        if formdata is None and index == 0 and default is not None:
            form.tax_rate_id.data = default.id
        forms.append(form)
    return forms


def line_form(line: DocumentLine, choices, formdata=None, categories=None) -> LineForm:
    form = LineForm(formdata=formdata, obj=line, prefix=f"l{line.id}", tax_rate_id=line.tax_rate_id or 0)
    automatic = line.document is not None and line.document.automatic_tax
    form.tax_rate_id.choices = rate_choices(choices, automatic)
    _as_entered(form, line, formdata)
    if line.document is not None and line.document.flow == "purchases":
        form.expense_category_id.choices = categories if categories is not None else category_choices(
            line.document, [line])
        if formdata is None:
            form.expense_category_id.data = line.expense_category_id or 0
    form.tax_code.choices = line_tax_code_choices(current_org().default_tax_code)
    return form


def adjustment_form(adj: DocumentAdjustment, choices, formdata=None) -> AdjustmentForm:
    form = AdjustmentForm(formdata=formdata, obj=adj, prefix=f"a{adj.id}", tax_rate_id=adj.tax_rate_id or 0)
    form.tax_rate_id.choices = rate_choices(choices, adj.document is not None and adj.document.automatic_tax)
    _as_entered(form, adj, formdata)
    return form


def parties(doc: Document) -> tuple[dict, dict]:
    """(seller, buyer) as the document shows them: frozen at issue, as they would be frozen now for a draft."""
    return snapshots.parties(doc, current_org())


def editor_context(doc: Document, **extra) -> dict:
    return line_context(doc, None, **extra)


def line_context(doc: Document, lines=(), **extra) -> dict:
    """The editor's context for rendering ``lines`` only (None: every line; the rates offered are the active
    ones plus the archived ones those lines or the adjustments still use): a line change never reads the draft's
    other lines."""
    rate_ids = [x.tax_rate_id for x in [*(doc.lines if lines is None else lines), *doc.adjustments]]
    seller, buyer = parties(doc)
    context = {"doc": doc, "rates": rates(rate_ids), "terms": PAYMENT_TERMS, "seller": seller, "buyer": buyer,
               "problems": issuing.issue_problems(current_org(), doc), "button_form": ButtonForm(),
               "header_form_for": header_form, "deduction_choices": deduction_choices,
               "line_form_for": partial(line_form, categories=category_choices(
                   doc, doc.lines if lines is None else lines)) if doc.flow == "purchases" else line_form,
               "adjustment_form_for": adjustment_form, "quick_forms_for": quick_forms,
               "quick_form": QuickCustomerForm(formdata=None, country=current_org().country),
               "tax_explanation": automatic_tax.explanation, "tax_warning": automatic_tax.warning}
    context.update(extra)
    return context


def show_page(document_id: int, status: int = 200, note_draft: str = "", note_error: str = "",
              note_file_error: tuple[int, str] | None = None):
    """The document's page: the document, the actions its status allows the member, payments, notes, activity."""
    doc = db.session.scalar(scoped(Document).where(Document.id == document_id)
                            .options(selectinload(Document.lines), selectinload(Document.adjustments)))
    if doc is None:
        abort(404)
    events = db.session.scalars(scoped(AuditEvent).where(AuditEvent.object_type == "document",
                                                         AuditEvent.object_id == doc.id)
                                .order_by(AuditEvent.id.desc()).limit(50)).all()
    deliveries = {m.id: m for m in db.session.scalars(scoped(OutboxMessage).where(OutboxMessage.document_id == doc.id))}
    seller, buyer = parties(doc)
    has_einvoice = not doc.is_draft and doc.kind in E_INVOICE_KINDS and doc.flow == "sales"
    supplier_file = db.session.scalar(scoped(DocumentFile).where(DocumentFile.document_id == doc.id)) \
        if doc.flow == "purchases" else None
    return render("invoices/show.html", status=status, doc=doc, actions=allowed_actions(current_actor(), doc),
                  has_einvoice=has_einvoice, format_labels=FORMAT_LABELS, supplier_file=supplier_file,
                  supplier_file_notes=[text_from_json(n) for n in (supplier_file.notes or [])] if supplier_file else [],
                  differences=purchases.differences(doc) if doc.flow == "purchases" else [],
                  einvoice_format=einvoice_xml.effective_format(doc) if has_einvoice else "",
                  einvoices=db.session.scalars(scoped(DocumentEInvoice).where(DocumentEInvoice.document_id == doc.id)
                                               .order_by(DocumentEInvoice.id)).all() if has_einvoice else [],
                  **attributes.page_context(doc),
                  events=events, rates=[], public_link=links.public_link(doc), seller=seller, buyer=buyer,
                  tax_explanation=automatic_tax.explanation, tax_warning=automatic_tax.warning,
                  deliveries=deliveries, payments=payments.payments_of(doc) if not doc.is_draft else [],
                  notes=db.session.scalars(scoped(DocumentNote).where(DocumentNote.document_id == doc.id)
                                           .options(selectinload(DocumentNote.files))
                                           .order_by(DocumentNote.id.desc())).all(),
                  note_draft=note_draft, note_error=note_error, note_file_error=note_file_error,
                  note_max_files=note_rules.MAX_FILES,
                  related_docs=db.session.scalars(scoped(Document).where(Document.related_id == doc.id)
                                                  .order_by(Document.id)).all(),
                  mark_paid_form=MarkPaidForm(formdata=None, data={"key": secrets.token_urlsafe(16)}),
                  payment_labels=status_table.PAYMENT_LABELS,
                  labels=status_table.STATUS_LABELS, problems=issuing.issue_problems(current_org(), doc)
                  if doc.is_draft else [], button_form=ButtonForm())
