"""Invoices at 1,000 and 100,000: the list (and its SQL query count), a line change in a 50-line draft,
and issuing.

    make bench
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench make bench

Invoices are bulk-inserted (each with two lines) into one organization; a second organization holds
as many again, so every query must filter by tenant. Times are in-process server times.
"""
from __future__ import annotations

import random
import re
import sys
from datetime import date, timedelta
from decimal import Decimal

from common import analyze, build, client_for, main, print_table, timed
from sqlalchemy import func, insert, select

from webapp.extensions import db
from webapp.models import Contact, Document, DocumentLine, Organization, User
from webapp.services import documents
from webapp.tenancy import SESSION_ORG_KEY  # noqa: F401 - documents the session key the client sets

SIZES = (1_000, 100_000)
LIST_PAGES = {
    "invoice list": "/invoices/",
    "list, open, page 10": "/invoices/?status=open&page=10",
    "search number": "/invoices/?q=0000123",
    "search customer": "/invoices/?q=meier",
    "overdue": "/invoices/?status=overdue",
}


def seed(app, org_id: int, start: int, stop: int) -> None:
    rng = random.Random(start)
    with app.app_context():
        contacts = []
        for i in range(50):
            c = Contact(org_id=org_id, company_name=f"{rng.choice(['Meier', 'Schmidt', 'Rossi', 'Dubois'])} {i} GmbH",
                        country="DE")
            c.refresh_search()
            contacts.append(c)
        db.session.add_all(contacts)
        db.session.flush()
        today = date.today()
        for chunk in range(start, stop, 5000):
            rows = []
            for i in range(chunk, min(chunk + 5000, stop)):
                contact = contacts[i % len(contacts)]
                issued_on = today - timedelta(days=(stop - i) // 50)
                net = rng.randint(1_000, 500_000)
                rows.append({"org_id": org_id, "kind": "invoice", "flow": "sales", "status": "issued",
                             "number": f"INV-{org_id}-{i:07d}", "contact_id": contact.id, "currency": "EUR",
                             "issue_date": issued_on, "due_date": issued_on + timedelta(days=14),
                             "payment_terms_days": 14, "buyer_name": contact.company_name, "line_total": net,
                             "net_total": net, "tax_total": net * 19 // 100, "gross_total": net + net * 19 // 100,
                             "tax_breakdown": [], "seller": {}, "buyer": {}, "version": 1,
                             "search_text": f"inv-{org_id}-{i:07d} {contact.company_name}".lower()})
            ids = db.session.scalars(insert(Document).returning(Document.id), rows).all()
            db.session.execute(insert(DocumentLine), [
                {"document_id": doc_id, "position": p, "description": "Item", "quantity": Decimal("1"),
                 "unit_price": Decimal("10"), "tax_percent": Decimal("19"), "tax_category": "S", "net_amount": 1000}
                for doc_id in ids for p in (0, 1)])
            db.session.commit()


def draft_with_lines(app, org_id: int, user_id: int, count: int) -> tuple[int, list[int]]:
    with app.app_context():
        org, user = db.session.get(Organization, org_id), db.session.get(User, user_id)
        contact = db.session.scalar(select(Contact).where(Contact.org_id == org_id).limit(1))
        doc = documents.new_draft(org, user, contact)
        for i in range(count):
            line = documents.add_line(org, doc)
            documents.update_line(doc, line, {"description": f"Line {i}", "quantity": Decimal(i + 1),
                                              "unit_price": Decimal("12.34")})
        db.session.commit()
        return doc.id, [line.id for line in doc.lines]


def run(label: str, url: str) -> bool:
    app, org_id, user_id = build(url)
    with app.app_context():
        org = db.session.get(Organization, org_id)
        org.legal_name, org.street, org.postal_code, org.city, org.vat_id = "Bench GmbH", "Weg 1", "10115", "Berlin", \
            "DE136695976"
        other = Organization(name="Other", country="DE")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    client = client_for(app, user_id, org_id)
    results: dict[str, dict[int, tuple[float, float, int]]] = {}
    seeded = 0
    for size in SIZES:
        seed(app, org_id, seeded, size)
        seed(app, other_id, seeded, size)
        seeded = size
        analyze(app)
        for name, page_url in LIST_PAGES.items():
            results.setdefault(name, {})[size] = timed(app, lambda i, u=page_url: client.get(u))
    # a line change in a 50-line draft (the htmx request the editor sends)
    doc_id, line_ids = draft_with_lines(app, org_id, user_id, 50)
    state = {"version": None}

    def change_line(i):
        if state["version"] is None:
            with app.app_context():
                state["version"] = db.session.get(Document, doc_id).version
        line_id = line_ids[i % len(line_ids)]
        response = client.post(f"/invoices/{doc_id}/lines/{line_id}", headers={"HX-Request": "true"}, data={
            "current_version": state["version"], f"l{line_id}-description": f"Changed {i}",
            f"l{line_id}-quantity": str(i % 7 + 1), f"l{line_id}-unit": "piece", f"l{line_id}-unit_price": "9.99",
            f"l{line_id}-tax_rate_id": "0"})
        state["version"] = int(re.search(rb'name="current_version" value="(\d+)"', response.data).group(1))
        return response

    results.setdefault("line change, 50-line draft", {})[SIZES[-1]] = timed(app, change_line)
    # issuing (one draft of three lines per request)
    drafts = [draft_with_lines(app, org_id, user_id, 3)[0] for _ in range(45)]
    with app.app_context():
        versions = {d: db.session.get(Document, d).version for d in drafts}
    results.setdefault("issue an invoice", {})[SIZES[-1]] = timed(
        app, lambda i: client.post(f"/invoices/{drafts[i]}/issue", data={"current_version": versions[drafts[i]]}))
    with app.app_context():
        numbers = db.session.scalar(select(func.count()).where(Document.org_id == org_id, Document.status == "issued"))
    constant = print_table(f"Invoices, {label} (two organizations of this size each)", results, SIZES)
    print(f"\nQueries per list request constant from {SIZES[0]:,} to {SIZES[-1]:,} invoices: "
          f"{'yes' if constant else 'NO'}; {numbers:,} issued invoices in the organization at the end.")
    return constant


if __name__ == "__main__":
    sys.exit(main(run))
