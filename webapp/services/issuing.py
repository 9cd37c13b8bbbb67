"""Issuing: a draft gets its number (gapless, under the number lock), its dates, frozen copies of seller and
buyer, frozen totals and its stored PDF. The PDF is laid out before the lock is taken (``prepare_issue_pdf``).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, inspect, select

from webapp.domain import status as status_table
from webapp.domain.errors import ActionError, Text, joined
from webapp.extensions import db
from webapp.models import Contact, Document, DocumentLine, Organization, TaxRate, User
from webapp.models.types import utcnow
from webapp.services import audit, automatic_tax, deductions, einvoice_check, ledger, pdf
from webapp.services.calculation import recalculate
from webapp.services.links import new_token
from webapp.services.numbering import date_out_of_order, peek_number, take_number
from webapp.services.snapshots import buyer_snapshot, seller_snapshot
from webapp.services.state import require


BLANK_LINES_NAMED = 5  # lines without a description named one by one; more are counted
# the company details ``Organization.missing_details`` names, as the problems list them
MISSING_DETAILS = {"legal name": Text("legal name"), "street": Text("street"), "postal code": Text("postal code"),
                   "city": Text("city"), "country": Text("country"),
                   "VAT ID or tax number": Text("VAT ID or tax number")}
NOT_READY = {"invoice": Text("This invoice cannot be issued yet: {problems}"),
             "credit_note": Text("This credit note cannot be issued yet: {problems}"),
             "quote": Text("This quote cannot be issued yet: {problems}")}
DATE_IN_FUTURE = {"invoice": Text("An invoice cannot be issued with a date in the future."),
                  "credit_note": Text("A credit note cannot be issued with a date in the future."),
                  "quote": Text("A quote cannot be issued with a date in the future.")}


def issue_problems(org: Organization, doc: Document, dates: bool = True) -> list[Text]:
    """What keeps the draft from being issued, in words (``Text``: shown in the reader's language). Lines already in memory are read there; otherwise two
    small queries answer, so the editor's line changes leave the draft's other lines unread. With ``dates``, a
    chosen issue date in the future or before the series' last is named too (issuing refuses those itself, each
    with its own code). A purchase: what keeps it from being booked (services/purchases.py)."""
    if doc.flow == "purchases":
        from webapp.services import purchases

        return purchases.book_problems(doc)
    problems = []
    if dates and doc.chosen_issue_date is not None:
        if doc.chosen_issue_date > date.today():
            problems.append(Text("The issue date {date} is in the future.", date=doc.chosen_issue_date))
        else:
            out_of_order = date_out_of_order(org, doc.kind, doc.chosen_issue_date)
            if out_of_order:
                problems.append(out_of_order)
    if doc.contact_id is None:
        problems.append(Text("Choose the customer."))
    if "lines" in inspect(doc).dict:
        has_lines = bool(doc.lines)
        blank = [line.position for line in doc.lines if not line.description.strip()][:BLANK_LINES_NAMED + 1]
    else:
        has_lines = db.session.scalar(select(DocumentLine.id).where(DocumentLine.document_id == doc.id).limit(1))
        blank = db.session.scalars(
            select(DocumentLine.position).where(DocumentLine.document_id == doc.id,
                                                func.trim(DocumentLine.description) == "")
            .order_by(DocumentLine.position).limit(BLANK_LINES_NAMED + 1)).all()
    if not has_lines:
        problems.append(Text("Add at least one line."))
    for position in blank[:BLANK_LINES_NAMED]:
        problems.append(Text("Line {line} needs a description.", line=position + 1))
    if len(blank) > BLANK_LINES_NAMED:
        problems.append(Text("More lines need a description."))
    if doc.automatic_tax:  # lines the VAT rules could not decide (services/automatic_tax.py) say why
        for line in doc.lines:
            decision = line.tax_decision or {}
            if decision.get("undecided"):
                problems.append(Text("Line {line}: {reason}", line=line.position + 1,
                                     reason=automatic_tax.explanation(line)))
    missing = org.missing_details()
    if missing:
        problems.append(Text("Complete your company details first: {details}.",
                             details=joined([MISSING_DETAILS.get(m, m) for m in missing], ", ")))
    return problems


@dataclass(frozen=True)
class PreparedPdf:
    """What ``prepare_issue_pdf`` made before the write lock was taken: the e-invoices as built and checked, and
    the PDF with the key of what it was made from (the HTML and the Factur-X XML it embeds)."""
    key: str
    pdf: bytes
    einvoices: tuple[einvoice_check.Checked, ...] = ()


def _pdf_key(html: str, facturx: bytes | None) -> str:
    digest = hashlib.sha256(html.encode())
    digest.update(b"\0" + (facturx or b""))
    return digest.hexdigest()


def prepare_issue_pdf(org: Organization, doc: Document, today: date | None = None) -> PreparedPdf | None:
    """Render the PDF the draft would get if it were issued now, and check its e-invoices, without taking the
    write lock.

    Rendering and the official rules are the slow parts of issuing (0.1 s for a page, seconds for hundreds of
    lines); done here, the lock that ``issue`` holds (on SQLite: the whole database) lasts milliseconds. The
    draft is frozen in memory with the number that is next now, rendered, checked, and everything is rolled
    back: nothing is written. ``issue`` builds the HTML and the XML again under the lock and uses these bytes
    and reports only when they are identical (same number, figures, snapshots, language); otherwise it renders
    and checks anew. Returns None when the draft cannot be issued (``issue`` then says why), and for a purchase
    (booked without a PDF of its own)."""
    if doc.flow == "purchases":
        return None
    try:
        with db.session.no_autoflush:
            on = _issue_date(org, doc, today)
            recalculate(doc, on)
            number = peek_number(org, doc.kind, on)
            if number is None:
                return None
            _freeze(org, doc, db.session.get(Contact, doc.contact_id), number, on)
            checked = einvoice_check.check(doc, org)
            if einvoice_check.refusing(checked):  # ``issue`` refuses with these reports: no PDF needed
                return PreparedPdf("", b"", checked)
            html = pdf.render_document_html(doc, org)
            facturx = einvoice_check.facturx_xml(einvoice_check.passing(checked))
            rendered = einvoice_check.render_stored(org, doc, html, facturx)
    except ActionError:
        return None
    finally:
        db.session.expire_all()  # forget the in-memory freeze (nothing was flushed): every row reads as stored
    return PreparedPdf(_pdf_key(html, facturx), rendered, checked)


def _issue_date(org: Organization, doc: Document, today: date | None) -> date:
    require(doc, "issue")
    problems = issue_problems(org, doc, dates=False)
    if problems:
        raise ActionError("not_ready_to_issue", NOT_READY[doc.kind], problems=joined(problems))
    today = today or date.today()
    on = doc.chosen_issue_date or today
    if on > today and doc.chosen_issue_date:
        raise ActionError("issue_date_in_future", DATE_IN_FUTURE[doc.kind], "chosen_issue_date")
    if doc.kind == "quote" and doc.valid_until is not None and doc.valid_until < on:
        raise ActionError("valid_until_before_issue", "The quote's expiry date is before its issue date.", "valid_until")
    return on


def _freeze(org: Organization, doc: Document, contact: Contact, number: str, on: date) -> None:
    """Number, status, dates and the frozen copies of seller and buyer, as issued."""
    deductions.freeze(org, doc)  # the advance invoices a final invoice deducts, checked again (BT-113)
    doc.number = number
    doc.status = status_table.next_status(doc.kind, doc.status, "issue")
    doc.issue_date = on
    doc.due_date = on + timedelta(days=doc.payment_terms_days)
    doc.seller = seller_snapshot(org)
    doc.buyer = buyer_snapshot(contact)
    doc.buyer_name = contact.display_name
    doc.buyer_reference = doc.buyer_reference or contact.buyer_reference  # BT-10: the invoice's, else the customer's
    if doc.e_invoice_format is None:  # the customer's preference, decided now and kept
        doc.e_invoice_format = contact.e_invoice_format
    from webapp.services import exchange  # BT-6 / BT-111: the VAT total in the organization's currency, frozen
    exchange.freeze(doc, org)
    automatic_tax.freeze(org, doc)  # its distance sales in EUR, which the threshold of later invoices adds up
    doc.refresh_search()
    doc.issued_at = utcnow()


IMPORTED_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$")


def imported_number(org: Organization, doc: Document, number: str) -> str:
    """The number an invoice issued outside Tallybook already has: unique in the organization, never taken from
    the series (the series stays gapless: it does not see it)."""
    number = number.strip()
    if doc.kind != "invoice":
        raise ActionError("import_invoices_only", "Only invoices are imported with their own number.", "number")
    if not IMPORTED_NUMBER.match(number):
        raise ActionError("invalid_number", "A number has 1 to 40 letters, digits and / . _ - and starts with a "
                          "letter or digit.", "number")
    taken = db.session.scalar(select(Document.id).where(Document.org_id == org.id, Document.kind == doc.kind,
                                                        Document.flow == doc.flow, Document.number == number))
    if taken is not None:
        raise ActionError("number_taken", "The number {number} is already used by another invoice.", "number",
                          number=number)
    return number


def issue(org: Organization, actor: User, doc: Document, today: date | None = None,
          prepared: PreparedPdf | None = None, number: str | None = None) -> str:
    """Give the draft its number, dates and frozen copies; call after ``locks.begin_write()``.

    ``prepared`` is the PDF ``prepare_issue_pdf`` rendered before the lock; it is stored only if it is
    exactly what would be rendered now. ``number``: an invoice issued elsewhere, imported with its own number
    (marked ``imported``; the series is not touched). A purchase is booked instead (services/purchases.py)."""
    if doc.flow == "purchases":
        from webapp.services import purchases

        return purchases.book(org, actor, doc, today)
    on = _issue_date(org, doc, today)
    if doc.automatic_tax:  # the EUR 10,000 threshold reads the invoices issued before: one issue at a time
        db.session.execute(select(Organization.id).where(Organization.id == org.id).with_for_update())
    recalculate(doc, on)  # with automatic VAT: each line decided on the issue date, then frozen with it
    if doc.kind == "credit_note":  # refuses a credit beyond what remains; books it on the invoice (locked)
        ledger.check_and_book(org, doc)
    if number is not None:
        number = imported_number(org, doc, number)
        doc.imported = True
    else:
        number = take_number(org, doc.kind, on)
    _freeze(org, doc, db.session.get(Contact, doc.contact_id), number, on)
    # the e-invoices, checked by the official rules: a fatal finding refuses the issue (nothing is written)
    with db.session.no_autoflush:
        checked = einvoice_check.check(doc, org, prepared.einvoices if prepared is not None else ())
    einvoice_check.refuse_if_fatal(doc, checked)
    checked = einvoice_check.passing(checked)  # a failing Factur-X nobody asked for stays out of the PDF
    # the PDF as the customer receives it, stored in the same flush as the issue, served unchanged from then on
    with db.session.no_autoflush:
        html = pdf.render_document_html(doc, org)
    facturx = einvoice_check.facturx_xml(checked)
    key = _pdf_key(html, facturx)
    doc.pdf = prepared.pdf if prepared is not None and prepared.key == key else einvoice_check.render_stored(org, doc, html, facturx)
    doc.pdf_sha256 = hashlib.sha256(doc.pdf).hexdigest()
    doc.public_token = new_token()
    rate_ids = {x.tax_rate_id for x in [*doc.lines, *doc.adjustments] if x.tax_rate_id}
    for rate in db.session.scalars(select(TaxRate).where(TaxRate.id.in_(rate_ids), TaxRate.first_used_at.is_(None))):
        rate.first_used_at = doc.issued_at  # from now on the rate can only be archived
    einvoice_check.store(org, doc, checked)
    db.session.flush()
    audit.record(org, actor, "document.issued", doc, summary=f"{actor.email} issued {number} to {doc.buyer_name}",
                 number=number)
    return number
