"""Issuing renders the PDF before it takes the write lock, so the lock (on SQLite: the whole database) is
held for milliseconds, not for the seconds a long invoice takes to lay out; the stored PDF is still
exactly the issued document."""
import sqlite3

import pytest
from sqlalchemy import select

from tests.services.test_pdf import pdf_text
from webapp.extensions import db
from webapp.models import Document
from webapp.services import issuing, pdf


def write_lock_free(app) -> bool:
    """True if another connection could start writing right now (SQLite only)."""
    path = db.engine.url.database
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@pytest.fixture
def renders(monkeypatch, app):
    """Every PDF layout while issuing, with whether the database's write lock was free at that moment."""
    calls = []
    real = pdf.render_html_pdf

    def spy(html, **options):
        free = write_lock_free(app) if db.engine.dialect.name == "sqlite" else None
        calls.append(free)
        return real(html, **options)

    monkeypatch.setattr(pdf, "render_html_pdf", spy)
    return calls


def test_the_pdf_is_laid_out_once_and_outside_the_write_lock(owner, f, renders, app):
    doc = f.draft(owner.org, lines=[(f"Line {i}", "1", "2.50") for i in range(40)])
    r = owner.client.post(f"/invoices/{doc.id}/issue", data={"version": doc.version})
    assert r.status_code == 303
    issued = db.session.scalar(select(Document).where(Document.id == doc.id))
    assert issued.number.endswith("-0001") and issued.pdf_sha256
    assert len(renders) == 1  # laid out once, before the lock; under the lock only the HTML was compared
    if db.engine.dialect.name == "sqlite":
        assert renders == [True]
    text = pdf_text(issued.pdf)
    assert issued.number in text and "Line 39" in text and "DRAFT" not in text


def test_the_e_invoice_is_checked_once_and_outside_the_write_lock(owner, f, monkeypatch, app):
    from webapp.services import einvoice

    checks = []
    real = einvoice.Validator.validate

    def spy(self, xml, xrechnung=False, **options):
        checks.append(write_lock_free(app) if db.engine.dialect.name == "sqlite" else None)
        return real(self, xml, xrechnung, **options)

    monkeypatch.setattr(einvoice.Validator, "validate", spy)
    doc = f.draft(owner.org)
    r = owner.client.post(f"/invoices/{doc.id}/issue", data={"version": doc.version})
    assert r.status_code == 303
    assert len(checks) == 1  # the Factur-X XML, checked before the lock; under it the same bytes reuse the report
    if db.engine.dialect.name == "sqlite":
        assert checks == [True]


def test_a_number_taken_meanwhile_renders_again_with_the_real_number(owner, f, renders):
    first, second = f.draft(owner.org), f.draft(owner.org)
    prepared = issuing.prepare_issue_pdf(owner.org, first)
    assert prepared is not None and len(renders) == 1
    assert db.session.scalar(select(Document.number).where(Document.id == first.id)) is None  # nothing written
    issuing.issue(owner.org, owner.user, second)  # takes the number the prepared PDF shows
    db.session.commit()
    first = db.session.get(Document, first.id)
    number = issuing.issue(owner.org, owner.user, first, prepared=prepared)
    db.session.commit()
    assert number.endswith("-0002")
    assert len(renders) == 3  # the prepared one, the second invoice, and this one again
    assert first.pdf != prepared.pdf
    assert number in pdf_text(first.pdf) and number.replace("0002", "0001") not in pdf_text(first.pdf)


def test_a_draft_that_cannot_be_issued_prepares_nothing_and_writes_nothing(owner, f, renders):
    doc = f.draft(owner.org, lines=[("", "1", "2.50")])  # a line without a description
    assert issuing.prepare_issue_pdf(owner.org, doc) is None
    assert renders == []
    r = owner.client.post(f"/invoices/{doc.id}/issue", data={"version": doc.version})
    assert r.status_code == 303 and r.headers["Location"] == f"/invoices/{doc.id}/edit"  # the reason, on the editor
    assert b"needs a description" in owner.client.get(r.headers["Location"]).data
    assert db.session.scalar(select(Document.number).where(Document.id == doc.id)) is None
