"""The invoice pages: list, new draft, the live editor, issuing, delete, duplicate, roles."""
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.security.routes import build
from tests.security.test_tenancy import table_contents
from webapp.extensions import db
from webapp.models import Contact, Document, DocumentLine, TaxRate

HX = {"HX-Request": "true"}


def eur(amount: str) -> str:
    """How the German demo organization shows euros."""
    return f"{amount}\xa0€"


@pytest.fixture
def shop(login_as, f):
    owner = login_as("owner")
    f.complete_org(owner.org)
    owner.customer = f.contact(owner.org, "Café Morgenrot", country="DE")
    return owner


def version_of(response) -> int:
    return int(re.search(r'id="doc-version" name="current_version" value="(\d+)"', response.data.decode()).group(1))


def start_draft(shop):
    r = shop.client.post("/invoices/new", data={"contact_id": shop.customer.id})
    assert r.status_code == 303
    doc_id = int(r.headers["Location"].split("/")[2])
    page = shop.client.get(f"/invoices/{doc_id}/edit")
    return doc_id, version_of(page)


def line_data(line_id, **values):
    base = {"description": "Bread", "quantity": "1", "unit": "piece", "unit_price": "10", "discount_percent": "",
            "tax_rate_id": "0"}
    base.update(values)
    return {f"l{line_id}-{k}": v for k, v in base.items()}


def test_editor_round_trip_updates_line_and_totals_out_of_band(shop):
    doc_id, version = start_draft(shop)
    r = shop.client.post(f"/invoices/{doc_id}/lines", data={"current_version": version}, headers=HX)
    assert r.status_code == 200
    html = r.data.decode()
    assert html.lstrip().startswith('<div id="line-') and 'id="invoice-lines"' not in html  # the new line only
    assert '<section id="invoice-totals" class="totals" hx-swap-oob="true"' in html
    assert 'id="doc-version" name="current_version"' in html and 'hx-swap-oob="true"' in html
    line_id = int(re.search(r'id="line-(\d+)"', html).group(1))
    rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == shop.org.id, TaxRate.percent == Decimal("19")))
    r = shop.client.post(f"/invoices/{doc_id}/lines/{line_id}",
                         data={"current_version": version_of(r), **line_data(line_id, quantity="3", unit_price="3.3333",
                                                                              tax_rate_id=str(rate.id))}, headers=HX)
    assert r.status_code == 200
    html = r.data.decode()
    assert html.lstrip().startswith(f'<div class="cell num line-net" id="line-net-{line_id}">')
    assert f'id="line-errors-{line_id}" role="alert" hx-swap-oob="true">' in html
    assert f'id="line-net-{line_id}">{eur("10,00")}<' in html
    assert f'id="total-gross">{eur("11,90")}<' in html
    doc = db.session.get(Document, doc_id)
    assert (doc.net_total, doc.tax_total, doc.gross_total) == (1000, 190, 1190)


def test_bad_line_input_is_422_and_changes_nothing(shop):
    doc_id, version = start_draft(shop)
    r = shop.client.post(f"/invoices/{doc_id}/lines", data={"current_version": version}, headers=HX)
    line_id = int(re.search(r'id="line-(\d+)"', r.data.decode()).group(1))
    version = version_of(r)
    for values, message in [({"quantity": "abc"}, "abc is not a number"), ({"unit_price": "1.1234567"}, "at most 6"),
                            ({"quantity": "0"}, "remove the line instead"), ({"discount_percent": "120"}, "At most 100 %"),
                            ({"unit": "lightyear"}, "Not a valid choice"), ({"tax_rate_id": "999999"}, "Not a valid choice")]:
        r = shop.client.post(f"/invoices/{doc_id}/lines/{line_id}",
                             data={"current_version": version, **line_data(line_id, **values)}, headers=HX)
        assert r.status_code == 422, values
        assert message in r.data.decode() and "Not saved." in r.data.decode()
        assert "invoice-totals" not in r.data.decode()
    line = db.session.get(DocumentLine, line_id)
    assert (line.quantity, line.unit_price) == (Decimal("1"), Decimal("0"))


