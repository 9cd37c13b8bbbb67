"""Quotes: editor and calculator of invoices, own series, public page with Accept/Decline, expiry, convert."""
import re
from html import unescape
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.views.parallel import post_at_once
from webapp.extensions import db
from webapp.models import AuditEvent, Document

YES = {"confirm": "yes"}  # the customer's second "yes" on the quote's page


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
    assert customer.post(f"/p/{quote.public_token}/accept", data=YES).status_code == 303
    db.session.expire_all()
    quote = db.session.get(Document, quote.id)
    assert quote.status == "accepted" and quote.decided_at is not None
    assert "angenommen" in customer.get(f"/p/{quote.public_token}").data.decode()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.accepted"))
    assert event.actor_id is None and "on the quote's page" in event.summary
    # declining afterwards is refused
    customer.post(f"/p/{quote.public_token}/decline", data=YES)
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
    app.test_client().post(f"/p/{quote.public_token}/decline", data={**YES, "note": "Too expensive"})
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
    app.test_client().post(f"/p/{expired.public_token}/accept", data=YES)
    assert db.session.get(Document, expired.id).status == "sent"
    assert expired.number in owner.client.get("/invoices/?kind=quote&status=expired").data.decode()


def test_public_decisions_need_a_valid_token_and_a_quote(app, owner, f):
    quote = new_quote(owner, f)
    invoice = f.issued(owner.org)
    anon = app.test_client()
    assert anon.post("/p/guessed-token/accept", data=YES).status_code == 404
    assert anon.post(f"/p/{invoice.public_token}/accept", data=YES).status_code == 404
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


def badge_of(client, quote_id) -> str:
    html = client.get(f"/invoices/{quote_id}").data.decode()
    return re.search(r'<h1>.*?<span class="badge ([^"]+)">([^<]+)</span>', html, re.S).groups()


def test_an_issued_quote_shows_issued_until_it_is_emailed(owner, f):
    """Statuses say what happened: issued (numbered, not e-mailed) is not "Sent"; the e-mail makes it sent. The
    stored status stays the state model's (sent = an open offer); what is shown is derived from the sending."""
    from tests.views.test_sending import dialog

    quote = new_quote(owner, f)
    assert quote.status == "sent" and quote.sent_at is None
    assert badge_of(owner.client, quote.id) == ("status-issued", "Issued")
    assert owner.client.post(f"/invoices/{quote.id}/send", data=dialog(owner.client, quote.id)).status_code == 303
    db.session.expire_all()
    assert db.session.get(Document, quote.id).sent_at is not None
    assert badge_of(owner.client, quote.id) == ("status-sent", "Sent")
    # the customer's decision shows as such, e-mailed or not
    other = new_quote(owner, f)
    app_client = owner.client.application.test_client()
    app_client.post(f"/p/{other.public_token}/decline", data=YES)
    assert badge_of(owner.client, other.id) == ("status-declined", "Declined")


def test_accepting_on_the_customers_page_asks_once_more(app, owner, f):
    quote = new_quote(owner, f)  # the customer's language: German
    customer = app.test_client()
    page = customer.get(f"/p/{quote.public_token}").data.decode()
    step = f'href="/p/{quote.public_token}?answer=accept"'
    assert step in page and f'action="/p/{quote.public_token}/accept"' not in page  # one tap decides nothing
    # the confirmation step: a page of its own (works without JavaScript), with the number and the amount
    r = customer.get(f"/p/{quote.public_token}?answer=accept")
    html = r.data.decode()
    assert r.status_code == 200
    assert f"Angebot {quote.number} über 297,50\xa0€ annehmen?" in html  # 250 + 19 %
    assert f'action="/p/{quote.public_token}/accept"' in html and 'name="confirm" value="yes"' in html
    assert ">Ja, annehmen</button>" in html and f'href="/p/{quote.public_token}">Zurück</a>' in html
    assert db.session.get(Document, quote.id).status == "sent"  # looking at the question changes nothing
    # a POST without the second "yes" (an old page, a hand-made form) lands on the question, deciding nothing
    r = customer.post(f"/p/{quote.public_token}/accept")
    assert r.status_code == 303 and r.headers["Location"] == f"/p/{quote.public_token}?answer=accept"
    db.session.expire_all()
    assert db.session.get(Document, quote.id).status == "sent"
    r = customer.post(f"/p/{quote.public_token}/accept", data=YES)
    assert r.status_code == 303 and r.headers["Location"] == f"/p/{quote.public_token}"
    db.session.expire_all()
    assert db.session.get(Document, quote.id).status == "accepted"
    # once decided, the question is not asked again
    html = customer.get(f"/p/{quote.public_token}?answer=decline").data.decode()
    assert "ablehnen?" not in html and "Sie haben dieses Angebot angenommen" in html


def test_declining_asks_once_more_with_the_reason_on_the_question(app, owner, f):
    quote = new_quote(owner, f)
    customer = app.test_client()
    html = customer.get(f"/p/{quote.public_token}?answer=decline").data.decode()
    assert f"Angebot {quote.number} über 297,50\xa0€ ablehnen?" in html and ">Ja, ablehnen</button>" in html
    assert 'name="note"' in html and "Grund (optional)" in html
    assert 'name="note"' not in customer.get(f"/p/{quote.public_token}").data.decode()
    customer.post(f"/p/{quote.public_token}/decline", data={**YES, "note": "Zu teuer"})
    db.session.expire_all()
    assert db.session.get(Document, quote.id).status == "declined"


