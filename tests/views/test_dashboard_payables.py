"""The dashboard's payables beside its receivables (issue 17): what is owed to suppliers (booked purchases) and
what customers owe (issued sales invoices), per currency, with the overdue parts, the suppliers owed most and the
purchases overdue longest. Sales and purchases made through the API (partial payments in both flows, a sales credit
note, due dates in the past from past invoice dates); every figure, as queried and as rendered, is the sum of the
documents' ``amount_due``. SQLite and PostgreSQL."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests import factories as f
from webapp.dashboard.routes import money_summary
from webapp.extensions import db
from webapp.models import Document
from webapp.queries import dashboard as dashboard_queries

TODAY = date.today()
SYMBOLS = {"€": "EUR", "$": "USD"}


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<article[^>]* id="{element_id}".*?</article>', html, re.S)
    assert match, element_id
    return match.group(0)


def amounts(fragment: str) -> dict[str, int]:
    """The amounts shown (``<strong>1.234,56 €</strong>``, German) as {currency: minor units}."""
    found: dict[str, int] = defaultdict(int)
    for shown in re.findall(r"<strong>([^<]*\d[^<]*)</strong>", fragment):
        currency = next(code for symbol, code in SYMBOLS.items() if symbol in shown)
        found[currency] += int(Decimal(re.sub(r"[^\d,]", "", shown).replace(",", ".")) * 100)
    return dict(found)


def expected(org_id: int, flow: str) -> dict[str, dict[str, int]]:
    """What the documents of ``flow`` add up to: the amount due of the issued invoices with something due, and
    of those overdue (``Document.is_overdue``), per currency."""
    out: dict[str, dict[str, int]] = {"outstanding": defaultdict(int), "overdue": defaultdict(int)}
    for doc in db.session.scalars(select(Document).where(Document.org_id == org_id, Document.flow == flow,
                                                         Document.kind == "invoice", Document.status == "issued")):
        if doc.amount_due > 0:
            out["outstanding"][doc.currency] += doc.amount_due
        if doc.is_overdue:
            out["overdue"][doc.currency] += doc.amount_due
    return {key: dict(value) for key, value in out.items()}


def create(api, body: dict) -> dict:
    answer = api.post("/invoices", json={"status": "issued", **body})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def pay(api, doc: dict, amount: int | None = None) -> None:
    body = {"transaction_data": {"amount": amount}} if amount else {}
    answer = api.post(f"/invoices/{doc['id']}/attach_payment", json=body)
    assert answer.status_code in (200, 201), answer.get_json()


def items(net: int) -> list[dict]:
    return [{"description": "Service", "quantity": 1, "unit_extratax_amount": net}]


@pytest.fixture
def books(api):
    """Three sales (one overdue, two partly paid, one paid in full, one partly credited) and five purchases (two
    overdue in EUR, one partly paid; one open in USD partly paid; one paid; one a draft) of one organization."""
    org = api.org
    alpha, beta = f.contact(org, company="Alpha Kunde"), f.contact(org, company="Beta Kunde")
    paper = f.contact(org, company="Paper & Co")
    tools = f.contact(org, company="US Tools", country="US", currency="USD")
    long_ago = (TODAY - timedelta(days=60)).isoformat()
    s1 = create(api, {"customer_id": str(alpha.id), "issue_date": long_ago, "payment_terms": {"days": 14},
                      "items": items(10000)})
    s2 = create(api, {"customer_id": str(beta.id), "payment_terms": {"days": 30}, "items": items(20000)})
    s3 = create(api, {"customer_id": str(alpha.id), "items": items(5000)})
    pay(api, s1, 1900)
    pay(api, s2, 3800)
    pay(api, s3)
    note = api.post(f"/invoices/{s1['id']}/credit-notes", json={"mode": "amount", "amount": 1000})
    assert note.status_code == 201, note.get_json()
    assert api.post(f"/invoices/{note.get_json()['id']}/finalize").status_code == 200

    purchase = {"flow": "purchases"}
    p1 = create(api, {**purchase, "supplier_id": str(paper.id), "supplier_number": "PC-1",
                      "issue_date": (TODAY - timedelta(days=45)).isoformat(), "payment_terms": {"days": 14},
                      "items": items(30000)})
    p2 = create(api, {**purchase, "supplier_id": str(paper.id), "supplier_number": "PC-2",
                      "issue_date": (TODAY - timedelta(days=40)).isoformat(), "payment_terms": {"days": 30},
                      "items": items(12000)})
    p3 = create(api, {**purchase, "supplier_id": str(tools.id), "currency": "USD", "payment_terms": {"days": 30},
                      "items": items(45000)})
    p4 = create(api, {**purchase, "supplier_id": str(tools.id), "currency": "USD", "items": items(8000)})
    draft = create(api, {**purchase, "supplier_id": str(paper.id), "status": "draft", "items": items(99000)})
    pay(api, p1, 5000)
    pay(api, p3, 10000)
    pay(api, p4)
    db.session.expire_all()
    return {"org": org, "sales": (s1, s2, s3), "purchases": (p1, p2, p3, p4), "draft": draft,
            "paper": paper, "tools": tools}


def due(doc: dict) -> int:
    return db.session.get(Document, int(doc["id"])).amount_due


def test_the_queries_sum_the_amounts_due_of_each_flow(books):
    org = books["org"]
    s1, s2, s3 = books["sales"]
    p1, p2, p3, p4 = books["purchases"]
    receivable, payable = expected(org.id, "sales"), expected(org.id, "purchases")
    # the figures are not trivial: partial payments, the credit note and the full payments count
    assert (due(s1), due(s2), due(s3)) == (11900 - 1900 - 1190, 20000, 0)
    assert receivable == {"outstanding": {"EUR": 28810}, "overdue": {"EUR": 8810}}
    assert payable["outstanding"] == {"EUR": due(p1) + due(p2), "USD": due(p3)} and due(p4) == 0
    assert payable["overdue"] == {"EUR": due(p1) + due(p2)} and due(p1) == 35700 - 5000
    assert due(p3) == p3["total_tax_included_amount"] - 10000 > 0  # the US supplier's VAT: the calculator's

    sales, purchases = money_summary(org), money_summary(org, flow="purchases")
    for summary, figures in ((sales, receivable), (purchases, payable)):
        assert dict(summary["outstanding"]) == figures["outstanding"]
        assert dict(summary["overdue"]) == figures["overdue"]
    # paid this month: each flow's own payments (money in, money out), never the other's
    assert dict(sales["paid"]) == {"EUR": 1900 + 3800 + 5950}
    assert dict(purchases["paid"]) == {"EUR": 5000, "USD": 10000 + p4["total_tax_included_amount"]}

    assert [d.id for d in dashboard_queries.overdue_invoices(org.id)] == [int(s1["id"])]
    assert [d.id for d in dashboard_queries.overdue_invoices(org.id, flow="purchases")] == [int(p1["id"]),
                                                                                           int(p2["id"])]
    suppliers = [(b.contact.id, b.currency, b.outstanding, b.overdue)
                 for b in dashboard_queries.top_contacts(org.id, flow="purchases")]
    owed = sorted([(books["paper"].id, "EUR", due(p1) + due(p2), due(p1) + due(p2)),
                   (books["tools"].id, "USD", due(p3), 0)], key=lambda row: -row[2])
    assert suppliers == owed
    customers = [(b.contact.id, b.outstanding, b.overdue) for b in dashboard_queries.top_contacts(org.id)]
    assert sorted(customers) == sorted([(int(s1["customer_id"]), 8810, 8810), (int(s2["customer_id"]), 20000, 0)])
    sold = {number for _, number, _ in dashboard_queries.recent_payments(org.id)}
    assert sold == {s["document_number"] for s in (s1, s2, s3)}
    bought = {number for _, number, _ in dashboard_queries.recent_payments(org.id, flow="purchases")}
    assert bought == {p["document_number"] for p in (p1, p3, p4)}


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_the_dashboard_shows_payables_beside_receivables(books, login_as, role):
    org = books["org"]
    s1, s2, s3 = books["sales"]
    p1, p2, p3, p4 = books["purchases"]
    receivable, payable = expected(org.id, "sales"), expected(org.id, "purchases")
    page = login_as(role, org=org).client.get("/")
    assert page.status_code == 200
    html = page.data.decode()
    assert "<h2" in html and "Receivables" in html and "Payables" in html

    assert amounts(section(html, "summary-outstanding")) == receivable["outstanding"] == {"EUR": 28810}
    assert amounts(section(html, "summary-overdue")) == receivable["overdue"] == {"EUR": 8810}
    assert amounts(section(html, "payables-outstanding")) == payable["outstanding"]
    assert set(payable["outstanding"]) == {"EUR", "USD"}  # one figure per currency
    assert amounts(section(html, "payables-overdue")) == payable["overdue"] == {"EUR": due(p1) + due(p2)}
    assert amounts(section(html, "summary-paid")) == {"EUR": 1900 + 3800 + 5950}
    assert amounts(section(html, "payables-paid")) == {"EUR": 5000, "USD": 10000 + p4["total_tax_included_amount"]}

    # the figures lead to the purchases list, filtered as the receivables' lead to the invoice list
    assert 'href="/purchases/?status=open"' in section(html, "payables-outstanding")
    assert 'href="/purchases/?status=overdue"' in section(html, "payables-overdue")
    assert 'href="/invoices/?status=open"' in section(html, "summary-outstanding")

    late = section(html, "overdue-purchases")
    assert 'href="/purchases/?status=overdue&amp;sort=due"' in late
    assert late.index(p1["document_number"]) < late.index(p2["document_number"])  # the longest overdue first
    assert f'href="/invoices/{p1["id"]}"' in late and f'href="/invoices/{p2["id"]}"' in late
    assert "(PC-1)" in late and "Paper &amp; Co" in late and "(31 days)" in late and "(10 days)" in late
    assert amounts(late) == payable["overdue"]
    assert p3["document_number"] not in late and s1["document_number"] not in late
    sales_late = section(html, "overdue-invoices")
    assert s1["document_number"] in sales_late and amounts(sales_late) == receivable["overdue"]
    assert not any(p["document_number"] in sales_late for p in (p1, p2, p3, p4))

    owed = section(html, "top-suppliers")
    rows = re.findall(r"<li>.*?</li>", owed, re.S)
    paper = next(row for row in rows if "Paper &amp; Co" in row)
    tools = next(row for row in rows if "US Tools" in row)
    assert f'href="/customers/{books["paper"].id}"' in paper
    assert amounts(paper) == {"EUR": 2 * (due(p1) + due(p2))}  # open and, as much, overdue
    assert " open" in paper and " overdue" in paper
    assert amounts(tools) == {"USD": due(p3)} and " overdue" not in tools
    assert "Alpha Kunde" not in owed  # customers are not suppliers; the draft purchase counts nowhere (above)

    latest = section(html, "recent-payments")  # money in only: the payments to suppliers are not "received"
    assert not any(p["document_number"] in latest for p in (p1, p2, p3, p4))
    assert s1["document_number"] in latest


def test_an_organization_without_purchases_shows_empty_payables(login_as, f):
    owner = login_as("owner")
    html = owner.client.get("/").data.decode()
    for key in ("outstanding", "overdue", "paid"):
        assert "<strong>–</strong>" in section(html, f"payables-{key}")
    assert "No purchase is overdue." in section(html, "overdue-purchases")
    assert "Nothing is owed to suppliers." in section(html, "top-suppliers")