def test_stale_edit_is_refused_with_the_current_state(shop):
    doc_id, version = start_draft(shop)
    r = shop.client.post(f"/invoices/{doc_id}/lines", data={"current_version": version}, headers=HX)
    line_id = int(re.search(r'id="line-(\d+)"', r.data.decode()).group(1))
    newer = version_of(r)
    # a second editor still has the old version
    r = shop.client.post(f"/invoices/{doc_id}/lines/{line_id}",
                         data={"current_version": version, **line_data(line_id, quantity="7")}, headers=HX)
    assert r.status_code == 409
    assert r.headers["HX-Retarget"] == "#invoice-editor"
    html = r.data.decode()
    assert "Someone else changed this draft meanwhile" in html and html.lstrip().startswith('<div id="invoice-editor"')
    assert version_of(r) == newer
    assert db.session.get(DocumentLine, line_id).quantity == Decimal("1")


def test_product_search_fills_the_line(shop, f):
    seven = db.session.scalar(select(TaxRate).where(TaxRate.org_id == shop.org.id, TaxRate.percent == Decimal("7")))
    product = f.product(shop.org, "Sourdough loaf", "4.80", unit="kg", tax_rate_id=seven.id, description="1 kg")
    doc_id, version = start_draft(shop)
    r = shop.client.post(f"/invoices/{doc_id}/lines", data={"current_version": version}, headers=HX)
    line_id = int(re.search(r'id="line-(\d+)"', r.data.decode()).group(1))
    results = shop.client.get(f"/invoices/{doc_id}/products?line={line_id}&q=SOUR", headers=HX).data.decode()
    assert "Sourdough loaf" in results
    r = shop.client.post(f"/invoices/{doc_id}/lines/{line_id}/product",
                         data={"current_version": version_of(r), "product_id": product.id}, headers=HX)
    assert r.status_code == 200
    line = db.session.get(DocumentLine, line_id)
    assert (line.description, line.unit, line.unit_price, line.tax_percent) == (
        "Sourdough loaf\n1 kg", "kg", Decimal("4.80"), Decimal("7"))
    assert db.session.get(Document, doc_id).gross_total == 514


def test_remove_move_adjustments_and_header(shop, f):
    doc = f.draft(shop.org, shop.customer, lines=[("A", "1", "10"), ("B", "1", "20"), ("C", "1", "30")])
    c = shop.client
    ids = [line.id for line in doc.lines]
    v = doc.version
    r = c.post(f"/invoices/{doc.id}/lines/{ids[2]}/move", data={"current_version": v, "direction": "up"}, headers=HX)
    assert [x.description for x in db.session.get(Document, doc.id).lines] == ["A", "C", "B"]
    r = c.post(f"/invoices/{doc.id}/lines/{ids[0]}/delete", data={"current_version": version_of(r)}, headers=HX)
    assert [x.description for x in db.session.get(Document, doc.id).lines] == ["C", "B"]
    r = c.post(f"/invoices/{doc.id}/adjustments", data={"current_version": version_of(r), "kind": "charge"}, headers=HX)
    adj_id = int(re.search(r'id="adjustment-(\d+)"', r.data.decode()).group(1))
    rate = db.session.scalar(select(TaxRate).where(TaxRate.org_id == shop.org.id, TaxRate.percent == Decimal("19")))
    r = c.post(f"/invoices/{doc.id}/adjustments/{adj_id}", headers=HX, data={
        "current_version": version_of(r), f"a{adj_id}-reason": "Shipping", f"a{adj_id}-amount": "5",
        f"a{adj_id}-tax_rate_id": str(rate.id)})
    assert r.status_code == 200
    r = c.post(f"/invoices/{doc.id}/header", headers=HX, data={
        "current_version": version_of(r), "currency": "EUR", "payment_terms": "custom", "payment_terms_custom": "21",
        "customer_reference": "PO-77", "service_date": "2026-01-01", "service_period_end": "2026-01-31",
        "discount_percent": "10", "notes": "Thanks!"})
    assert r.status_code == 200
    doc = db.session.get(Document, doc.id)
    assert (doc.payment_terms_days, doc.customer_reference, doc.notes) == (21, "PO-77", "Thanks!")
    assert doc.charge_total == 500 and doc.allowance_total == 500 and doc.net_total == 5000
    r = c.post(f"/invoices/{doc.id}/header", headers=HX, data={
        "current_version": version_of(r), "currency": "EUR", "payment_terms": "custom", "payment_terms_custom": ""})
    assert r.status_code == 422 and "Enter the number of days." in r.data.decode()
    r = c.post(f"/invoices/{doc.id}/header", headers=HX, data={
        "current_version": doc.version, "currency": "EUR", "payment_terms": "14", "service_date": "2026-02-01",
        "service_period_end": "2026-01-01"})
    assert r.status_code == 422 and "ends before it starts" in r.data.decode()
    assert db.session.get(Document, doc.id).payment_terms_days == 21