def test_the_quotes_owner_is_told_by_email_and_on_the_timeline(app, owner, login_as, f):
    from webapp.models import OutboxMessage

    staff = login_as("staff", org=owner.org)
    contact = f.contact(owner.org, "Hotel Alpenblick", email="office@alpenblick.example", locale="de_AT")
    r = staff.client.post("/invoices/new", data={"contact_id": contact.id, "kind": "quote"})
    quote = db.session.get(Document, int(r.headers["Location"].split("/")[2]))
    from decimal import Decimal

    from webapp.services import drafts

    drafts.update_line(quote, drafts.add_line(owner.org, quote), {"description": "Wedding cake",
                                                                  "quantity": Decimal(1), "unit_price": Decimal("280")})
    db.session.commit()
    assert owner.client.post(f"/invoices/{quote.id}/issue", data={"version": quote.version}).status_code == 303
    db.session.expire_all()
    quote = db.session.get(Document, quote.id)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    app.test_client().post(f"/p/{quote.public_token}/accept", data=YES)
    # the member who created it (staff) is told, not the owner who issued it
    message = db.session.scalar(select(OutboxMessage))
    assert message.to_addrs == staff.user.email and message.kind == "quote_accepted"
    assert message.org_id == owner.org.id and message.document_id == quote.id and message.status == "queued"
    # a member e-mail in the member's language: no setting, so the organization's (de_DE)
    assert message.subject == f"Hotel Alpenblick hat das Angebot {quote.number} angenommen"
    assert "hat Ihr Angebot" in message.body_text and "333,20" in message.body_text  # 280 + 19 %
    assert "In einen Rechnungsentwurf umwandeln" in message.body_html
    assert f"https://tallybook.test/invoices/{quote.id}" in message.body_text
    assert f'href="https://tallybook.test/invoices/{quote.id}"' in message.body_html
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.accepted"))
    assert event.actor_id is None and event.data["outbox_id"] == message.id and event.data["told"] == [staff.user.id]
    timeline = unescape(owner.client.get(f"/invoices/{quote.id}").data.decode().split('id="timeline"')[1])
    assert f"Hotel Alpenblick (on the quote's page) accepted quote {quote.number}" in timeline
    assert "e-mail to" in timeline and 'class="badge status-draft delivery">queued' in timeline


def test_a_decline_with_a_reason_tells_the_owners_when_its_maker_left(app, owner, login_as, f):
    """The staff member who made and issued the quote has left: the organization's owners are told."""
    from webapp.models import Membership, OutboxMessage

    db.session.add(Membership(org_id=owner.org.id, user_id=f.user("second-owner@example.com").id, role="owner"))
    staff = login_as("staff", org=owner.org)
    quote = new_quote(staff, f)
    db.session.delete(db.session.scalar(select(Membership).where(Membership.user_id == staff.user.id)))
    db.session.commit()
    app.test_client().post(f"/p/{quote.public_token}/decline", data={**YES, "note": "Too expensive"})
    message = db.session.scalar(select(OutboxMessage))
    owners = sorted([owner.user.email, "second-owner@example.com"])
    assert sorted(a.strip() for a in message.to_addrs.split(",")) == owners  # neither maker nor issuer is left
    assert message.subject == f"Kunde AG hat das Angebot {quote.number} abgelehnt"  # the owners read German
    assert "Begründung: Too expensive" in message.body_text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.declined"))
    assert event.data["outbox_id"] == message.id and "Too expensive" in event.summary


def test_members_told_of_a_decision_read_it_in_their_own_language(app, owner, login_as, f):
    """Two owners, one reading English and one French: one e-mail each, amounts as their locale writes them."""
    from webapp.models import Membership, OutboxMessage

    owner.user.language = "en"
    french = f.user("francoise@example.com", name="Françoise")
    french.language = "fr"
    db.session.add(Membership(org_id=owner.org.id, user_id=french.id, role="owner"))
    staff = login_as("staff", org=owner.org)
    quote = new_quote(staff, f)
    db.session.delete(db.session.scalar(select(Membership).where(Membership.user_id == staff.user.id)))
    db.session.commit()
    app.test_client().post(f"/p/{quote.public_token}/accept", data=YES)
    messages = {m.to_addrs: m for m in db.session.scalars(select(OutboxMessage))}
    assert set(messages) == {owner.user.email, "francoise@example.com"}
    english, in_french = messages[owner.user.email], messages["francoise@example.com"]
    assert english.subject == f"Kunde AG accepted quote {quote.number}"
    assert "accepted your quote" in english.body_text
    assert in_french.subject == f"Kunde AG a accepté le devis {quote.number}"
    assert "Bonjour Françoise," in in_french.body_text and "Le convertir en brouillon de facture" in in_french.body_html
    gross = db.session.get(Document, quote.id).gross_total
    from webapp.i18n import format_money, locale_for

    assert format_money(gross, "EUR", locale_for(owner.org, french)) in in_french.body_text  # "297,50 €"
    assert format_money(gross, "EUR", locale_for(owner.org, owner.user)) in english.body_text  # "€297.50" (en_DE)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.accepted"))
    assert sorted(event.data["outbox_ids"]) == sorted(m.id for m in messages.values())


def test_a_decision_recorded_by_a_member_sends_nothing(owner, f):
    from webapp.models import OutboxMessage

    quote = new_quote(owner, f)
    assert owner.client.post(f"/invoices/{quote.id}/accept").status_code == 303
    assert db.session.get(Document, quote.id).status == "accepted"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
