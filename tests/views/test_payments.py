"""Payments: partial, full, overpaid, refunds, voids, mark as paid, idempotency and roles."""
import re
import threading

import pytest
from sqlalchemy import func, select

from tests.views.parallel import post_at_once
from webapp.extensions import db
from webapp.models import AuditEvent, Document, OutboxMessage, Payment
from webapp.services import payments


def invoice(f, org, price="100.00"):
    # 1 x price + 19 % VAT
    return f.issued(org, contact_=f.contact(org, "Kunde AG", email="kunde@example.com", locale="en"),
                    lines=[("Work", "1", price)])


def form_key(client, doc_id) -> str:
    html = client.get(f"/invoices/{doc_id}/payments/new").data.decode()
    return re.search(r'name="key" type="hidden" value="([^"]+)"', html).group(1)


def pay(client, doc_id, amount, kind="payment", key=None, **extra):
    data = {"kind": kind, "amount": amount, "paid_on": extra.pop("paid_on", "2026-01-15"), "method": "bank_transfer",
            "reference": "", "note": "", "key": key if key is not None else form_key(client, doc_id), **extra}
    return client.post(f"/invoices/{doc_id}/payments/new", data=data)


def reload(doc) -> Document:
    db.session.expire_all()
    return db.session.get(Document, doc.id)


def test_the_form_defaults_to_the_amount_due(owner, f):
    doc = invoice(f, owner.org)
    html = owner.client.get(f"/invoices/{doc.id}/payments/new").data.decode()
    assert 'value="119,00"' in html  # as the German organization writes it and 'name="key"' in html


def test_partial_full_overpaid_refund_and_void(owner, f, login_as):
    doc = invoice(f, owner.org)
    assert reload(doc).payment_state == "unpaid"
    assert pay(owner.client, doc.id, "50").status_code == 303
    assert (reload(doc).paid_total, reload(doc).payment_state, reload(doc).amount_due) == (5000, "partially_paid", 6900)
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert "Partially paid" in page and "69,00" in page
    assert pay(owner.client, doc.id, "79.00", allow_overpayment="y").status_code == 303  # 10.00 more, confirmed
    assert (reload(doc).payment_state, reload(doc).amount_due) == ("overpaid", -1000)
    assert "Owed to the customer" in owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert pay(owner.client, doc.id, "10", kind="refund").status_code == 303
    assert (reload(doc).payment_state, reload(doc).paid_total) == ("paid", 11900)
    # void the first payment: listed, struck through, audited, no longer counted
    first = db.session.scalars(select(Payment).order_by(Payment.id)).first()
    bookkeeper = login_as("bookkeeper", org=owner.org)
    r = bookkeeper.client.post(f"/invoices/{doc.id}/payments/{first.id}/void", data={"reason": "bounced"})
    assert r.status_code == 303
    assert (reload(doc).paid_total, reload(doc).payment_state) == (6900, "partially_paid")
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 3  # never deleted
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.voided"))
    assert "bounced" in event.summary and event.actor_id == bookkeeper.user.id
    assert payments.paid_total(reload(doc)) == reload(doc).paid_total
    again = bookkeeper.client.post(f"/invoices/{doc.id}/payments/{first.id}/void", data={}, follow_redirects=True)
    assert "already voided" in again.data.decode()


def test_staff_records_but_cannot_void(owner, f, login_as):
    doc = invoice(f, owner.org)
    staff = login_as("staff", org=owner.org)
    assert pay(staff.client, doc.id, "10").status_code == 303
    payment = db.session.scalar(select(Payment))
    assert staff.client.post(f"/invoices/{doc.id}/payments/{payment.id}/void").status_code == 403
    assert reload(doc).paid_total == 1000
    assert "Void" not in staff.client.get(f"/invoices/{doc.id}").data.decode().split('id="payments"')[1].split("</article>")[0]