def test_issue_from_the_editor_and_then_nothing_can_change(shop, f, app):
    doc = f.draft(shop.org, shop.customer)
    r = shop.client.post(f"/invoices/{doc.id}/issue", data={"current_version": doc.version})
    assert r.status_code == 303 and r.headers["Location"] == f"/invoices/{doc.id}"
    page = shop.client.get(f"/invoices/{doc.id}").data.decode()
    number = f"INV-{date.today().year}-0001"
    assert number in page and "issued" in page.lower() and "Edit draft" not in page
    line = db.session.get(Document, doc.id).lines[0]
    product = f.product(shop.org, "Thing")
    before = table_contents()
    values = {"document_id": doc.id, "line_id": line.id, "adjustment_id": 1}
    tried = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("invoices.") or "POST" not in rule.methods or "document_id" not in rule.arguments:
            continue
        if rule.endpoint in {"invoices.duplicate", "invoices.renew_link", "invoices.revoke_link", "invoices.send",
                             "invoices.new_payment", "invoices.void_payment", "invoices.mark_paid", "invoices.credit",
                             "invoices.cancel", "invoices.change_recipient", "invoices.add_note",
                             "invoices.add_note_files"}:
            continue  # allowed for issued invoices (tests/views/test_status_actions.py): none changes the document
        url = build(app, rule, values)
        current = db.session.get(Document, doc.id).version
        for headers in ({}, HX):
            r = shop.client.post(url, data={"current_version": current, "version": current, "kind": "charge",
                                            "product_id": product.id, **line_data(line.id, quantity="5")},
                                 headers=headers, follow_redirects=not headers)
            if headers:
                assert r.headers.get("HX-Redirect") == f"/invoices/{doc.id}", (url, r.status_code)
            else:
                assert "issued" in r.data.decode(), url
        tried.append(rule.endpoint)
        assert table_contents() == before, url
    assert len(tried) >= 11
    edit = shop.client.get(f"/invoices/{doc.id}/edit")
    assert edit.status_code == 303 and edit.headers["Location"] == f"/invoices/{doc.id}"


def test_issue_refused_with_a_message(shop, f):
    doc = f.draft(shop.org, shop.customer, lines=())
    r = shop.client.post(f"/invoices/{doc.id}/issue", data={"current_version": doc.version}, follow_redirects=True)
    assert "cannot be issued yet: Add at least one line." in r.data.decode()
    assert db.session.get(Document, doc.id).status == "draft"


def test_what_keeps_a_draft_from_being_issued_reads_in_german(shop, f):
    """The problems are messages of their own (``Text``), in the refusal and on the page, in the reader's language."""
    doc = f.draft(shop.org, shop.customer, lines=(("", "1", "5.00"),))
    shop.org.legal_name = ""
    db.session.commit()
    de = {"Accept-Language": "de"}
    page = shop.client.get(f"/invoices/{doc.id}", headers=de).data.decode()
    assert "Position 1 braucht eine Beschreibung." in page
    assert "Vervollständigen Sie zuerst Ihre Firmendaten: Firmierung." in page
    r = shop.client.post(f"/invoices/{doc.id}/issue", data={"current_version": doc.version}, headers=de,
                         follow_redirects=True)
    assert ("Diese Rechnung kann noch nicht ausgestellt werden: Position 1 braucht eine Beschreibung. "
            "Vervollständigen Sie zuerst Ihre Firmendaten: Firmierung.") in r.data.decode()


