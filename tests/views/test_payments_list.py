"""The payments list (/payments/): every payment and refund of the organization, newest first, paginated, filtered
by dates, method and customer (live, with the address kept in sync), its sums per currency (received, refunded,
net; voided payments struck through and never counted), each row linking to its invoice; the menu's links to it
and to the credit notes."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from webapp.extensions import db
from webapp.models import Document, Payment, PaymentTotal
from webapp.services import payments

TODAY = date.today()


def record(org, doc, amount, days_ago=0, method="bank_transfer", reference="", allow_overpayment=True):
    owner = next(m.user for m in org.memberships if m.role == "owner")
    payment = payments.record(org, owner, doc, payments.PaymentInput(
        amount=amount, paid_on=TODAY - timedelta(days=days_ago), method=method, reference=reference,
        key=f"k-{doc.id}-{amount}-{days_ago}-{method}-{reference}", allow_overpayment=allow_overpayment))
    db.session.commit()
    return payment


def void(org, doc, payment, reason="bounced"):
    owner = next(m.user for m in org.memberships if m.role == "owner")
    payments.void(org, owner, doc, payment, reason)
    db.session.commit()


@pytest.fixture
def shop(owner, f):
    """Two customers, three invoices (one in US dollars); payments by bank, card and cash over ten days, a refund
    and a voided payment."""
    org = owner.org
    org.locale = "en_GB"
    db.session.commit()
    anna = f.contact(org, "Anna Bakery", email="anna@example.com")
    bert = f.contact(org, "Bert Bikes", email="bert@example.com")
    yank = f.contact(org, "Yankee Inc", email="y@example.com", currency="USD")
    a1 = f.issued(org, contact_=anna, lines=[("Bread", "1", "100.00")])  # 119.00
    b1 = f.issued(org, contact_=bert, lines=[("Bike", "1", "1000.00")])  # 1,190.00
    y1 = f.issued(org, contact_=yank, lines=[("Parts", "1", "50.00")])
    rows = {
        "a_bank": record(org, a1, 5000, days_ago=9, reference="SEPA-1"),
        "b_card": record(org, b1, 100000, days_ago=5, method="card", reference="ch_1"),
        "b_refund": record(org, b1, -20000, days_ago=3, method="card", reference="re_1"),
        "a_cash": record(org, a1, 1000, days_ago=2, method="cash"),
        "y_bank": record(org, y1, 2500, days_ago=1),
        "b_void": record(org, b1, 7000, days_ago=0, method="cash", reference="typo"),
    }
    void(org, b1, rows["b_void"], "typed twice")
    return {"org": org, "anna": anna, "bert": bert, "yank": yank, "a1": a1, "b1": b1, "y1": y1, **rows}


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="payment-(\d+)"', html)]


def sums(html: str) -> dict[str, tuple[str, str, str]]:
    table = re.search(r'<table class="balance[^"]*" id="payment-sums">.*?</table>', html, re.S)
    if table is None:
        return {}
    return {cur: (received, refunded, net) for cur, received, refunded, net in re.findall(
        r'<tr id="sums-(\w+)"><th>\w+</th><td class="num"[^>]*>([^<]+)</td>\s*<td class="num"[^>]*>([^<]+)</td>'
        r'<td class="num"[^>]*><strong>([^<]+)</strong>', table.group(0))}


def test_every_payment_and_refund_newest_first_with_the_sums_per_currency(owner, shop):
    r = owner.client.get("/payments/")
    html = r.data.decode()
    assert r.status_code == 200 and "<h1>Payments</h1>" in html
    s = shop
    assert listed(html) == [s[k].id for k in ("b_void", "y_bank", "a_cash", "b_refund", "b_card", "a_bank")]
    # voided: listed, struck through, not counted; refunds shown as refunds, as positive amounts
    assert sums(html) == {"EUR": ("€1,060.00", "€200.00", "€860.00"), "USD": ("US$25.00", "US$0.00", "US$25.00")}
    voided = re.search(rf'<tr id="payment-{s["b_void"].id}" class="voided">.*?</tr>', html, re.S).group(0)
    assert "voided: typed twice" in voided and ">€70.00<" in voided
    refund = re.search(rf'<tr id="payment-{s["b_refund"].id}" class="">.*?</tr>', html, re.S).group(0)
    assert "<td>Refund</td>" in refund and ">€200.00<" in refund and "-€" not in html
    # each row links to its invoice
    assert f'href="/invoices/{s["b1"].id}#payments">{s["b1"].number}</a>' in refund
    assert "Bert Bikes" in refund and "Card" in refund and "re_1" in refund
    assert "1–6 of 6 payments and refunds" in html


def test_filters_by_dates_method_and_customer_and_the_sums_follow(owner, shop):
    s, c = shop, owner.client

    def get(query):
        html = c.get(f"/payments/?{query}").data.decode()
        return listed(html), sums(html)

    assert get("method=card") == ([s["b_refund"].id, s["b_card"].id],
                                  {"EUR": ("€1,000.00", "€200.00", "€800.00")})
    since = (TODAY - timedelta(days=3)).isoformat()
    until = (TODAY - timedelta(days=1)).isoformat()
    ids, totals = get(f"from={since}&to={until}")
    assert ids == [s["y_bank"].id, s["a_cash"].id, s["b_refund"].id]
    assert totals == {"EUR": ("€10.00", "€200.00", "-€190.00"), "USD": ("US$25.00", "US$0.00", "US$25.00")}
    assert get(f"customer={s['anna'].id}") == ([s["a_cash"].id, s["a_bank"].id],
                                              {"EUR": ("€60.00", "€0.00", "€60.00")})
    assert get(f"customer={s['bert'].id}&method=cash&from={since}") == ([s["b_void"].id],
                                                                       {"EUR": ("€0.00", "€0.00", "€0.00")})
    ids, totals = get("method=paypal")
    assert ids == [] and totals == {}
    html = c.get(f"/payments/?customer={s['anna'].id}&method=cash").data.decode()
    assert "Customer: <strong>Anna Bakery</strong>" in html
    assert f'<input type="hidden" name="customer" value="{s["anna"].id}">' in html  # the next filter keeps it
    assert '<a href="/payments/?method=cash">all customers</a>' in html


def test_a_customer_is_chosen_by_a_search_of_names(owner, shop, f):
    s, c = shop, owner.client
    r = c.get("/payments/?q=BERT&method=card", headers={"HX-Request": "true"})
    html = r.data.decode()
    matches = re.search(r'<div id="customer-matches">.*?</div>', html, re.S).group(0)
    assert f'href="/payments/?method=card&amp;customer={s["bert"].id}"' in matches and "Bert Bikes" in matches
    assert "Anna" not in matches
    assert len(listed(html)) == 2  # the search only offers customers; the list is filtered once one is chosen
    html = c.get("/payments/?q=nobody").data.decode()
    assert "No customer matches “nobody”." in html and len(listed(html)) == 6
    for n in range(12):
        f.contact(s["org"], f"Bert Clone {n:02d}")
    html = c.get("/payments/?q=bert").data.decode()
    matches = re.search(r'<div id="customer-matches">.*?</div>', html, re.S).group(0)
    assert matches.count("<li>") == 10 and "The first 10 customers found; type more of the name." in matches


def test_pages_of_payments(owner, shop):
    r = owner.client.get("/payments/?per_page=25&page=1")
    assert len(listed(r.data.decode())) == 6 and 'rel="next"' not in r.data.decode()
    for n in range(30):
        record(shop["org"], shop["b1"], 100 + n, days_ago=20 + n % 5)
    first = owner.client.get("/payments/").data.decode()
    second = owner.client.get("/payments/?page=2").data.decode()
    assert len(listed(first)) == 25 and len(listed(second)) == 11
    assert set(listed(first)).isdisjoint(listed(second))
    assert "1–25 of 36" in first and "26–36 of 36" in second and 'href="/payments/?page=2"' in first
    assert listed(owner.client.get("/payments/?page=999").data.decode()) == listed(second)  # the last page


def test_the_htmx_filter_answers_the_list_alone_and_pushes_its_address(owner, shop):
    r = owner.client.get("/payments/?method=card&q=&from=&to=", headers={"HX-Request": "true"})
    html = r.data.decode()
    assert r.status_code == 200 and html.lstrip().startswith("<section id=\"payment-list\"") and "<html" not in html
    assert r.headers["HX-Push-Url"] == "/payments/?method=card"  # the short address, which renders the full page
    assert "HX-Request" in r.headers.get("Vary", "")
    full = owner.client.get(r.headers["HX-Push-Url"]).data.decode()
    assert "<html" in full and listed(full) == listed(html)
    assert 'hx-push-url="true"' in full and 'hx-target="#payment-list"' in full


@pytest.mark.parametrize("query, message", [
    ("from=yesterday", "From: yesterday is not a date"),
    ("to=2026-13-40", "Until: 2026-13-40 is not a date"),
    ("from=2026-05-01&to=2026-04-01", "The period ends before it begins"),
])
def test_bad_dates_are_a_422_with_a_message(owner, shop, query, message):
    r = owner.client.get(f"/payments/?{query}")
    assert r.status_code == 422 and message in r.data.decode()


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "per_page=7", "method=bitcoin", "customer=abc",
                                   "customer=99999999999999", "q=%00%25_", "page=99999999999999999999"])
def test_odd_parameters_are_ignored_never_a_500(owner, shop, query):
    r = owner.client.get(f"/payments/?{query}")
    assert r.status_code == 200


def test_every_role_that_sees_invoices_sees_the_list(shop, login_as):
    for role in ("owner", "staff", "bookkeeper"):
        member = login_as(role, org=shop["org"])
        html = member.client.get("/payments/").data.decode()
        assert len(listed(html)) == 6, role
        assert 'href="/payments/"' in html and 'href="/invoices/?kind=credit_note"' in html  # in the menu


def test_another_organizations_payments_never_show(owner, shop, login_as, f):
    stranger = login_as("owner")
    f.complete_org(stranger.org)
    html = stranger.client.get(f"/payments/?customer={shop['anna'].id}").data.decode()
    assert listed(html) == [] and "Anna Bakery" not in html
    html = stranger.client.get("/payments/?q=anna").data.decode()
    assert listed(html) == [] and "No payments match." in html


def test_the_credit_notes_are_in_the_menu(owner, shop):
    from webapp.services import corrections, issuing, locks

    invoice = locks.lock_document(shop["org"], shop["a1"].id)
    note = corrections.full_credit_note(shop["org"], owner.user, invoice)
    issuing.issue(shop["org"], owner.user, note)
    db.session.commit()
    page = owner.client.get("/").data.decode()
    link = re.search(r'<a href="/invoices/\?kind=credit_note"[^>]*>Credit notes</a>', page)
    assert link and "aria-current" not in link.group(0)
    listing = owner.client.get("/invoices/?kind=credit_note").data.decode()
    assert f'id="invoice-{note.id}"' in listing and f'id="invoice-{shop["a1"].id}"' not in listing
    assert re.search(r'<a href="/invoices/\?kind=credit_note" aria-current="page">Credit notes</a>', listing)
    assert not re.search(r'<a href="/invoices/" aria-current="page">Invoices</a>', listing)


def count_queries(app, call) -> int:
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        assert call().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_payments(app, owner, shop):
    """The count and the sums come from the running totals (unless a customer is chosen), the page is one query:
    as many queries for 6 payments as for 66, and the sums equal the payment rows' own."""
    urls = ("/payments/", "/payments/?method=card", f"/payments/?customer={shop['bert'].id}", "/payments/?q=bert",
            "/payments/?page=2", "/payments/?from=2026-01-01&method=cash")
    before = [count_queries(app, lambda u=url: owner.client.get(u)) for url in urls]
    for n in range(60):
        record(shop["org"], shop["b1"], 1000 + n, days_ago=n % 30, method=("card", "cash", "cheque")[n % 3])
    after = [count_queries(app, lambda u=url: owner.client.get(u)) for url in urls]
    assert before == after
    counted = db.session.execute(select(Payment.currency, func.count(), func.sum(Payment.amount))
                                 .where(Payment.voided_at.is_(None)).group_by(Payment.currency)).all()
    kept = db.session.execute(select(PaymentTotal.currency, func.sum(PaymentTotal.payment_count),
                                     func.sum(PaymentTotal.received - PaymentTotal.refunded))
                              .where(PaymentTotal.voided == 0).group_by(PaymentTotal.currency)).all()
    assert sorted(counted) == sorted(kept)
    assert db.session.get(Document, shop["b1"].id).paid_total == payments.paid_total(shop["b1"])