@pytest.mark.parametrize("amount, extra, error", [
    ("", {}, "Enter an amount"),
    ("0", {}, "Enter an amount"),
    ("-5", {}, "not negative"),
    ("abc", {}, ""),
    ("1,234", {}, "at most 2 decimals"),
    ("10", {"paid_on": "2999-01-01"}, "future"),
    ("10", {"paid_on": "yesterday"}, "Enter the date"),
    ("10", {"method": "bitcoin"}, "Not a valid choice"),
    ("200", {"kind": "refund"}, "cannot be more than what was paid"),
    ("10", {"key": ""}, "expired"),
])
def test_bad_payment_input_records_nothing_and_keeps_the_form(owner, f, amount, extra, error):
    doc = invoice(f, owner.org)
    data = {"kind": extra.pop("kind", "payment"), **extra}
    key = data.pop("key", None)
    r = pay(owner.client, doc.id, amount, key=key if key is not None else form_key(owner.client, doc.id), **data)
    assert r.status_code == 422, r.data[:300]
    assert error in r.data.decode()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0 and reload(doc).paid_total == 0


def test_the_same_form_twice_records_one_payment(owner, f):
    doc = invoice(f, owner.org)
    key = form_key(owner.client, doc.id)
    for _ in range(3):
        assert pay(owner.client, doc.id, "20", key=key).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1 and reload(doc).paid_total == 2000


def test_mark_as_paid_records_the_rest_today_and_can_confirm_by_email(owner, f):
    from datetime import date

    doc = invoice(f, owner.org)
    pay(owner.client, doc.id, "19")
    html = owner.client.get(f"/invoices/{doc.id}").data.decode()
    key = re.search(r'id="mark-paid-form".*?name="key" type="hidden" value="([^"]+)"', html, re.S).group(1)
    r = owner.client.post(f"/invoices/{doc.id}/mark-paid", data={"key": key, "send_confirmation": "y"})
    assert r.status_code == 303
    rest = db.session.scalars(select(Payment).order_by(Payment.id.desc())).first()
    assert rest.amount == 10000 and rest.paid_on == date.today()
    assert reload(doc).payment_state == "paid"
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "payment_confirmation"))
    assert message.to_addrs == "kunde@example.com" and doc.number in message.subject
    assert "€100.00" in message.body_text and "paid in full" in message.body_text
    # twice: nothing more
    owner.client.post(f"/invoices/{doc.id}/mark-paid", data={"key": key})
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 2
    r = owner.client.post(f"/invoices/{doc.id}/mark-paid", data={"key": "another-key-123456"}, follow_redirects=True)
    assert "nothing left to pay" in r.data.decode()


def test_drafts_take_no_payments(owner, f):
    draft = f.draft(owner.org)
    assert owner.client.get(f"/invoices/{draft.id}/payments/new").status_code == 303
    r = pay(owner.client, draft.id, "10", key="k" * 20)
    assert r.status_code == 303 and db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_other_organizations_get_404(owner, f, login_as):
    doc = invoice(f, owner.org)
    pay(owner.client, doc.id, "10")
    payment = db.session.scalar(select(Payment))
    stranger = login_as("owner")
    assert stranger.client.get(f"/invoices/{doc.id}/payments/new").status_code == 404
    assert stranger.client.post(f"/invoices/{doc.id}/payments/{payment.id}/void").status_code == 404
    assert stranger.client.post(f"/invoices/{doc.id}/mark-paid", data={"key": "x" * 20}).status_code == 404
    assert reload(doc).paid_total == 1000