def test_new_draft_with_a_new_customer(shop):
    r = shop.client.post("/invoices/new/customer", data={"company_name": "Fresh Ltd", "email": "a@fresh.example",
                                                          "country": "GB"})
    assert r.status_code == 303
    contact = db.session.scalar(select(Contact).where(Contact.company_name == "Fresh Ltd"))
    doc = db.session.scalar(select(Document).where(Document.contact_id == contact.id))
    assert doc.status == "draft" and r.headers["Location"] == f"/invoices/{doc.id}/edit"
    r = shop.client.post("/invoices/new/customer", data={"company_name": "", "person_name": "", "country": "GB"})
    assert r.status_code == 422 and "Enter a person or a company name." in r.data.decode()
    results = shop.client.get("/invoices/new?q=fresh", headers=HX).data.decode()
    assert results.lstrip().startswith('<div id="customer-results">') and "Fresh Ltd" in results


def test_delete_draft_and_duplicate(shop, f):
    draft = f.draft(shop.org, shop.customer)
    draft_id, version = draft.id, draft.version
    r = shop.client.post(f"/invoices/{draft_id}/delete", data={"version": version - 1}, follow_redirects=True)
    assert "Someone else changed this draft" in r.data.decode()  # a stale page does not delete
    assert db.session.get(Document, draft_id) is not None
    assert shop.client.post(f"/invoices/{draft_id}/delete", data={"version": version}).status_code == 303
    assert db.session.get(Document, draft_id) is None
    issued = f.issued(shop.org, contact_=shop.customer)
    r = shop.client.post(f"/invoices/{issued.id}/delete", data={"version": issued.version}, follow_redirects=True)
    assert "issued documents are never changed" in r.data.decode()
    assert db.session.get(Document, issued.id) is not None
    r = shop.client.post(f"/invoices/{issued.id}/duplicate")
    copy_id = int(r.headers["Location"].split("/")[2])
    assert db.session.get(Document, copy_id).status == "draft"


def test_list_filters_sums_and_pagination(shop, f):
    other = f.contact(shop.org, "Hotel Alpenblick")
    from webapp.services import drafts, issuing

    old = f.draft(shop.org, shop.customer, lines=[("A", "1", "100")])
    drafts.update_header(old, {"chosen_issue_date": date.today() - timedelta(days=30)})
    issuing.issue(shop.org, shop.user, old)  # due 14 days later: overdue now
    db.session.commit()
    f.issued(shop.org, contact_=other, lines=[("B", "1", "50")])
    f.draft(shop.org, other, lines=[("C", "1", "10")])
    c = shop.client

    def numbers(url):
        html = c.get(url).data.decode()
        return re.findall(r'<a href="/invoices/\d+">([^<]+)</a>', html), html

    got, html = numbers("/invoices/")
    assert len(got) == 3
    # invoiced 119 + 59.50; the draft's 11.90 is not invoiced (issue 13: the sum used to add it)
    assert f'<span id="sum-issued">invoiced <strong>{eur("178,50")}</strong></span>' in html
    assert f'<span id="sum-drafts">drafts (not invoiced yet) <strong>{eur("11,90")}</strong></span>' in html
    got, html = numbers("/invoices/?status=draft")
    assert got == ["Draft"]
    got, _ = numbers("/invoices/?status=open")
    assert len(got) == 2
    got, _ = numbers(f"/invoices/?customer={other.id}")
    assert sorted(got) == ["Draft", f"INV-{date.today().year}-0002"]
    got, _ = numbers("/invoices/?q=alpen")
    assert len(got) == 2
    got, _ = numbers("/invoices/?q=0001")
    assert got == [f"INV-{date.today().year}-0001"]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    got, _ = numbers(f"/invoices/?from={tomorrow}")
    assert got == []
    r = c.get("/invoices/?from=yesterday")
    assert r.status_code == 422 and "is not a date" in r.data.decode()
    r = c.get("/invoices/?status=open&q=alpen", headers=HX)
    assert r.data.decode().lstrip().startswith('<section id="invoice-list"')
    assert r.headers["HX-Push-Url"] == "/invoices/?status=open&q=alpen"
    got, html = numbers("/invoices/?status=overdue")
    assert got == [f"INV-{date.today().year}-0001"] and "Overdue" in html


def test_customer_page_shows_invoices_and_balance(shop, f):
    f.issued(shop.org, contact_=shop.customer, lines=[("A", "1", "100")])
    f.draft(shop.org, shop.customer, lines=[("B", "1", "10")])
    html = shop.client.get(f"/customers/{shop.customer.id}").data.decode()
    assert f"Outstanding <strong>{eur('119,00')}</strong>" in html and f"INV-{date.today().year}-0001" in html
    assert ">Draft</a>" in html


