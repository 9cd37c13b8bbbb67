"""A crash in the middle of issuing (after the number was taken, while the PDF is made under the lock) leaves
no number used and no half-written rows: the next issue takes the same number."""
import pytest
from sqlalchemy import select

from tests.security.test_tenancy import table_contents
from webapp.extensions import db
from webapp.models import Document


@pytest.mark.parametrize("step", ["html", "layout"])
@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_a_crash_while_issuing_changes_nothing(app, login_as, f, monkeypatch, kind, step):
    """``html``: the HTML rendered again under the lock fails; ``layout``: nothing was prepared before the lock
    (say the number changed meanwhile) and laying the PDF out under the lock fails."""
    from webapp.services import corrections, issuing, pdf

    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.draft(owner.org)
    if kind == "credit_note":
        issuing.issue(owner.org, owner.user, doc)
        db.session.commit()
        doc = corrections.full_credit_note(owner.org, owner.user, doc)
        db.session.commit()
    before = table_contents()

    real, calls = (pdf.render_document_html if step == "html" else pdf.render_html_pdf), []

    def crash(*args, **kwargs):  # the first HTML is rendered before the lock, the second with the number taken
        calls.append(1)
        if step == "layout" or len(calls) == 2:
            raise RuntimeError("the PDF renderer died")
        return real(*args, **kwargs)

    if step == "layout":
        monkeypatch.setattr(issuing, "prepare_issue_pdf", lambda *args, **kwargs: None)
    monkeypatch.setattr(pdf, "render_document_html" if step == "html" else "render_html_pdf", crash)
    r = owner.client.post(f"/invoices/{doc.id}/issue", data={"version": doc.version})
    assert r.status_code == 500
    assert len(calls) == (2 if step == "html" else 1)
    assert table_contents() == before  # no number, no counter step, no audit row, no credit booked
    monkeypatch.undo()
    r = owner.client.post(f"/invoices/{doc.id}/issue", data={"version": doc.version})
    assert r.status_code == 303
    issued = db.session.scalar(select(Document).where(Document.id == doc.id))
    assert issued.number.endswith("-0001")  # the number the crashed attempt had taken