def test_voiding_a_payment_that_a_refund_depends_on_is_refused(owner, f):
    """Paid 119, refunded 119: voiding the payment would leave more refunded than paid (a negative paid
    total), so it is refused and nothing changes; the refund has to be voided first."""
    doc = invoice(f, owner.org)
    assert pay(owner.client, doc.id, "119.00").status_code == 303
    assert pay(owner.client, doc.id, "119.00", kind="refund").status_code == 303
    payment, refund = db.session.scalars(select(Payment).order_by(Payment.id)).all()
    assert (payment.amount, refund.amount) == (11900, -11900)
    r = owner.client.post(f"/invoices/{doc.id}/payments/{payment.id}/void", data={"reason": "bounced"},
                          follow_redirects=True)
    assert "void the refund first" in r.data.decode()
    db.session.expire_all()
    assert not db.session.get(Payment, payment.id).is_void and not db.session.get(Payment, refund.id).is_void
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "payment.voided")) == 0
    d = reload(doc)
    assert d.paid_total == 0 == payments.paid_total(d) and d.amount_due == 11900 and d.payment_state == "unpaid"
    # in the right order both can be voided, and the total never goes below zero
    owner.client.post(f"/invoices/{doc.id}/payments/{refund.id}/void", data={"reason": "sent twice"})
    assert reload(doc).paid_total == 11900
    owner.client.post(f"/invoices/{doc.id}/payments/{payment.id}/void", data={"reason": "bounced"})
    assert reload(doc).paid_total == 0 == payments.paid_total(reload(doc))
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.voided_at.is_not(None))) == 2


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_two_full_refunds_at_once_refund_once(app, owner, f, attempt):
    """Two refund forms for everything paid, sent in the same moment: the invoice's row is locked, so the
    second sees the first and is refused (422); one refund row, and the paid total is 0, never -119."""
    doc = invoice(f, owner.org)
    pay(owner.client, doc.id, "119.00")
    refund = {"kind": "refund", "amount": "119.00", "paid_on": "2026-01-15", "method": "card"}
    url = f"/invoices/{doc.id}/payments/new"
    statuses = post_at_once(app, owner, *((url, {**refund, "key": form_key(owner.client, doc.id)}) for _ in range(2)))
    assert sorted(statuses) == [303, 422]
    assert sorted(p.amount for p in db.session.scalars(select(Payment))) == [-11900, 11900]
    d = reload(doc)
    assert d.paid_total == 0 == payments.paid_total(d) and d.amount_due == 11900


@pytest.mark.slow
@pytest.mark.postgres_only
def test_ten_identical_submissions_at_once_record_one_payment(app, owner, f):
    """Threads with their own connections post the same form at the same moment (PostgreSQL)."""
    doc = invoice(f, owner.org)
    key = form_key(owner.client, doc.id)
    barrier = threading.Barrier(10)
    statuses, errors = [], []
    token, url = owner.client.csrf_token(), f"/invoices/{doc.id}/payments/new"
    cookie = owner.client.get_cookie("session").value

    def submit():
        client = app.test_client()
        client.set_cookie("session", cookie)
        try:
            barrier.wait(timeout=30)
            r = client.post(url, data={
                "kind": "payment", "amount": "25", "paid_on": "2026-01-15", "method": "card", "key": key},
                headers={"X-CSRFToken": token}, csrf=False)
            statuses.append(r.status_code)
        except Exception:  # noqa: BLE001 - asserted below
            import traceback; errors.append(traceback.format_exc())

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors[0]
    assert statuses == [303] * 10
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert reload(doc).paid_total == 2500 == payments.paid_total(reload(doc))


def test_payment_state_in_lists_dashboard_customer_and_public_pages(app, owner, f):
    from datetime import date, timedelta

    org = owner.org
    unpaid, partial, paid, over = (invoice(f, org) for _ in range(4))
    today = date.today().isoformat()
    pay(owner.client, partial.id, "19", paid_on=today)
    pay(owner.client, paid.id, "119", paid_on=today)
    pay(owner.client, over.id, "120", paid_on=today, allow_overpayment="y")
    past = date.today() - timedelta(days=1)
    db.session.execute(Document.__table__.update().where(Document.id == unpaid.id).values(due_date=past))
    db.session.commit()

    def listed(status):
        html = owner.client.get(f"/invoices/?status={status}").data.decode()
        return {d.id for d in (unpaid, partial, paid, over) if f'id="invoice-{d.id}"' in html}

    assert listed("open") == {unpaid.id, partial.id}
    assert listed("overdue") == {unpaid.id}
    assert listed("unpaid") == {unpaid.id}
    assert listed("partially_paid") == {partial.id}
    assert listed("paid") == {paid.id}
    assert listed("overpaid") == {over.id}
    html = owner.client.get("/invoices/").data.decode()
    assert "Partially paid" in html and "Overpaid" in html and "Overdue" in html

    dashboard = owner.client.get("/").data.decode()
    outstanding = re.search(r'id="summary-outstanding".*?</article>', dashboard, re.S).group(0)
    overdue = re.search(r'id="summary-overdue".*?</article>', dashboard, re.S).group(0)
    paid_month = re.search(r'id="summary-paid".*?</article>', dashboard, re.S).group(0)
    assert "219,00" in outstanding and "119,00" in overdue and "258,00" in paid_month  # 119 + 100, 119, 19+119+120

    customer_page = owner.client.get(f"/customers/{partial.contact_id}").data.decode()
    assert "Outstanding <strong>100,00" in customer_page

    public = app.test_client()
    page = public.get(f"/p/{partial.public_token}").data.decode()
    assert "Partially paid" in page and "Amount due: €100.00" in page and "Paid so far: €19.00" in page
    page = public.get(f"/p/{paid.public_token}").data.decode()
    assert "Paid in full. Thank you!" in page and "Pay by bank transfer" not in page
    page = public.get(f"/p/{over.public_token}").data.decode()
    assert "We owe you €1.00" in page