def test_roles(shop, login_as, f):
    keeper = login_as("bookkeeper", org=shop.org)
    doc = f.draft(shop.org, shop.customer)
    assert keeper.client.get("/invoices/").status_code == 200
    assert keeper.client.get(f"/invoices/{doc.id}").status_code == 200
    assert keeper.client.get(f"/invoices/{doc.id}/edit").status_code == 403
    assert keeper.client.post(f"/invoices/{doc.id}/issue", data={"current_version": doc.version}).status_code == 403
    assert keeper.client.post(f"/invoices/{doc.id}/delete").status_code == 403
    assert db.session.get(Document, doc.id).status == "draft"
    staff = login_as("staff", org=shop.org)
    assert staff.client.post(f"/invoices/{doc.id}/issue", data={"current_version": doc.version}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Document).where(Document.status == "issued")) == 1


def test_change_the_customer_of_a_draft(shop, f):
    other = f.contact(shop.org, "Hotel Alpenblick", currency="CHF")
    doc = f.draft(shop.org, shop.customer)
    results = shop.client.get(f"/invoices/{doc.id}/customers?q=alpen", headers=HX).data.decode()
    assert "Hotel Alpenblick" in results and f"/invoices/{doc.id}/customer" in results
    r = shop.client.post(f"/invoices/{doc.id}/customer", headers=HX,
                         data={"current_version": doc.version, "contact_id": other.id})
    assert r.status_code == 200 and r.data.decode().lstrip().startswith('<div id="invoice-editor"')
    doc = db.session.get(Document, doc.id)
    assert (doc.contact_id, doc.buyer_name, doc.currency) == (other.id, "Hotel Alpenblick", "CHF")


def test_header_change_answers_with_figures_only_and_every_line_amount(shop, f):
    doc = f.draft(shop.org, shop.customer, lines=[("A", "1", "10.00"), ("B", "1", "20.00")])
    r = shop.client.post(f"/invoices/{doc.id}/header", headers=HX, data={
        "current_version": doc.version, "currency": "EUR", "payment_terms": "14", "prices_include_tax": "y"})
    assert r.status_code == 200
    html = r.data.decode()
    assert html.lstrip().startswith('<div id="header-errors"') and 'id="invoice-header"' not in html
    a, b = db.session.get(Document, doc.id).lines
    assert (a.net_amount, b.net_amount) == (840, 1681)  # 10.00 and 20.00 gross, the VAT taken out per group
    assert f'id="line-net-{a.id}" hx-swap-oob="true">{eur("8,40")}' in html
    assert f'id="line-net-{b.id}" hx-swap-oob="true">{eur("16,81")}' in html


def test_changes_without_a_version_are_refused(shop, f):
    doc = f.draft(shop.org, shop.customer)
    line = doc.lines[0]
    r = shop.client.post(f"/invoices/{doc.id}/lines/{line.id}", headers=HX, data=line_data(line.id, quantity="9"))
    assert r.status_code == 409
    r = shop.client.post(f"/invoices/{doc.id}/issue", data={})
    assert db.session.get(Document, doc.id).status == "draft"
    assert db.session.get(DocumentLine, line.id).quantity == Decimal("2")


def test_double_click_on_issue_issues_once(shop, f):
    doc = f.draft(shop.org, shop.customer)
    version = doc.version
    first = shop.client.post(f"/invoices/{doc.id}/issue", data={"current_version": version})
    second = shop.client.post(f"/invoices/{doc.id}/issue", data={"current_version": version}, follow_redirects=True)
    assert first.status_code == 303 and second.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Document).where(Document.number.is_not(None))) == 1


def test_adjustment_amounts_use_the_currency_precision(shop, f):
    doc = f.draft(shop.org, shop.customer)
    r = shop.client.post(f"/invoices/{doc.id}/adjustments", data={"current_version": doc.version, "kind": "allowance"},
                         headers=HX)
    adj_id = int(re.search(r'id="adjustment-(\d+)"', r.data.decode()).group(1))
    r = shop.client.post(f"/invoices/{doc.id}/adjustments/{adj_id}", headers=HX, data={
        "current_version": version_of(r), f"a{adj_id}-reason": "Loyalty", f"a{adj_id}-amount": "1,005",
        f"a{adj_id}-tax_rate_id": "0"})
    assert r.status_code == 422 and "EUR amounts have at most 2 decimal places." in r.data.decode()