@pytest.mark.parametrize("language,texts,bad", [
    ("de", ["<h1>Zahlungen</h1>", "1–6 von 6 Zahlungen und Erstattungen; stornierte sind durchgestrichen",
            ">Erhalten</th>", ">Karte</td>", ">Bargeld</td>", "<td>Erstattung</td>",
            "storniert: typed twice", ">Alle Zahlungsarten</option>", 'placeholder="Kunden suchen"'],
     "Von: yesterday ist kein Datum (JJJJ-MM-TT)."),
    ("fr", ["<h1>Paiements</h1>", "1–6 sur 6 paiements et remboursements ; les annulés sont barrés",
            ">Reçu</th>", ">Carte</td>", ">Espèces</td>", "<td>Remboursement</td>", "annulé : typed twice",
            ">Tous les moyens</option>", 'placeholder="Rechercher un client"'],
     "Du : yesterday n’est pas une date (AAAA-MM-JJ)."),
])
def test_the_payments_list_in_german_and_french(owner, shop, language, texts, bad):
    headers = {"Accept-Language": language}
    html = owner.client.get("/payments/", headers=headers).data.decode()
    for text in texts:
        assert text in html, text
    r = owner.client.get("/payments/?from=yesterday", headers=headers)
    assert r.status_code == 422 and bad in r.data.decode()