def test_a_payment_above_the_amount_due_asks_for_confirmation_and_states_the_difference(owner, f):
    """217.27 on 119.00 due: refused (422) with the difference and a checkbox; nothing recorded. Ticked, the
    overpayment is recorded. An absurd amount is refused the same way, never taken silently."""
    import html as html_lib

    owner.org.locale = "en_GB"
    db.session.commit()
    doc = invoice(f, owner.org)
    key = form_key(owner.client, doc.id)
    r = pay(owner.client, doc.id, "217.27", key=key)
    page = html_lib.unescape(r.data.decode())
    assert r.status_code == 422
    assert "This is €98.27 more than the €119.00 due; tick 'Record the overpayment' to record it." in page
    assert 'type="checkbox"' in page and 'name="allow_overpayment"' in page
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0 and reload(doc).paid_total == 0
    # the same form answered over htmx: the form alone, with the message and the checkbox
    r = owner.client.post(f"/invoices/{doc.id}/payments/new", headers={"HX-Request": "true"}, data={
        "kind": "payment", "amount": "99999999999.00", "paid_on": "2026-01-15", "method": "bank_transfer",
        "key": key})
    page = html_lib.unescape(r.data.decode())
    assert r.status_code == 422 and page.lstrip().startswith("<form") and "<html" not in page
    assert "This is €99,999,999,880.00 more than the €119.00 due" in page and 'name="allow_overpayment"' in page
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    # an amount up to what is due needs no confirmation (the checkbox is not even shown)
    assert 'name="allow_overpayment"' not in owner.client.get(f"/invoices/{doc.id}/payments/new").data.decode()
    # confirmed, it is recorded
    assert pay(owner.client, doc.id, "217.27", key=key, allow_overpayment="y").status_code == 303
    d = reload(doc)
    assert (d.paid_total, d.amount_due, d.payment_state) == (21727, -9827, "overpaid")
    # nothing is due any more: any further payment is all overpayment
    r = pay(owner.client, doc.id, "5")
    assert r.status_code == 422 and "all of the €5.00 would be an overpayment" in html_lib.unescape(r.data.decode())
    assert reload(doc).paid_total == 21727


def test_a_full_payment_sent_twice_is_not_taken_for_an_overpayment(owner, f):
    doc = invoice(f, owner.org)
    key = form_key(owner.client, doc.id)
    assert pay(owner.client, doc.id, "119.00", key=key).status_code == 303
    assert pay(owner.client, doc.id, "119.00", key=key).status_code == 303  # the same form: the same payment
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1 and reload(doc).paid_total == 11900