def test_add_a_new_customer_without_leaving_the_editor(shop, f):
    doc = f.draft(shop.org, shop.customer)
    r = shop.client.post(f"/invoices/{doc.id}/customer/new", headers=HX, data={
        "current_version": doc.version, "company_name": "", "person_name": "", "country": "DE"})
    assert r.status_code == 422 and "Enter a person or a company name." in r.data.decode()
    r = shop.client.post(f"/invoices/{doc.id}/customer/new", headers=HX, data={
        "current_version": doc.version, "company_name": "Neu GmbH", "email": "neu@example.com", "country": "AT"})
    assert r.status_code == 200 and "Neu GmbH" in r.data.decode()
    contact = db.session.scalar(select(Contact).where(Contact.company_name == "Neu GmbH"))
    assert contact.country == "AT" and db.session.get(Document, doc.id).contact_id == contact.id
    assert contact.is_business  # a company; a person alone is a consumer (the VAT rules tell them apart)
    r = shop.client.post(f"/invoices/{doc.id}/customer/new", headers=HX, data={
        "current_version": db.session.get(Document, doc.id).version, "person_name": "Eva Muster", "country": "AT"})
    assert r.status_code == 200
    assert db.session.scalar(select(Contact).where(Contact.person_name == "Eva Muster")).is_business is False


def test_list_sums_count_what_is_invoiced_and_owed_and_columns_say_what_they_hold(shop, f):
    """Issue 13: the list's sums left out nothing and added drafts and cancelled invoices; two columns were
    both called "Due" and dates were ISO. Sums from the running totals and from a search agree."""
    from webapp.services import corrections, payments

    paid_part = f.issued(shop.org, contact_=shop.customer, lines=[("A", "1", "100")])  # 119.00
    payments.record(shop.org, shop.user, paid_part, payments.PaymentInput(amount=1900, paid_on=date.today(), key="k1"))
    cancelled = f.issued(shop.org, contact_=shop.customer, lines=[("B", "1", "1000")])  # 1,190.00, cancelled
    corrections.cancel(shop.org, shop.user, cancelled)
    overpaid = f.issued(shop.org, contact_=shop.customer, lines=[("C", "1", "10")])  # 11.90, 20.00 paid
    payments.record(shop.org, shop.user, overpaid, payments.PaymentInput(amount=2000, paid_on=date.today(), key="k2",
                                                                      allow_overpayment=True))
    f.draft(shop.org, shop.customer, lines=[("D", "1", "50")])  # 59.50
    db.session.commit()

    for url in ("/invoices/", "/invoices/?q=morgenrot"):  # running totals, then the documents themselves
        html = shop.client.get(url).data.decode()
        assert f'<span id="sum-issued">invoiced <strong>{eur("130,90")}</strong></span>' in html, url
        assert f'<span id="sum-outstanding">still owed <strong>{eur("100,00")}</strong></span>' in html, url
        assert f'<span id="sum-drafts">drafts (not invoiced yet) <strong>{eur("59,50")}</strong></span>' in html, url
    html = shop.client.get("/invoices/?status=cancelled").data.decode()
    assert 'id="sum-issued"' not in html and 'id="sum-outstanding"' not in html

    html = shop.client.get("/invoices/").data.decode()
    assert '<th>Due date</th><th class="num">Total</th><th class="num">Amount due</th>' in html
    issued_on = date.today().strftime("%d.%m.%Y")  # the German organization's medium date
    assert f'<td data-label="Issued">{issued_on}</td>' in html and date.today().isoformat() not in html.split('id="invoice-list"')[1]

    from webapp.services import drafts
    quote = drafts.new_draft(shop.org, shop.user, shop.customer, kind="quote")
    db.session.commit()
    quotes = shop.client.get("/invoices/?kind=quote").data.decode()
    assert "<th>Valid until</th>" in quotes and f'<td data-label="Valid until">{quote.valid_until.strftime("%d.%m.%Y")}</td>' in quotes


