"""The customer's page at the invoice's secret link."""
import re

import pytest
from sqlalchemy import func, select

from tests.views.parallel import at_once, poster
from webapp.extensions import db
from webapp.models import AuditEvent, Document, Payment


def link_of(client, doc_id) -> str:
    html = client.get(f"/invoices/{doc_id}").data.decode()
    url = re.search(r'<a href="(https://tallybook\.test/p/[^"]+)"', html).group(1)
    return url.replace("https://tallybook.test", "")


def test_customer_opens_the_invoice_and_downloads_the_stored_pdf(app, login_as, f):
    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.issued(owner.org, contact_=f.contact(owner.org, "Kunde AG", locale="en"))
    path = link_of(owner.client, doc.id)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 bits
    customer = app.test_client()
    page = customer.get(path)
    assert page.status_code == 200
    html = page.data.decode()
    assert doc.number in html and "Kunde AG" in html and "EPC QR code" in html and "Unpaid" in html
    assert "Amount due: €23.80" in html and "Pay by bank transfer" in html
    pdf = customer.get(f"{path}/pdf")
    assert pdf.status_code == 200 and pdf.data == db.session.get(Document, doc.id).pdf
    # the first visit is recorded once
    customer.get(path)
    views = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "document.viewed"))
    assert views == 1 and db.session.get(Document, doc.id).viewed_at is not None
    assert "First opened" in owner.client.get(f"/invoices/{doc.id}").data.decode()


def test_revoked_guessed_and_draft_links_are_404(app, login_as, f):
    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.issued(owner.org)
    old = link_of(owner.client, doc.id)
    assert owner.client.post(f"/invoices/{doc.id}/link").status_code == 303
    new = link_of(owner.client, doc.id)
    anon = app.test_client()
    assert new != old and anon.get(old).status_code == 404 and anon.get(new).status_code == 200
    assert owner.client.post(f"/invoices/{doc.id}/link/revoke").status_code == 303
    assert anon.get(new).status_code == 404 and anon.get(f"{new}/pdf").status_code == 404
    draft = f.draft(owner.org)
    draft_row = db.session.get(Document, draft.id)
    draft_row.public_token = "draft-token-that-should-never-work-123"
    db.session.commit()
    for path in ("/p/draft-token-that-should-never-work-123", f"/p/{draft.id}", "/p/guess", "/p/" + "x" * 80):
        assert anon.get(path).status_code == 404, path
    r = owner.client.post(f"/invoices/{draft.id}/link", follow_redirects=True)
    assert "Drafts have no customer link" in r.data.decode()


def test_the_customer_page_escapes_what_the_seller_typed(app, login_as, f):
    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.issued(owner.org, lines=[('<script>alert("x")</script>', "1", "10")])
    html = app.test_client().get(link_of(owner.client, doc.id)).data.decode()
    assert '<script>alert("x")</script>' not in html and "&lt;script&gt;" in html


def test_the_customer_page_speaks_the_customers_language(app, login_as, f):
    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.issued(owner.org, contact_=f.contact(owner.org, "Client SA", country="FR", locale="fr_FR"),
                   lines=[("Conseil", "2", "1000.00")])
    html = app.test_client().get(link_of(owner.client, doc.id)).data.decode()
    assert '<html lang="fr">' in html
    for expected in ("Facture " + doc.number, "Montant dû", "Numéro de facture", "Payer par virement", "Télécharger le PDF", "2\u202f380,00\u00a0€", "France"):
        assert expected in html, expected
    # the body comes from one macro file (macros/document_body.html): the page shows what the PDF says, markup for markup
    from webapp.models import Organization
    from webapp.services.pdf import render_document_html

    with app.test_request_context():
        source = render_document_html(db.session.get(Document, doc.id), db.session.get(Organization, doc.org_id))
    for block in ('<div class="seller">', '<table class="facts">', '<table class="lines">', '<table class="breakdown">',
                  '<table class="totals">'):
        end = "</div>" if block.startswith("<div") else "</table>"
        on_page, in_pdf = (re.search(re.escape(block) + ".*?" + end, text, re.S) for text in (html, source))
        assert on_page and in_pdf and on_page.group(0) == in_pdf.group(0), block
    assert "Total TTC" in source and "Date de facture" in source