def test_amounts_paid_and_refunded_show_as_positive_amounts(owner, f):
    """Paid 1,000.00 reads "Paid €1,000.00", never with a minus; a refund is listed as a refund, positive."""
    owner.org.locale = "en_GB"
    db.session.commit()
    doc = invoice(f, owner.org, price="1000.00")  # 1,190.00
    assert pay(owner.client, doc.id, "1000").status_code == 303
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert re.search(r'<th>Paid</th><td class="num" id="balance-paid">€1,000.00</td>', page)
    assert "balance-refunded" not in page and "-€" not in page and "−€" not in page
    assert pay(owner.client, doc.id, "200", kind="refund").status_code == 303
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert re.search(r'id="balance-paid">€1,000.00<', page) and re.search(r'id="balance-refunded">€200.00<', page)
    refund = db.session.scalar(select(Payment).where(Payment.amount < 0))
    row = re.search(rf'<tr class="" id="payment-{refund.id}">.*?</tr>', page, re.S).group(0)
    assert "<td>Refund</td>" in row and ">€200.00<" in row
    assert re.search(r'id="amount-due">€390.00<', page) and "-€" not in page and "−€" not in page
    # a voided payment no longer counts as paid
    first = db.session.scalar(select(Payment).where(Payment.amount > 0))
    owner.client.post(f"/invoices/{doc.id}/payments/{refund.id}/void", data={"reason": "typo"})
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert re.search(r'id="balance-paid">€1,000.00<', page) and "balance-refunded" not in page
    assert first.amount == 100000


def test_a_cancelled_invoice_takes_refunds_but_no_payments(owner, f):
    doc = invoice(f, owner.org)
    assert pay(owner.client, doc.id, "50").status_code == 303
    assert owner.client.post(f"/invoices/{doc.id}/cancel", data={"reason": "Ordered twice"}).status_code == 303
    assert reload(doc).status == "cancelled"
    # money in: refused with its own code's message, nothing recorded
    r = pay(owner.client, doc.id, "10")
    assert r.status_code == 422
    assert "is cancelled and is not to be paid: only refunds and voids of its payments" in r.data.decode()
    assert reload(doc).paid_total == 5000 and db.session.scalar(select(func.count()).select_from(Payment)) == 1
    # the form offers refunds only, filled with what is owed back; the page's button says so
    form = owner.client.get(f"/invoices/{doc.id}/payments/new").data.decode()
    assert 'value="refund"' in form and 'value="payment"' not in form and 'value="50,00"' in form
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert "Record a refund" in page and "Record payment or refund" not in page
    assert pay(owner.client, doc.id, "50", kind="refund").status_code == 303
    assert reload(doc).paid_total == 0 and reload(doc).amount_due == 0
    # nothing paid any more: no refund to record either
    page = owner.client.get(f"/invoices/{doc.id}").data.decode()
    assert "Record a refund" not in page and "Record payment or refund" not in page


def test_a_cancelled_unpaid_invoice_refuses_a_payment(owner, f):
    doc = invoice(f, owner.org)
    owner.client.post(f"/invoices/{doc.id}/cancel", data={})
    r = pay(owner.client, doc.id, "119")
    assert r.status_code == 422 and "is cancelled and is not to be paid" in r.data.decode()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0 and reload(doc).paid_total == 0
    r = owner.client.post(f"/invoices/{doc.id}/mark-paid", data={"key": "k" * 20}, follow_redirects=True)
    assert "is cancelled and is not to be paid" in r.data.decode()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_the_customer_page_shows_an_overpaid_invoice_as_owed_back_and_links_the_payments(owner, f):
    owner.org.locale = "en_GB"
    db.session.commit()
    doc = invoice(f, owner.org)
    assert pay(owner.client, doc.id, "129.00", allow_overpayment="y").status_code == 303
    page = owner.client.get(f"/customers/{doc.contact_id}").data.decode()
    assert "<small>owed to the customer</small> €10.00" in page and "-€10.00" not in page
    assert f'href="/payments/?customer={doc.contact_id}" id="customer-payments"' in page


def test_the_customers_page_shows_what_was_paid_as_positive_amounts(app, owner, f):
    doc = invoice(f, owner.org)
    pay(owner.client, doc.id, "50")
    pay(owner.client, doc.id, "10", kind="refund")
    page = app.test_client().get(f"/p/{doc.public_token}").data.decode()
    assert "Paid so far: €40.00" in page and "Amount due: €79.00" in page and "-€" not in page
    pay(owner.client, doc.id, "100", allow_overpayment="y")
    page = app.test_client().get(f"/p/{doc.public_token}").data.decode()
    assert "We owe you €21.00" in page and "-€" not in page