def test_a_stale_issue_lands_on_the_editor_by_a_redirect(shop, f):
    """A real conflict (the draft changed after the page was loaded) is refused with the reason, and the answer
    is a redirect to the editor (with and without htmx), so the address bar never keeps /issue."""
    doc = f.draft(shop.org, shop.customer)
    old = doc.version
    r = shop.client.post(f"/invoices/{doc.id}/lines/{doc.lines[0].id}", headers=HX,
                         data={"current_version": old, **line_data(doc.lines[0].id, quantity="5")})
    assert r.status_code == 200
    r = shop.client.post(f"/invoices/{doc.id}/issue", data={"version": old})
    assert r.status_code == 303 and r.headers["Location"] == f"/invoices/{doc.id}/edit"
    r = shop.client.post(f"/invoices/{doc.id}/issue", data={"current_version": old}, headers=HX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"/invoices/{doc.id}/edit"
    page = shop.client.get(f"/invoices/{doc.id}/edit").data.decode()
    assert "This draft was changed elsewhere (in another tab or by someone else)" in page and "not issued" in page
    assert db.session.get(Document, doc.id).status == "draft"


def test_an_edit_refreshes_the_issue_button_but_keeps_its_form(shop, f):
    """The Issue form goes through the editor's htmx queue: an edit's answer must not replace it (a click queued
    behind that edit would be dropped with the replaced form), only the note and the button."""
    doc = f.draft(shop.org, shop.customer)
    editor = shop.client.get(f"/invoices/{doc.id}/edit").data.decode()
    form = re.search(r'<form [^>]*action="/invoices/%d/issue"[^>]*>' % doc.id, editor).group(0)
    assert f'hx-post="/invoices/{doc.id}/issue"' in form and "data-confirm=" in form and "data-after-edits" in form
    assert 'hx-sync="#invoice-editor:queue all" hx-include="#doc-version"' in editor
    line = doc.lines[0]
    r = shop.client.post(f"/invoices/{doc.id}/lines/{line.id}", headers=HX,
                         data={"current_version": doc.version, **line_data(line.id, description="")})
    html = r.data.decode()
    assert r.status_code == 200
    assert f'/invoices/{doc.id}/issue' not in html and 'id="invoice-issue"' not in html
    assert re.search(r'<button type="submit" id="issue-button" hx-swap-oob="true" disabled>Issue invoice</button>', html)
    assert re.search(r'<p id="issue-problems" class="muted" hx-swap-oob="true">Before issuing: ', html)


def test_an_issue_date_before_the_last_invoice_is_named_in_the_editor_at_once(shop, f):
    """Issue 13: a past issue date was only refused at Issue; the editor now says so when it is typed (and a
    future one too), and the Issue button is off until it is fixed."""
    f.issued(shop.org, contact_=shop.customer)  # issued today: the series' last date
    doc = f.draft(shop.org, shop.customer)
    yesterday, tomorrow = date.today() - timedelta(days=1), date.today() + timedelta(days=1)
    for day, message in ((yesterday, "cannot be before"), (tomorrow, "is in the future")):
        r = shop.client.post(f"/invoices/{doc.id}/header", headers=HX, data={
            "current_version": db.session.get(Document, doc.id).version, "currency": "EUR", "payment_terms": "14",
            "chosen_issue_date": day.isoformat()})
        assert r.status_code == 200
        html = r.data.decode()
        note = html[html.find('id="issue-problems"'):]
        assert message in note[:400], note[:400]
        assert re.search(r'<button type="submit" id="issue-button" hx-swap-oob="true"\s*disabled', html)
    r = shop.client.post(f"/invoices/{doc.id}/header", headers=HX, data={
        "current_version": db.session.get(Document, doc.id).version, "currency": "EUR", "payment_terms": "14",
        "chosen_issue_date": date.today().isoformat()})
    html = r.data.decode()
    assert "cannot be before" not in html and "in the future" not in html


def test_the_credit_note_list_is_named_so_and_offers_no_new_invoice(shop, f):
    html = shop.client.get("/invoices/?kind=credit_note").data.decode()
    assert "<h1>Credit notes</h1>" in html and "<title>Credit notes" in html
    assert "New invoice" not in html and "No credit notes match." in html


MEMBER_LANGUAGES = {
    "de": {"list": ["<h1>Rechnungen</h1>", ">Neue Rechnung</a>", "<th>Kunde</th>", '<th class="num">Offener Betrag</th>',
                    "1–1 von 1 Rechnung", 'aria-label="Rechnungen durchsuchen"', ">Offen (nicht bezahlt)</option>",
                    ">Neueste zuerst</option>", '<span class="badge status-draft">Entwurf</span>'],
           "editor": ["<h1>Rechnungsentwurf <small", "Kunde: <strong>Café Morgenrot</strong> · ändern",
                      "<strong>Rechnungsdaten</strong>", "Zahlungsziel", ">14 Tage</option>", "<h2>Positionen</h2>",
                      ">+ Position hinzufügen</button>", 'aria-label="Beschreibung der Position 1"',
                      '>Rechnung ausstellen</button>', 'data-confirm="Diese Rechnung ausstellen? Sie erhält ihre Nummer',
                      ">Entwurf löschen</button>", ">Vorschau</button>"],
           "refused": ["Menge: Eine Menge von 0 fügt nichts hinzu; entfernen Sie stattdessen die Position. "
                       "Nicht gespeichert."],
           "issued": "Rechnung {number} ist ausgestellt.",
           "page": [">Als bezahlt markieren (23,80\xa0€ heute)</button>", "<th>Offener Betrag</th>", ">Kundenlink</strong>",
                    "<h2 id=\"notes\">Interne Notizen</h2>", ">Notiz hinzufügen</button>",
                    'data-error="Diese Datei ist größer als 10 MB: Wählen Sie eine kleinere."']},
    "fr": {"list": ["<h1>Factures</h1>", ">Nouvelle facture</a>", "<th>Client</th>", '<th class="num">Montant dû</th>',
                    "1–1 sur 1 facture", 'aria-label="Rechercher des factures"', ">Ouvertes (non payées)</option>",
                    ">Plus récents</option>", '<span class="badge status-draft">Brouillon</span>'],
           "editor": ["<h1>Brouillon de facture <small", "Client : <strong>Café Morgenrot</strong> · changer",
                      "<strong>Détails de la facture</strong>", "Délai de paiement", ">14 jours</option>",
                      "<h2>Lignes</h2>", ">+ Ajouter une ligne</button>", 'aria-label="Désignation de la ligne 1"',
                      ">Émettre la facture</button>", 'data-confirm="Émettre cette facture ? Elle reçoit son numéro',
                      ">Supprimer le brouillon</button>", ">Aperçu</button>"],
           "refused": ["Quantité : Une quantité de 0 n", "supprimez plutôt la ligne. Non enregistré."],
           "issued": "La facture {number} est émise.",
           "page": [">Marquer comme payée (23,80\xa0€ aujourd’hui)</button>", "<th>Montant dû</th>",
                    ">Lien client</strong>", "<h2 id=\"notes\">Notes internes</h2>", ">Ajouter la note</button>",
                    'data-error="Ce fichier dépasse 10 Mo : choisissez-en un plus petit."']},
}


@pytest.mark.parametrize("language", sorted(MEMBER_LANGUAGES))
def test_the_list_the_editor_and_issuing_speak_the_members_language(shop, f, language):
    expected, headers = MEMBER_LANGUAGES[language], {"Accept-Language": language}
    doc = f.draft(shop.org, shop.customer)
    doc.payment_terms_days = 14
    db.session.commit()
    listing = shop.client.get("/invoices/", headers=headers).data.decode()
    for text in expected["list"]:
        assert text in listing, text
    editor_page = shop.client.get(f"/invoices/{doc.id}/edit", headers=headers)
    editor = editor_page.data.decode()
    for text in expected["editor"]:
        assert text in editor, text
    assert "Issue invoice" not in editor and "Add line" not in editor
    line = db.session.get(Document, doc.id).lines[0]
    r = shop.client.post(f"/invoices/{doc.id}/lines/{line.id}", headers={**headers, **HX},
                         data={"current_version": version_of(editor_page), **line_data(line.id, quantity="0")})
    assert r.status_code == 422
    for text in expected["refused"]:
        assert text in r.data.decode(), text
    r = shop.client.post(f"/invoices/{doc.id}/issue", data={"current_version": db.session.get(Document, doc.id).version},
                         headers=headers)
    assert r.status_code == 303
    page = shop.client.get(r.headers["Location"], headers=headers).data.decode()
    number = db.session.get(Document, doc.id).number
    assert expected["issued"].format(number=number) in page
    for text in expected["page"]:
        assert text in page, text
    assert "Mark as paid" not in page and "Internal notes" not in page