def test_overdue_and_cancelled_invoices_say_so_on_the_customer_page(app, login_as, f):
    from datetime import timedelta

    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.issued(owner.org, contact_=f.contact(owner.org, "Kunde AG", locale="en"))
    path = link_of(owner.client, doc.id)
    past = doc.issue_date - timedelta(days=1)  # test shortcut around the guard: a due date in the past
    db.session.execute(Document.__table__.update().where(Document.id == doc.id).values(due_date=past))
    db.session.commit()
    db.session.expire_all()
    html = app.test_client().get(path).data.decode()
    assert "Overdue" in html and "was due on" in html
    db.session.get(Document, doc.id).status = "cancelled"
    db.session.commit()
    html = app.test_client().get(path).data.decode()
    assert "Cancelled" in html and "This invoice was cancelled and is not to be paid." in html
    assert "Pay by bank transfer" not in html and "EPC QR code" not in html


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(6))
def test_the_first_view_during_a_payment_records_both(app, owner, f, attempt):
    """The customer opens the link for the first time while a payment is recorded on the invoice: two writes
    to the same row at once (the first visit, the paid total); neither fails or is lost."""
    from tests.views.test_payments import form_key
    from tests.views.test_payments import invoice as make_invoice

    doc = make_invoice(f, owner.org)
    payment = {"kind": "payment", "amount": "10", "paid_on": "2026-01-15", "method": "card",
               "key": form_key(owner.client, doc.id)}
    customer = app.test_client()
    pay = poster(app, owner)(f"/invoices/{doc.id}/payments/new", payment)
    view, paid = at_once(lambda: customer.get(f"/p/{doc.public_token}").status_code, pay)
    assert (view, paid) == (200, 303)
    db.session.expire_all()
    doc = db.session.get(Document, doc.id)
    assert doc.paid_total == 1000 and doc.viewed_at is not None and doc.payment_state == "partially_paid"
    assert [p.amount for p in db.session.scalars(select(Payment))] == [1000]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "document.viewed")) == 1


def pay_in_full(org, doc, paid_on):
    from webapp.services import payments

    owner = next(m.user for m in org.memberships if m.role == "owner")
    payments.record(org, owner, doc, payments.PaymentInput(amount=doc.amount_due, paid_on=paid_on, key=f"full-{doc.id}"))
    db.session.commit()


@pytest.mark.parametrize("locale, paid_label", [("en_GB", "Paid on {d:%-d %b %Y}"), ("de_DE", "Bezahlt am {d:%d.%m.%Y}"),
                                               ("fr_FR", "Payée le {d.day}")])