def test_over_htmx_a_recorded_payment_sends_the_browser_to_the_invoice_page(owner, f):
    """A success answers HX-Redirect to the invoice page (a full page load: the address is the invoice's); a
    refusal answers 422 with the form alone and no new address (the form's own, which renders the form)."""
    doc = invoice(f, owner.org)
    key = form_key(owner.client, doc.id)
    data = {"kind": "payment", "amount": "abc", "paid_on": "2026-01-15", "method": "card", "key": key}
    r = owner.client.post(f"/invoices/{doc.id}/payments/new", headers={"HX-Request": "true"}, data=data)
    assert r.status_code == 422 and r.data.decode().lstrip().startswith("<form")
    assert not {"HX-Redirect", "HX-Location", "HX-Push-Url", "HX-Replace-Url"} & set(r.headers.keys())
    r = owner.client.post(f"/invoices/{doc.id}/payments/new", headers={"HX-Request": "true"},
                          data={**data, "amount": "20"})
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"/invoices/{doc.id}#payments"
    assert owner.client.get(r.headers["HX-Redirect"]).status_code == 200


def test_the_overpayment_refusal_reads_in_german_with_the_amounts_as_the_member_writes_them(owner, f):
    """The refusal is a German sentence; its amounts (``Amount`` values) are formatted in the reader's locale."""
    import html as html_lib

    owner.org.locale = "de_DE"
    db.session.commit()
    doc = invoice(f, owner.org)  # 119,00 € due
    r = owner.client.post(f"/invoices/{doc.id}/payments/new", headers={"Accept-Language": "de"}, data={
        "kind": "payment", "amount": "1353,56", "paid_on": "2026-01-15", "method": "bank_transfer",
        "key": form_key(owner.client, doc.id)})
    page = html_lib.unescape(r.data.decode())
    assert r.status_code == 422
    assert ("Das sind 1.234,56\xa0€ mehr als die fälligen 119,00\xa0€; kreuzen Sie „Überzahlung erfassen“ an, "
            "um sie zu erfassen.") in page
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_a_refused_refund_reads_in_french(owner, f):
    import html as html_lib

    owner.org.locale = "fr_FR"
    db.session.commit()
    doc = invoice(f, owner.org)
    r = pay(owner.client, doc.id, "5", kind="refund")
    assert r.status_code == 422
    r = owner.client.post(f"/invoices/{doc.id}/payments/new", headers={"Accept-Language": "fr"}, data={
        "kind": "refund", "amount": "5", "paid_on": "2026-01-15", "method": "bank_transfer",
        "key": form_key(owner.client, doc.id)})
    page = html_lib.unescape(r.data.decode())
    assert r.status_code == 422 and "Un remboursement ne peut pas dépasser ce qui a été payé (0,00\xa0€)." in page


@pytest.mark.parametrize("language, texts", [
    ("de", ["<h1>Zahlung zu {number} erfassen</h1>", ">Zahlung erhalten</option>", ">Überweisung</option>",
            "Die Zahlung von 50,00\xa0€ wurde erfasst.", '<span class="badge pay-partially_paid" id="payment-state">'
            "Teilweise bezahlt</span>", "<th>Zahlungsart</th>", ">Zahlung oder Erstattung erfassen</a>"]),
    ("fr", ["<h1>Enregistrer un paiement pour {number}</h1>", ">Paiement reçu</option>", ">Virement bancaire</option>",
            "Le paiement de 50,00\xa0€ a été enregistré.", '<span class="badge pay-partially_paid" id="payment-state">'
            "Partiellement payée</span>", "<th>Moyen</th>", ">Enregistrer un paiement ou un remboursement</a>"]),
])
def test_recording_a_payment_speaks_the_members_language(owner, f, language, texts):
    doc = invoice(f, owner.org)
    headers = {"Accept-Language": language}
    form = owner.client.get(f"/invoices/{doc.id}/payments/new", headers=headers).data.decode()
    r = owner.client.post(f"/invoices/{doc.id}/payments/new", headers=headers, data={
        "kind": "payment", "amount": "50", "paid_on": "2026-01-15", "method": "bank_transfer", "reference": "",
        "note": "", "key": re.search(r'name="key" type="hidden" value="([^"]+)"', form).group(1)})
    assert r.status_code == 303
    page = form + owner.client.get(r.headers["Location"], headers=headers).data.decode()
    for text in texts:
        assert text.format(number=doc.number) in page, text
