"""Quotes: editor and calculator of invoices, own series, public page with Accept/Decline, expiry, convert."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.views.parallel import post_at_once
from webapp.extensions import db
from webapp.models import AuditEvent, Document


def new_quote(owner, f, valid_days=30):
    from webapp.services import drafts

    contact = f.contact(owner.org, "Kunde AG", email="k@example.com", locale="de_DE")
    r = owner.client.post("/invoices/new", data={"contact_id": contact.id, "kind": "quote"})
    assert r.status_code == 303
    quote = db.session.scalar(select(Document).where(Document.kind == "quote").order_by(Document.id.desc()))
    assert quote.valid_until == date.today() + timedelta(days=30)
    line = drafts.add_line(owner.org, quote)
    from decimal import Decimal

    drafts.update_line(quote, line, {"description": "Wedding cake", "quantity": Decimal(1),
                                        "unit_price": Decimal("250")})
    quote.valid_until = date.today() + timedelta(days=valid_days)
    db.session.commit()
    r = owner.client.post(f"/invoices/{quote.id}/issue", data={"version": quote.version})
    assert r.status_code == 303
    db.session.expire_all()
    return db.session.get(Document, quote.id)


def test_a_quote_is_issued_as_sent_with_its_own_number_and_pdf(owner, f):
    quote = new_quote(owner, f)
    assert quote.status == "sent" and quote.number.startswith("QUO-") or quote.number.startswith("Q")
    assert quote.pdf and b"%PDF" in quote.pdf[:8]
    import io

    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(quote.pdf)).pages)
    assert f"Angebot {quote.number}" in text and "Gültig bis" in text and "Zahlung" not in text
    listed = owner.client.get("/invoices/?kind=quote").data.decode()
    assert quote.number in listed and quote.number not in owner.client.get("/invoices/").data.decode()


def test_the_customer_accepts_on_the_public_page_and_the_owner_converts(app, owner, f):
    quote = new_quote(owner, f)
    customer = app.test_client()
    page = customer.get(f"/p/{quote.public_token}").data.decode()
    assert "Angebot annehmen" in page and "Ablehnen" in page
    assert db.session.get(Document, quote.id).status == "sent"  # a GET (link preview) decides nothing
    assert customer.post(f"/p/{quote.public_token}/accept").status_code == 303
    db.session.expire_all()
    quote = db.session.get(Document, quote.id)
    assert quote.status == "accepted" and quote.decided_at is not None
    assert "angenommen" in customer.get(f"/p/{quote.public_token}").data.decode()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.accepted"))
    assert event.actor_id is None and "on the quote's page" in event.summary
    # declining afterwards is refused
    customer.post(f"/p/{quote.public_token}/decline")
    assert db.session.get(Document, quote.id).status == "accepted"
    # the owner converts: an invoice draft, linked both ways; a second conversion is refused
    assert owner.client.post(f"/invoices/{quote.id}/convert").status_code == 303
    invoice = db.session.scalar(select(Document).where(Document.kind == "invoice"))
    assert invoice.status == "draft" and invoice.related_id == quote.id and invoice.gross_total == quote.gross_total
    assert invoice.number is None
    page = owner.client.get(f"/invoices/{quote.id}").data.decode()
    assert f'href="/invoices/{invoice.id}"' in page
    r = owner.client.post(f"/invoices/{quote.id}/convert", follow_redirects=True)
    assert "already converted" in r.data.decode()


def test_declined_and_expired_quotes(app, owner, f):
    quote = new_quote(owner, f)
    app.test_client().post(f"/p/{quote.public_token}/decline", data={"note": "Too expensive"})
    db.session.expire_all()
    assert db.session.get(Document, quote.id).status == "declined"
    assert "Too expensive" in db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.declined")).summary
    r = owner.client.post(f"/invoices/{quote.id}/convert", follow_redirects=True)
    assert "cannot be converted" in r.data.decode()
    # an expired quote cannot be accepted
    expired = new_quote(owner, f, valid_days=0)
    db.session.execute(Document.__table__.update().where(Document.id == expired.id)
                       .values(valid_until=date.today() - timedelta(days=1)))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Document, expired.id).current_status == "expired"
    page = app.test_client().get(f"/p/{expired.public_token}").data.decode()
    assert "abgelaufen" in page and "Angebot annehmen" not in page
    app.test_client().post(f"/p/{expired.public_token}/accept")
    assert db.session.get(Document, expired.id).status == "sent"
    assert expired.number in owner.client.get("/invoices/?kind=quote&status=expired").data.decode()


def test_public_decisions_need_a_valid_token_and_a_quote(app, owner, f):
    quote = new_quote(owner, f)
    invoice = f.issued(owner.org)
    anon = app.test_client()
    assert anon.post("/p/guessed-token/accept").status_code == 404
    assert anon.post(f"/p/{invoice.public_token}/accept").status_code == 404
    assert anon.get(f"/p/{quote.public_token}/accept").status_code == 405
    assert db.session.get(Document, quote.id).status == "sent"


def audit_actions(*actions: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(actions))))


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_a_double_click_on_convert_makes_one_invoice(app, owner, f, attempt):
    """Two conversions of an accepted quote in the same moment: the quote's row is locked, so the second
    finds the first invoice and is refused; one invoice draft, one "converted" event."""
    quote = new_quote(owner, f)
    assert owner.client.post(f"/invoices/{quote.id}/accept").status_code == 303
    url = f"/invoices/{quote.id}/convert"
    assert post_at_once(app, owner, (url, {}), (url, {})) == [303, 303]
    db.session.expire_all()
    invoices = db.session.scalars(select(Document).where(Document.kind == "invoice")).all()
    assert len(invoices) == 1 and invoices[0].related_id == quote.id and invoices[0].status == "draft"
    assert audit_actions("document.converted") == ["document.converted"]
    assert db.session.get(Document, quote.id).status == "accepted"


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_accept_and_decline_at_once_decide_once(app, owner, f, attempt):
    """Accept and decline of the same quote in the same moment: one decision wins and is the only one
    recorded; the other is refused (a decided quote cannot be decided again)."""
    quote = new_quote(owner, f)
    statuses = post_at_once(app, owner, (f"/invoices/{quote.id}/accept", {}), (f"/invoices/{quote.id}/decline", {}))
    assert statuses == [303, 303]
    db.session.expire_all()
    quote = db.session.get(Document, quote.id)
    assert quote.status in ("accepted", "declined") and quote.decided_at is not None
    assert audit_actions("document.accepted", "document.declined") == [f"document.{quote.status}"]
    assert db.session.scalar(select(func.count()).select_from(Document).where(Document.kind == "invoice")) == 0