def test_a_paid_invoice_says_when_it_was_paid_and_offers_no_payment_details(app, login_as, f, locale, paid_label):
    from datetime import date, timedelta

    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.issued(owner.org, contact_=f.contact(owner.org, "Kunde AG", locale=locale))
    path = link_of(owner.client, doc.id)
    unpaid = app.test_client().get(path).data.decode()
    assert 'class="qr-code"' in unpaid and "DE89 3704 0044 0532 0130 00" in unpaid and 'class="pay"' in unpaid
    paid_on = date.today() - timedelta(days=3)
    pay_in_full(owner.org, db.session.get(Document, doc.id), paid_on)
    html = app.test_client().get(path).data.decode()
    status = html.split('id="payment-status"')[1].split("</p>")[0]
    assert paid_label.format(d=paid_on) in status and "paid-banner" in html.split('id="payment-status"')[0][-60:]
    # no bank transfer box, no QR code, no IBAN anywhere on the page
    for offer in ('class="pay"', 'class="qr-code"', "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "data:image/svg"):
        assert offer not in html, offer


def test_a_voided_payment_no_longer_counts_as_the_day_it_was_paid(app, login_as, f):
    from datetime import date, timedelta

    from webapp.models import Payment
    from webapp.services import payments

    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.issued(owner.org, contact_=f.contact(owner.org, "Kunde AG", locale="en_GB"))
    pay_in_full(owner.org, db.session.get(Document, doc.id), date.today() - timedelta(days=1))
    payment = db.session.scalar(select(Payment).where(Payment.document_id == doc.id))
    payments.void(owner.org, owner.user, db.session.get(Document, doc.id), payment, "bounced")
    db.session.commit()
    html = app.test_client().get(f"/p/{doc.public_token}").data.decode()
    assert "Paid on" not in html and "paid-banner" not in html and "Pay by bank transfer" in html


def test_the_customer_page_shows_the_sellers_logo_behind_the_links_token(app, login_as, f):
    from io import BytesIO

    from PIL import Image

    from webapp.models import Organization
    from webapp.models.types import utcnow

    owner = login_as("owner")
    f.complete_org(owner.org)
    doc = f.issued(owner.org, contact_=f.contact(owner.org, "Kunde AG", locale="en"))
    path = link_of(owner.client, doc.id)
    customer = app.test_client()
    html = customer.get(path).data.decode()
    assert 'class="logo"' not in html and "/logo" not in html  # no logo: the seller's name instead
    assert re.search(r'<header class="public-brand"><div class="brand"><span class="brand-name">[^<]+</span>', html)
    assert customer.get(f"{path}/logo").status_code == 404

    buf = BytesIO()
    Image.new("RGB", (60, 20), (200, 30, 30)).save(buf, "PNG")
    org = db.session.get(Organization, owner.org.id)  # as settings store an upload (tests/views/test_settings.py)
    org.logo, org.logo_mime, org.logo_updated_at = buf.getvalue(), "image/png", utcnow()
    db.session.commit()
    html = customer.get(path).data.decode()
    src = re.search(r'<img class="logo" src="([^"]+)" alt="[^"]*">', html).group(1)
    assert src.startswith(f"{path}/logo?v=")
    logo = customer.get(src)
    assert logo.status_code == 200 and logo.data == buf.getvalue() and logo.mimetype == "image/png"
    assert logo.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in logo.headers["Content-Security-Policy"]
    # only the PNG and JPEG that settings accept are ever served (no SVG with a script in it)
    org.logo, org.logo_mime = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"
    db.session.commit()
    assert customer.get(src).status_code == 404 and 'class="logo"' not in customer.get(path).data.decode()
    org.logo, org.logo_mime = buf.getvalue(), "image/png"
    db.session.commit()
    # a revoked link shows neither the page nor the logo
    assert owner.client.post(f"/invoices/{doc.id}/link/revoke").status_code == 303
    assert customer.get(src).status_code == 404 and customer.get("/p/guess/logo").status_code == 404



@pytest.mark.parametrize("locale, accept_question, decline_question, yes, back", [
    ("fr_FR", "Accepter le devis {number} de 2\u202f380,00\u00a0€\u00a0?", "Refuser le devis {number} de 2\u202f380,00\u00a0€\u00a0?",
     "Oui, accepter", "Retour"),
    ("en", "Accept quote {number} for €2,380.00?", "Decline quote {number} for €2,380.00?", "Yes, accept", "Back"),
])
def test_the_quotes_confirmation_step_speaks_the_customers_language(app, owner, f, locale, accept_question,
                                                                     decline_question, yes, back):
    from webapp.services import drafts, issuing

    quote = drafts.new_draft(owner.org, owner.user, f.contact(owner.org, "Client SA", country="FR", locale=locale),
                             kind="quote")
    from decimal import Decimal

    drafts.update_line(quote, drafts.add_line(owner.org, quote), {"description": "Conseil", "quantity": Decimal(2),
                                                                  "unit_price": Decimal("1000")})
    db.session.commit()
    issuing.issue(owner.org, owner.user, quote)
    db.session.commit()
    customer = app.test_client()
    html = customer.get(f"/p/{quote.public_token}?answer=accept").data.decode()
    assert accept_question.format(number=quote.number) in html
    assert f">{yes}</button>" in html and f">{back}</a>" in html
    html = customer.get(f"/p/{quote.public_token}?answer=decline").data.decode()
    assert decline_question.format(number=quote.number) in html
    assert customer.get(f"/p/{quote.public_token}?answer=nonsense").status_code == 200  # just the page
