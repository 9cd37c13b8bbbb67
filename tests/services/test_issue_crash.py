"""A crash in the middle of issuing (after the number was taken, while the PDF is made under the lock) leaves
no number used and no half-written rows: the next issue takes the same number."""
import pytest
from sqlalchemy import select

from tests.security.test_tenancy import table_contents
from webapp.extensions import db
from webapp.models import Document


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_a_crash_while_issuing_changes_nothing(app, login_as, f, monkeypatch, kind):
    from webapp.services import corrections, pdf

    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.draft(owner.org)
    if kind == "credit_note":
        from webapp.services import documents

        documents.issue(owner.org, owner.user, doc)
        db.session.commit()
        doc = corrections.full_credit_note(owner.org, owner.user, doc)
        db.session.commit()
    before = table_contents()

    real, calls = pdf.render_document_html, []

    def crash(*args, **kwargs):  # the first call renders before the lock, the second runs with the number taken
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the PDF renderer died")
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_document_html", crash)
    r = owner.client.post(f"/invoices/{doc.id}/issue", data={"version": doc.version})
    assert r.status_code == 500
    assert len(calls) == 2
    assert table_contents() == before  # no number, no counter step, no audit row, no credit booked
    monkeypatch.undo()
    r = owner.client.post(f"/invoices/{doc.id}/issue", data={"version": doc.version})
    assert r.status_code == 303
    issued = db.session.scalar(select(Document).where(Document.id == doc.id))
    assert issued.number.endswith("-0001")  # the number the crashed attempt had taken
